package dev.lote.cli;

import dev.lote.data.BatchSequence;
import dev.lote.data.DataException;
import dev.lote.data.ImageFolder;
import dev.lote.image.BadImageException;
import dev.lote.image.ImageDecoder;
import dev.lote.nn.Presets;
import dev.lote.nn.Sequential;
import dev.lote.nn.Shape;
import dev.lote.nn.Summary;
import dev.lote.torch.Engine;
import dev.lote.torch.Network;
import dev.lote.train.History;
import dev.lote.train.ProgressBar;
import dev.lote.train.Trainer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a classifier from a folder of class folders (DIR/<class>/<image>).")
final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "Folder with one sub-folder of images per class.")
    Path dataDir;

    @Option(names = "--epochs", defaultValue = "5", description = "Passes over the training data (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "5", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for weights and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--model", defaultValue = "seed-cnn", paramLabel = "NAME|FILE.json",
            description = "A preset (seed-cnn: the notebook's CNN) or a Sequential spec in JSON (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--threads", defaultValue = "0", description = "Intra-op threads; 0 = all cores (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--keep-last-batch", description = "Also train on the last, partial batch (the notebook drops it).")
    boolean keepLast;

    @Option(names = "--summary", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Print the model summary before training (default: ${DEFAULT-VALUE}).")
    boolean summary;

    @Override public Integer call() {
        Options.positive(spec, "--epochs", epochs);
        Options.positive(spec, "--batch-size", batchSize);
        if (threads < 0) Options.positive(spec, "--threads", threads);
        PrintStream out = System.out;
        ImageFolder folder = ImageFolder.scan(dataDir);
        out.println(folder.describe());
        Shape input = inputShape(folder);
        Sequential architecture = Presets.resolve(model, input, folder.classes().size());
        if (summary) out.print(Summary.of(architecture));
        Engine.start(threads);
        BatchSequence data = new BatchSequence(folder.files(), folder.labels(), batchSize, input).seed(seed).keepLast(keepLast);
        long start = System.nanoTime();
        History history;
        try (Network network = Network.build(architecture, seed)) {
            history = new Trainer(network).callback(new ProgressBar(out, System.console() != null)).fit(data, epochs);
        } catch (DataException e) {
            throw new Main.BadDataException(e.getMessage(), e);
        }
        out.printf(Locale.ROOT, "Trained %s for %d epochs on %d images in %.0f s: accuracy %.4f, loss %.4f%n", model, epochs,
                data.size() * batchSize, (System.nanoTime() - start) / 1e9, history.last("accuracy"), history.last("loss"));
        return ExitCodes.OK;
    }

    /** The model's input is the first image's size, as in the notebook. */
    static Shape inputShape(ImageFolder folder) {
        Path first = folder.samples().get(0).file();
        try {
            int[] wh = ImageDecoder.size(first);
            return Shape.image(wh[1], wh[0], 3);
        } catch (BadImageException e) {
            throw new Main.BadDataException("Cannot read the first image to size the model: " + e.getMessage(), e);
        }
    }
}
