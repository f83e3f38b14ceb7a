package dev.lote.cli;

import dev.lote.LoteModel;
import dev.lote.report.Report;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write a model's training report: one HTML file that works offline, with learning curves, the "
                + "confusion matrix, per-class scores, the highest-loss images, the model, the data and the settings.")
final class ReportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "A .lote model file.")
    Path modelFile;

    @Option(names = "--out", paramLabel = "FILE.html|DIR",
            description = "Where to write it: a file, or a folder for MODEL-report.html (default: beside the model).")
    Path out;

    @Option(names = "--data", paramLabel = "DIR",
            description = "Evaluate on this folder of class folders (default: the run's validation images).")
    Path data;

    @Option(names = "--labels", paramLabel = "FILE", description = "With --data: labels from FILE instead of class folders "
            + "(as train's --labels); its test rows when it has some, else every row.")
    Path labels;

    @Option(names = "--batch-size", defaultValue = "16", description = "Images per batch while evaluating (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override public Integer call() throws Exception {
        Options.positive(spec, "--batch-size", batchSize);
        Path target = Report.besideModel(modelFile);
        if (out != null) target = out.toString().endsWith(".html") ? out : out.resolve(target.getFileName());
        if (out != null && !out.toString().endsWith(".html") && Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + " is a file that is not .html; give a folder or FILE.html.");
        }
        try (LoteModel model = LoteModel.load(modelFile)) {
            if (labels != null && data == null) throw new IllegalArgumentException("--labels names the classes of --data's images; add --data DIR.");
            Report.write(target, labels != null ? model.reportOn(dev.lote.data.Dataset.withLabels(data, labels, false, System.err), batchSize)
                    : model.report(data, batchSize));
        }
        System.out.println("Wrote the report to " + target);
        return ExitCodes.OK;
    }
}
