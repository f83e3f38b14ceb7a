package dev.lote.cli;

import dev.lote.TrainingRun;
import dev.lote.dist.World;
import dev.lote.io.AtomicFile;
import dev.lote.report.LearningRateChart;
import dev.lote.torch.Engine;
import dev.lote.train.LearningRateFinder;
import dev.lote.train.Recipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lote lr-find DIR}: the learning-rate range test on the model and batches {@code lote train} would use. */
@Command(name = "lr-find", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Find a learning rate (Leslie Smith's range test, as fastai's lr_find): one step per batch with the rate rising "
                + "from --start-lr to --end-lr, the loss smoothed; prints the rate where it falls fastest and writes the curve. "
                + "The model, image size, batch size and augmentation come from train's flags; nothing is trained or saved. "
                + "'lote train --learning-rate auto' uses the suggestion.")
final class LrFindCommand extends TrainCommand {
    static final double START = 1e-7, END = 10;
    static final int STEPS = 100;

    @Option(names = "--start-lr", defaultValue = "1e-7", description = "The first rate tried (default: ${DEFAULT-VALUE}).")
    double start;

    @Option(names = "--end-lr", defaultValue = "10", description = "The last rate tried (default: ${DEFAULT-VALUE}).")
    double end;

    @Option(names = "--steps", defaultValue = "100", description = "Steps (batches) at most; it stops early once the loss diverges "
            + "(default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--plot", defaultValue = "lr-find.html", paramLabel = "FILE", description = "The curve as a page (default: ${DEFAULT-VALUE}).")
    Path plot;

    @Override public Integer call() throws Exception {
        if (dataDir == null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing required parameter: 'DIR'");
        if (resume != null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "lr-find starts a new run; --resume does not apply.");
        if (!(start > 0) || !(end > start)) throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "--start-lr and --end-lr must rise from above 0, got " + start + " and " + end + ".");
        if (steps < 10) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--steps must be at least 10, got " + steps + ".");
        Recipe recipe = recipe();
        AtomicFile.checkWritable(plot, "the curve");
        engine.start(spec);
        LearningRateFinder.Result r = settings(TrainingRun.of(dataset(dataDir, recipe.strict()), recipe), World.ALONE, System.out)
                .findLearningRate(start, end, steps);
        String what = String.format(Locale.ROOT, "%s on %s, batch %d, %d steps from %.0e", recipe.model(), dataDir, recipe.batchSize(), r.curve().size(), start);
        AtomicFile.write(plot, o -> o.write(LearningRateChart.html(r, what).getBytes(StandardCharsets.UTF_8)));
        if (r.suggested() < start) { // the smoothed loss was lowest at the first rates: no rate tried helped
            System.out.printf(Locale.ROOT, "The loss did not fall at any rate from %.0e (lowest at %.2e)%s; keep the default rate. Curve: %s%n",
                    start, r.lowest(), recipe.fineTuning() != null ? ": phase 1's head is already at its best" : "", plot);
            return ExitCodes.OK;
        }
        System.out.printf(Locale.ROOT, "Suggested learning rate: %.2e (the loss fell fastest there; lowest at %.2e). Curve: %s%n",
                r.suggested(), r.lowest(), plot);
        System.out.printf(Locale.ROOT, "Train with it: lote train %s --learning-rate %.1e%n", dataDir, r.suggested());
        return ExitCodes.OK;
    }
}
