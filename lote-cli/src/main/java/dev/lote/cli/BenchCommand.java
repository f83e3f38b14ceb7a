package dev.lote.cli;

import dev.lote.LoteModel;
import dev.lote.TrainingRun;
import dev.lote.bench.InferBench;
import dev.lote.bench.LoaderBench;
import dev.lote.bench.Rss;
import dev.lote.bench.ServeLoad;
import dev.lote.bench.StepBench;
import dev.lote.cli.Options.ShapeConverter;
import dev.lote.data.BatchSequence;
import dev.lote.data.Dataset;
import dev.lote.data.ImageFolder;
import dev.lote.data.SkippedFiles;
import dev.lote.data.Split;
import dev.lote.image.Decoder;
import dev.lote.image.Header;
import dev.lote.image.Resize;
import dev.lote.nn.Model;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import dev.lote.nn.Torchvision;
import dev.lote.sample.SampleImages;
import dev.lote.torch.Engine;
import dev.lote.train.Recipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks kept with the project.",
        subcommands = {BenchCommand.Step.class, BenchCommand.Input.class, BenchCommand.Recipes.class, BenchCommand.ModelCosts.class,
                BenchCommand.Serve.class, BenchCommand.Infer.class})
final class BenchCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    @Command(name = "step", mixinStandardHelpOptions = true,
            description = "Training steps of the seed model on in-memory batches: ms/step, images/s, peak RSS.")
    static final class Step implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--input", defaultValue = "768x1024x3", converter = ShapeConverter.class, paramLabel = "HxWxC",
                description = "Input size (default: ${DEFAULT-VALUE}).")
        Shape input;

        @Option(names = "--classes", defaultValue = "14", description = "Classes (default: ${DEFAULT-VALUE}).")
        int classes;

        @Option(names = "--model", defaultValue = "seed-cnn", description = "A preset, a spec file, a torchvision "
                + "architecture (mobilenet_v2, resnet18, …; --input 224x224x3), or a model file whose architecture is timed as saved, "
                + "frozen layers too (a fine-tuned .lote: phase 2's step) (default: ${DEFAULT-VALUE}).")
        String model;

        @Option(names = "--batch-size", defaultValue = "5", description = "Batch size (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(names = "--steps", defaultValue = "10", description = "Timed steps (default: ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--warmup", defaultValue = "2", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
        int warmup;

        @picocli.CommandLine.Mixin EngineFlags engine; // --threads, --precision

        @Option(names = "--neighbours", defaultValue = "0", paramLabel = "N",
                description = "Then again with N CPU-bound processes running beside it (a busy machine) (default: ${DEFAULT-VALUE}).")
        int neighbours;

        @Option(names = "--freeze-batch-norm", description = "Batch normalization in inference mode with fixed weights, as "
                + "fine-tuning's phase 2 runs a backbone's.")
        boolean frozenBatchNorm;

        private static void freezeBatchNorm(Model m) {
            for (var l : m.layers()) {
                if (l instanceof dev.lote.nn.BatchNormalization) l.trainable(false);
                if (l instanceof Model inner) freezeBatchNorm(inner);
            }
        }

        @Override public Integer call() throws Exception {
            Options.positive(spec, "--steps", steps);
            Options.positive(spec, "--batch-size", batchSize);
            if (neighbours < 0) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--neighbours must be 0 or more.");
            engine.start(spec);
            Model m = LoteModel.isModelFile(model) ? LoteModel.architecture(Path.of(model))
                    : Torchvision.has(model) ? Torchvision.build(model, input, classes) : Presets.resolve(model, input, classes);
            if (frozenBatchNorm) freezeBatchNorm(m);
            StepBench.Result r = StepBench.run(m, batchSize, warmup, steps, 42);
            System.out.printf(model + " %s batch %d, %d threads, %s: %.0f ms/step median (%.0f mean), %.2f images/s, peak RSS %.2f GB%n",
                    m.inputShape(), batchSize, Engine.threads(), Engine.precision(), r.medianMs(), r.meanMs(), r.imagesPerSecond(), r.peakRssBytes() / 1e9);
            double[] p = r.phases();
            System.out.printf("  per step: forward %.0f ms, backward %.0f ms, Adam %.0f ms; native kernels %s%n", p[0], p[1], p[3],
                    Engine.nativeKernels());
            if (neighbours > 0) {
                StepBench.Result busy;
                try (StepBench.Neighbours n = StepBench.Neighbours.start(neighbours)) {
                    busy = StepBench.run(m, batchSize, warmup, steps, 42, true);
                }
                int cores = Runtime.getRuntime().availableProcessors();
                System.out.printf("with %d CPU-bound neighbours: %.0f ms/step median (%.0f mean), %.2fx alone by the mean; "
                        + "%d busy processes sharing %d cores evenly would make it %.2fx%n", neighbours, busy.medianMs(), busy.meanMs(),
                        busy.meanMs() / r.meanMs(), neighbours + 1, cores, Math.max(1.0, (neighbours + 1.0) / cores));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "input", mixinStandardHelpOptions = true,
            description = "The input pipeline on a folder: decode ms/image on one core, loader images/s, and an epoch's "
                    + "cost with the loader and with the decoded-image cache against the same steps on a batch in memory.")
    static final class Input implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "Folder of class folders (e.g. from 'lote sample-data').")
        Path dataDir;

        @Option(names = "--steps", defaultValue = "60", description = "Steps of the epoch measurement; 0 = a whole epoch (default: ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--batch-size", defaultValue = "5", description = "Batch size (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(names = "--workers", defaultValue = "2", description = "Loader threads (default: ${DEFAULT-VALUE}).")
        int workers;

        @Option(names = "--cache", paramLabel = "DIR", description = "Folder for the cache measurement (default: a temporary folder).")
        Path cacheDir;

        @Option(names = "--rounds", defaultValue = "3", description = "Alternating rounds; the fastest of each is kept (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--image-size", converter = ShapeConverter.class, paramLabel = "HxW",
                description = "The model's input size the images are decoded to (default: the first image's size; the default recipe's is 96x128).")
        Shape imageSize;

        @Override public Integer call() throws Exception {
            Engine.start(0);
            ImageFolder folder = ImageFolder.scan(dataDir);
            List<Path> files = folder.files();
            Header h = new Decoder().header(files.get(0));
            Shape shape = imageSize != null ? Shape.image(imageSize.height(), imageSize.width(), 3) : Shape.image(h.height(), h.width(), 3);
            int n = steps > 0 ? Math.min(files.size(), steps * batchSize) : files.size();
            BatchSequence seq = new BatchSequence(Split.files(folder.samples()), Split.labels(folder.samples()), batchSize, shape)
                    .seed(1).forEpoch(0);
            System.out.printf("%d images of %s in %s; measuring %d%n", files.size(), shape, dataDir, n);
            double ms = LoaderBench.decodeMillis(seq.files(), shape, 100);
            System.out.printf("read + decode + resize into the batch buffer, one core: %.1f ms/image (median of 100; ÷ 255 to "
                    + "float happens in the step, in libtorch)%n", ms);
            BatchSequence part = new BatchSequence(seq.files().subList(0, n), java.util.Arrays.copyOf(Split.labels(folder.samples()), n), batchSize, shape).seed(1).forEpoch(0);
            System.out.printf("loader, %d workers: %.0f images/s%n", workers, LoaderBench.loaderImagesPerSecond(part, workers, 4));
            Path dir = cacheDir != null ? cacheDir : Files.createTempDirectory("lote-bench-cache");
            BatchSequence cached = LoaderBench.cached(part, dir, workers);
            LoaderBench.Epoch e = LoaderBench.epoch(part, cached, folder.classes().size(), workers, 4, rounds);
            System.out.printf("epoch of %d steps (fastest of %d rounds): in memory %.1f s; with the loader %.1f s (%+.1f %%); "
                    + "from the cache %.1f s (%+.1f %%)%n", e.steps(), rounds, e.inMemorySeconds(), e.loaderSeconds(),
                    100 * e.loaderOverhead(), e.cacheSeconds(), 100 * e.cacheOverhead());
            System.out.printf("end to end: %.2f images/s decoding every image, %.2f images/s from the cache; peak RSS %.2f GB%n",
                    n / e.loaderSeconds(), n / e.cacheSeconds(), Rss.peakBytes() / 1e9);
            return ExitCodes.OK;
        }
    }

    @Command(name = "recipes", mixinStandardHelpOptions = true,
            description = "Train the notebook's recipe and the default recipe on TRAIN and measure both on TEST (unseen images "
                    + "with the same class folders): test accuracy and training time of each.")
    static final class Recipes implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Parameters(index = "0", paramLabel = "TRAIN", description = "Training folder of class folders.")
        Path train;

        @Parameters(index = "1", paramLabel = "TEST", description = "Test folder with the same class folders.")
        Path test;

        @Option(names = "--epochs", defaultValue = "30", description = "Epochs of the default recipe (default: ${DEFAULT-VALUE}).")
        int epochs;

        @Option(names = "--notebook-epochs", defaultValue = "5", description = "Epochs of the notebook's recipe (default: ${DEFAULT-VALUE}).")
        int notebookEpochs;

        @Option(names = "--only", paramLabel = "notebook|default", description = "Run one recipe only.")
        String only;

        @picocli.CommandLine.Mixin EngineFlags engine; // --threads, --precision

        @Override public Integer call() throws Exception {
            engine.start(spec);
            Map<String, Recipe> recipes = new LinkedHashMap<>();
            recipes.put("notebook", Recipe.notebook().withValidationSplit(0).withEpochs(notebookEpochs));
            recipes.put("default", Recipe.defaults().withEpochs(epochs));
            StringBuilder table = new StringBuilder(String.format("%-10s %10s %10s %10s %9s%n", "recipe", "train acc", "val acc", "test acc", "time (s)"));
            for (var recipe : recipes.entrySet()) {
                if (only != null && !only.equals(recipe.getKey())) continue;
                TrainingRun.Result r = TrainingRun.of(Dataset.open(train), recipe.getValue()).console(System.out)
                        .cacheUpTo(TrainCommand.defaultCacheDir(), TrainCommand.AUTOMATIC_CACHE_BYTES).run(); // as lote train does
                try (LoteModel m = r.model()) {
                    var e = m.evaluate(test, 16, 1, 0); // 16: the seed CNN at 768x1024 needs ~2.5 GB per 16 images
                    List<Double> val = r.history().asMap().get("val_accuracy");
                    table.append(String.format(Locale.ROOT, "%-10s %10.4f %10s %10.4f %9.0f%n", recipe.getKey(), r.history().last("accuracy"),
                            val == null ? "-" : String.format(Locale.ROOT, "%.4f", val.get(val.size() - 1)), e.accuracy(), r.seconds()));
                }
            }
            System.out.print(table);
            return ExitCodes.OK;
        }
    }

    @Command(name = "infer", mixinStandardHelpOptions = true,
            description = "Inference speed of a model with its weights (a .lote file, or a Keras/TensorFlow.js model) on "
                    + "in-memory batches: ms/batch and images/s; --cut LAYER times the model up to that layer (frozen features).")
    static final class Infer implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Parameters(index = "0", paramLabel = "MODEL", description = "A .lote, .keras or .h5 file, a TensorFlow.js model, or one of "
                + "torchvision's architectures by name (random weights, 224x224; --cut defaults to its features).")
        Path modelFile;

        @Option(names = "--cut", paramLabel = "LAYER", description = "Time the model up to this layer's output.")
        String cut;

        @Option(names = "--batch-size", defaultValue = "16", description = "Images per batch (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(names = "--steps", defaultValue = "20", description = "Timed batches (default: ${DEFAULT-VALUE}).")
        int steps;

        @picocli.CommandLine.Mixin EngineFlags engine; // --threads, --precision

        @Override public Integer call() throws Exception {
            Options.positive(spec, "--steps", steps);
            Options.positive(spec, "--batch-size", batchSize);
            engine.start(spec);
            long t = System.nanoTime();
            String name = modelFile.toString();
            if (Torchvision.has(name) && cut == null) cut = Torchvision.FEATURES.get(name);
            try (LoteModel m = Torchvision.has(name)
                    ? LoteModel.create(Torchvision.build(name, 1000), java.util.stream.IntStream.range(0, 1000)
                            .mapToObj(Integer::toString).toList(), Resize.CROP, 1)
                    : LoteModel.open(modelFile)) {
                double load = (System.nanoTime() - t) / 1e9;
                Model arch = cut == null ? m.architecture() : m.architecture().upTo(cut);
                var r = InferBench.run(arch, m.weights(), m.info().preprocessing().pixelScale(),
                        batchSize, 3, steps);
                System.out.printf("%s%s %s batch %d, %d threads, %s: loaded in %.2f s; %.1f ms/batch median, %.1f images/s, peak RSS %.2f GB%n",
                        modelFile, cut == null ? "" : " up to " + cut, arch.inputShape(), batchSize, Engine.threads(), Engine.precision(), load,
                        r.medianMs(), r.imagesPerSecond(), r.peakRssBytes() / 1e9);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "model", mixinStandardHelpOptions = true,
            description = "A model file's costs: save and load time (with Adam's state), and prediction images/s on a folder.")
    static final class ModelCosts implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "MODEL", description = "A .lote model file.")
        Path modelFile;

        @Parameters(index = "1", paramLabel = "DIR", description = "Images to classify (class folders or not).")
        Path dataDir;

        @Option(names = "--batch-size", defaultValue = "16", description = "Prediction batch size (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Override public Integer call() throws Exception {
            Engine.start(0);
            long t = System.nanoTime();
            try (LoteModel m = LoteModel.load(modelFile)) {
                double load = (System.nanoTime() - t) / 1e9;
                Path copy = Files.createTempFile("lote-bench", ".lote");
                t = System.nanoTime();
                m.save(copy, null);
                double save = (System.nanoTime() - t) / 1e9;
                t = System.nanoTime();
                try (LoteModel again = LoteModel.load(copy)) {
                    load = (System.nanoTime() - t) / 1e9; // the file as this Lote writes it, libtorch already loaded
                }
                System.out.printf("%s: %,d parameters, %.1f MB on disk; save %.2f s, load %.2f s (with Adam's state)%n", modelFile,
                        m.architecture().parameterCount(), Files.size(copy) / 1e6, save, load);
                Files.delete(copy);
                List<Path> files;
                try (var s = Files.walk(dataDir)) {
                    files = s.filter(p -> Files.isRegularFile(p) && ImageFolder.isImageName(p)).sorted().toList();
                }
                m.predict(files.subList(0, Math.min(files.size(), 2 * batchSize)), batchSize, new SkippedFiles(null)); // warm-up
                t = System.nanoTime();
                int n = m.predict(files, batchSize, new SkippedFiles(null)).size();
                double seconds = (System.nanoTime() - t) / 1e9;
                System.out.printf("predict: %d images in %.1f s = %.1f images/s (batch %d, decoding included); peak RSS %.2f GB%n", n,
                        seconds, n / seconds, batchSize, Rss.peakBytes() / 1e9);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Load test of 'lote serve' on 127.0.0.1: CLIENTS concurrent clients each send REQUESTS small images; "
                    + "errors, wrong answers, p50/p99 latency and the server's RSS for each half.")
    static final class Serve implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Parameters(index = "0", paramLabel = "MODEL", description = "A .lote model file to serve.")
        Path modelFile;

        @Option(names = "--clients", defaultValue = "32", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
        int clients;

        @Option(names = "--requests", defaultValue = "1000", description = "Requests per client (default: ${DEFAULT-VALUE}).")
        int requests;

        @Option(names = "--images", paramLabel = "DIR",
                description = "Images to send, up to 64 (default: 16 generated 96x128 JPEGs).")
        Path images;

        @picocli.CommandLine.Mixin EngineFlags engine; // the server's --threads and --precision

        @Override public Integer call() throws Exception {
            List<String> server = new java.util.ArrayList<>(List.of("serve", modelFile.toString(), "--port", "0"));
            server.addAll(engine.forChild(spec));
            Options.positive(spec, "--clients", clients);
            Options.positive(spec, "--requests", requests);
            List<byte[]> bodies = new java.util.ArrayList<>();
            Path dir = images != null ? images : Files.createTempDirectory("lote-serve-bench");
            if (images == null) SampleImages.write(dir, 4, 4, 96, 128, 3);
            try (var s = Files.walk(dir)) {
                for (Path p : s.filter(p -> Files.isRegularFile(p) && ImageFolder.isImageName(p)).sorted().limit(64).toList()) {
                    bodies.add(Files.readAllBytes(p));
                }
            }
            if (bodies.isEmpty()) throw new IllegalArgumentException("No image files in " + dir + ".");
            System.out.printf("%d clients x %d requests against lote serve %s, %s (%d different images, %.1f KB on average)%n",
                    clients, requests, modelFile, engine.precision, bodies.size(), bodies.stream().mapToInt(b -> b.length).average().orElse(0) / 1024);
            ServeLoad.Result r = ServeLoad.run(Launcher.javaCommand(server), bodies, clients, requests);
            System.out.printf("server RSS when idle after warm-up: %.0f MB%n", r.rssBeforeBytes() / 1e6);
            String[] names = {"first half ", "second half"};
            for (int i = 0; i < 2; i++) {
                var h = r.halves().get(i);
                System.out.printf(java.util.Locale.ROOT, "%s: %d requests in %.1f s = %.0f/s, %d errors, %d wrong answers; latency p50 %.1f ms, "
                        + "p99 %.1f ms, max %.0f ms; server RSS %.0f MB%n", names[i], h.requests(), h.seconds(), h.perSecond(),
                        h.errors(), h.wrong(), h.p50Ms(), h.p99Ms(), h.maxMs(), h.rssBytes() / 1e6);
            }
            double growth = (r.halves().get(1).rssBytes() - r.halves().get(0).rssBytes()) * 100.0 / r.halves().get(0).rssBytes();
            System.out.printf(java.util.Locale.ROOT, "RSS growth between halves: %+.1f %%%n", growth);
            if (r.firstError() != null) System.out.println("first error: " + r.firstError());
            long bad = r.halves().stream().mapToLong(h -> h.errors() + h.wrong()).sum();
            return bad == 0 ? ExitCodes.OK : ExitCodes.FAILURE;
        }
    }
}
