package dev.lote.cli;

import dev.lote.sample.SampleImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Make a small sample set and train the notebook's model on it, end to end.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--dir", description = "Where to write the sample images (default: a temporary folder).")
    Path dir;

    @Option(names = "--epochs", defaultValue = "5", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Override public Integer call() throws Exception {
        Path data = dir != null ? dir : Files.createTempDirectory("lote-demo-");
        int classes = 6, perClass = 40, height = 384, width = 512;
        System.out.printf("Lote demo: the notebook's job (seed-cnn, Adam, batch 5) on %d synthetic classes x %d images"
                + " of %dx%d in %s%n", classes, perClass, height, width, data);
        SampleImages.write(data, classes, perClass, height, width, 42);
        int code = Main.commandLine().execute("train", data.toString(), "--model", "seed-cnn", "--epochs", Integer.toString(epochs),
                "-o", data.resolve("model.lote").toString());
        if (code == ExitCodes.OK) {
            Path model = data.resolve("model.lote");
            System.out.println("Next: open " + dev.lote.report.Report.besideModel(model) + " in a browser for the curves and the "
                    + "confusion matrix;\n      './lote serve " + model + "' to try the model at http://127.0.0.1:8080/;\n"
                    + "      './lote train YOUR_FOLDER' trains on your own photos (DIR/<class>/*.jpg).");
        }
        return code;
    }
}
