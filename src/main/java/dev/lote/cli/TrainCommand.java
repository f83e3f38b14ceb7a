package dev.lote.cli;

import dev.lote.cli.Options.ShapeConverter;
import dev.lote.data.BatchSequence;
import dev.lote.data.DataException;
import dev.lote.data.Dataset;
import dev.lote.data.DecodedCache;
import dev.lote.data.ImageFolder;
import dev.lote.data.ImageFolder.Sample;
import dev.lote.data.SkippedFiles;
import dev.lote.data.Split;
import dev.lote.image.BadImageException;
import dev.lote.image.Decoder;
import dev.lote.image.Header;
import dev.lote.image.Limits;
import dev.lote.image.Resize;
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
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a classifier from a folder of class folders (DIR/<class>/<image>, or DIR/train, DIR/val).")
final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "Folder with one sub-folder of images per class.")
    Path dataDir;

    @Option(names = "--epochs", defaultValue = "5", description = "Passes over the training data (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "5", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for weights, split and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--model", defaultValue = "seed-cnn", paramLabel = "NAME|FILE.json",
            description = "A preset (seed-cnn: the notebook's CNN) or a Sequential spec in JSON (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--image-size", converter = ShapeConverter.class, paramLabel = "HxW",
            description = "Model input size; images are resized to it (default: the first image's size).")
    Shape imageSize;

    @Option(names = "--resize", defaultValue = "stretch", paramLabel = "stretch|crop|pad",
            description = "How images of another size are fitted (default: ${DEFAULT-VALUE}).")
    String resize;

    @Option(names = "--validation-split", defaultValue = "0", paramLabel = "FRACTION",
            description = "Hold out this fraction of each class for validation, e.g. 0.2 (default: ${DEFAULT-VALUE}; "
                    + "a val/ folder beside train/ is used instead when present).")
    double validationSplit;

    @Option(names = "--strict", description = "Stop at the first bad image (default: name it once, skip it, go on).")
    boolean strict;

    @Option(names = "--cache", arity = "0..1", paramLabel = "DIR", fallbackValue = "",
            description = "Keep decoded, resized images on disk so epochs 2+ decode nothing (default folder: ~/.cache/lote/images).")
    String cache;

    @Option(names = "--workers", defaultValue = "0", description = "Threads decoding images; 0 = cores (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--prefetch", defaultValue = "4", description = "Batches decoded ahead (default: ${DEFAULT-VALUE}).")
    int prefetch;

    @Option(names = "--max-pixels", defaultValue = "100000000", paramLabel = "N",
            description = "Refuse images whose header declares more pixels (default: ${DEFAULT-VALUE}).")
    long maxPixels;

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
        Options.positive(spec, "--prefetch", prefetch);
        if (threads < 0) Options.positive(spec, "--threads", threads);
        if (workers < 0) Options.positive(spec, "--workers", workers);
        Resize policy = Resize.parse(resize);
        PrintStream out = System.out;
        Decoder decoder = new Decoder(new Limits(maxPixels, Limits.DEFAULT.maxFileBytes()));

        Dataset dataset = Dataset.open(dataDir);
        ImageFolder folder = dataset.train();
        out.println(folder.describe());
        List<Sample> train = folder.samples(), validation = List.of();
        if (dataset.hasValidationFolder()) {
            validation = dataset.validation().orElseThrow().samples();
            out.println("Using " + validation.size() + " validation images from " + dataset.validation().orElseThrow().root());
        } else if (validationSplit > 0) {
            Split split = Split.stratified(folder.samples(), folder.classes().size(), validationSplit, seed);
            train = split.train();
            validation = split.validation();
            out.printf(Locale.ROOT, "Using %d images for training, %d for validation (%.0f %% of each class)%n",
                    train.size(), validation.size(), validationSplit * 100);
        }
        Shape input = imageSize != null ? imageSize : inputShape(decoder, folder);
        Sequential architecture = Presets.resolve(model, input, folder.classes().size());
        if (summary) out.print(Summary.of(architecture));

        Engine.start(threads);
        SkippedFiles skipped = new SkippedFiles(System.err);
        BatchSequence.ImageSource source = BatchSequence.decoding(decoder, input, policy);
        DecodedCache decodedCache = null;
        if (cache != null) {
            Path dir = cache.isEmpty() ? Path.of(System.getProperty("user.home"), ".cache", "lote", "images") : Path.of(cache);
            List<Sample> all = new java.util.ArrayList<>(train);
            all.addAll(validation);
            decodedCache = DecodedCache.open(dir, Split.files(all), input, policy, source);
            source = decodedCache;
            out.println("Caching decoded images in " + decodedCache.file());
        }
        BatchSequence trainData = sequence(train, input, source, skipped).keepLast(keepLast);
        BatchSequence valData = validation.isEmpty() ? null : sequence(validation, input, source, skipped).keepLast(true);
        long start = System.nanoTime();
        History history;
        try (Network network = Network.build(architecture, seed)) {
            int w = workers > 0 ? workers : Runtime.getRuntime().availableProcessors();
            history = new Trainer(network).loader(w, prefetch)
                    .callback(new ProgressBar(out, System.console() != null)).fit(trainData, valData, epochs);
        } catch (DataException e) {
            throw new Main.BadDataException(e.getMessage(), e);
        } finally {
            if (decodedCache != null) decodedCache.close();
        }
        out.printf(Locale.ROOT, "Trained %s for %d epochs in %.0f s: accuracy %.4f, loss %.4f%s%n", model, epochs,
                (System.nanoTime() - start) / 1e9, history.last("accuracy"), history.last("loss"),
                valData == null ? "" : String.format(Locale.ROOT, ", val_accuracy %.4f, val_loss %.4f",
                        history.last("val_accuracy"), history.last("val_loss")));
        if (skipped.count() > 0) {
            out.println("Skipped " + skipped.count() + " bad file" + (skipped.count() == 1 ? "" : "s") + ":");
            skipped.lines().forEach(l -> out.println("  " + l));
        }
        return ExitCodes.OK;
    }

    private BatchSequence sequence(List<Sample> samples, Shape input, BatchSequence.ImageSource source, SkippedFiles skipped) {
        BatchSequence s = new BatchSequence(Split.files(samples), Split.labels(samples), batchSize, input).source(source).seed(seed);
        return strict ? s : s.skipBadFiles(skipped);
    }

    /** The model's input is the first readable image's size, as in the notebook. */
    private Shape inputShape(Decoder decoder, ImageFolder folder) {
        BadImageException last = null;
        for (Sample s : folder.samples()) {
            try {
                Header h = decoder.header(s.file());
                return Shape.image(h.height(), h.width(), 3);
            } catch (BadImageException e) {
                if (strict) throw new Main.BadDataException("Bad image " + e.getMessage(), e);
                last = e;
            }
        }
        throw new Main.BadDataException("No readable image in " + folder.root() + (last == null ? "" : "; last error: " + last.getMessage()), last);
    }
}
