package dev.lote.cli;

import dev.lote.LoteModel;
import dev.lote.io.ModelInfo;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = "Fit temperature scaling on images the model did not train on (DIR, or by default the run's validation "
                + "images), so its probabilities mean what they say; prints the expected calibration error before and after and "
                + "stores the temperature in the model (predict, evaluate, serve and export use it).")
final class CalibrateCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A .lote model file.")
    Path modelFile;

    @Parameters(index = "1", arity = "0..1", paramLabel = "DIR",
            description = "A folder with the model's class folders, held out from training (default: the run's validation images).")
    Path dataDir;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the calibrated model here (default: over MODEL, atomically).")
    Path output;

    @Option(names = "--batch-size", defaultValue = "16", description = "Images per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override public Integer call() throws Exception {
        try (LoteModel model = LoteModel.load(modelFile)) {
            ModelInfo.Calibration c;
            if (dataDir != null) {
                c = model.calibrate(dataDir, batchSize);
            } else {
                List<dev.lote.data.ImageFolder.Sample> v = model.validationImages();
                c = model.calibrate(dev.lote.data.Split.files(v), dev.lote.data.Split.labels(v), batchSize, "the run's " + v.size() + " validation images");
            }
            Path target = output != null ? output : modelFile;
            model.save(target);
            System.out.printf(Locale.ROOT, "Temperature %.3f fitted on %d images: expected calibration error %.4f -> %.4f, "
                    + "negative log-likelihood %.4f -> %.4f%n", c.temperature(), c.images(), c.eceBefore(), c.eceAfter(), c.nllBefore(), c.nllAfter());
            System.out.println("Saved the calibrated model to " + target
                    + "; lote predict/serve --unknown-below P then answer 'unknown' below a top probability of P");
        }
        return ExitCodes.OK;
    }
}
