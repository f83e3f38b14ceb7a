package dev.lote.cli;

import dev.lote.LoteModel;
import dev.lote.TrainingRun;
import dev.lote.cli.Options.ShapeConverter;
import dev.lote.data.Dataset;
import dev.lote.dist.World;
import dev.lote.image.Augmentation;
import dev.lote.image.Limits;
import dev.lote.image.Resize;
import dev.lote.nn.Shape;
import dev.lote.report.Report;
import dev.lote.torch.Engine;
import dev.lote.train.History;
import dev.lote.train.LearningRateFinder;
import dev.lote.train.Recipe;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a classifier from a folder of class folders (DIR/<class>/<image>, or DIR/train, DIR/val).")
class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "DIR", arity = "0..1",
            description = "Folder with one sub-folder of images per class (with --resume: the run's folder by default).")
    Path dataDir;

    @Option(names = "--epochs", description = "Passes over the training data (default: 30, stopped early when validation "
            + "stops improving; 5 with seed-cnn, as the notebook; with --resume, the run's plan).")
    Integer epochs;

    @Option(names = "--batch-size", description = "Images per step (default: 32; 5 with seed-cnn, as the notebook).")
    Integer batchSize;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for weights, split and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-o", "--output"}, defaultValue = "model.lote", paramLabel = "FILE",
            description = "Where to write the trained model (default: ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--resume", paramLabel = "FILE",
            description = "Continue the run saved in FILE (a model or checkpoint) at its next epoch, exactly as if it had not stopped.")
    Path resume;

    @Option(names = "--checkpoint", paramLabel = "DIR", description = "Save DIR/epoch-NNN.lote after every epoch and DIR/best.lote.")
    Path checkpointDir;

    @Option(names = "--keep-checkpoints", defaultValue = "3", description = "Epoch checkpoints kept (default: ${DEFAULT-VALUE}).")
    int keepCheckpoints;

    @Option(names = "--monitor", paramLabel = "METRIC",
            description = "Metric for the best checkpoint, early stopping and --reduce-lr (default: val_loss with validation, else loss).")
    String monitor;

    @Option(names = "--early-stopping", defaultValue = "auto", paramLabel = "PATIENCE|off",
            description = "Stop when the monitored metric has not improved for PATIENCE epochs, and keep the best epoch's weights "
                    + "(default: 10 with validation data, off with seed-cnn).")
    String earlyStopping;

    @Option(names = "--min-delta", defaultValue = "0", description = "Smallest change that counts as an improvement (default: ${DEFAULT-VALUE}).")
    double minDelta;

    @Option(names = "--reduce-lr", paramLabel = "PATIENCE", description = "Halve the learning rate when the monitored metric stalls for PATIENCE epochs.")
    Integer reduceLr;

    @Option(names = "--csv-log", paramLabel = "FILE", description = "Append one row of metrics per epoch to FILE.")
    Path csvLog;

    @Option(names = "--tensorboard", paramLabel = "DIR", description = "Write TensorBoard logs to DIR (DIR/train, DIR/validation): "
            + "metrics and learning rate per epoch, the recipe, the confusion matrix. View with: tensorboard --logdir DIR")
    Path tensorBoard;

    @Option(names = "--model", defaultValue = "small-cnn", paramLabel = "NAME|FILE",
            description = "A preset (small-cnn: a small CNN that generalizes; seed-cnn: the notebook's CNN, trained with the "
                    + "notebook's recipe), a spec in JSON (Lote's layer list or a Keras config), or a model to start from: "
                    + "a .lote, .keras or .h5 file or a TensorFlow.js model (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--backbone", paramLabel = "NAME|FILE",
            description = "Fine-tune a pretrained network: one of torchvision's (resnet18, resnet50, mobilenet_v2, mobilenet_v3_small, "
                    + "mobilenet_v3_large, efficientnet_b0; ImageNet weights, downloaded once) or a model file (.lote, .keras, .h5, "
                    + "TensorFlow.js) cut at --cut LAYER. Phase 1 trains a new head on cached features (--head-epochs), phase 2 "
                    + "the whole network (--epochs, default 10) at a lower learning rate for the backbone.")
    String backbone;

    @Option(names = "--cut", paramLabel = "LAYER", description = "With --backbone FILE: the layer whose output is the features.")
    String cut;

    @Option(names = "--backbone-weights", paramLabel = "FILE", description = "The backbone's weights (.pth or .safetensors) instead of downloading them.")
    Path backboneWeights;

    @Option(names = "--head-epochs", defaultValue = "100", description = "Phase 1's epochs at most: the head on frozen features, "
            + "a fraction of a second each; it stops when val_loss has not improved for 5 (default: ${DEFAULT-VALUE}).")
    int headEpochs;

    @Option(names = "--backbone-lr-scale", description = "Phase 2: the backbone's learning rate as a share of the head's: its "
            + "bottom layer's with discriminative rates (default: 0.01), the whole backbone's without (default: 0.1).")
    Double backboneLrScale;

    @Option(names = "--warmup-epochs", defaultValue = "1", description = "Phase 2: its learning rate rises from 0 over these "
            + "first epochs, then follows the cosine (default: ${DEFAULT-VALUE}).")
    int warmupEpochs;

    @Option(names = "--unfreeze", paramLabel = "N|SHARE|all", defaultValue = "0.5", description = "Phase 2: train only the "
            + "backbone's top N convolution and dense layers, or that SHARE of them (Keras' fine_tune_at, from the top); the "
            + "rest stay frozen, which saves memory and time (default: ${DEFAULT-VALUE}, the top half).")
    String unfreeze;

    @Option(names = "--discriminative-lr", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Phase 2: --backbone-lr-scale is the bottom layer's share of the head's rate, rising geometrically layer "
                    + "by layer to the head's (fastai's slice(lo, hi)); on by default, --no-discriminative-lr for one rate.")
    boolean discriminative;

    @Option(names = "--views", defaultValue = "5", description = "Phase 1: features of each training image under VIEWS views, "
            + "the image and VIEWS-1 copies augmented as --augment says, so the head learns from what phase 2 shows it "
            + "(default: ${DEFAULT-VALUE}).")
    int views;

    @Option(names = "--augment", defaultValue = "auto", paramLabel = "default|none|flip,crop,rotate,color,noise,blur[,mixup,cutmix]",
            description = "Random changes to training images (default: 'default' = flip,crop,rotate,color; none with seed-cnn); "
                    + "mixup and cutmix also mix each batch with itself shuffled, labels too (timm's), e.g. default,mixup,cutmix.")
    String augment;

    @Option(names = "--lr-schedule", defaultValue = "auto", paramLabel = "constant|cosine",
            description = "Learning-rate schedule (default: cosine decay over the planned epochs; constant with seed-cnn).")
    String lrSchedule;

    @Option(names = "--learning-rate", defaultValue = "1e-3", paramLabel = "RATE|auto",
            description = "Adam's learning rate, or auto: the rate the learning-rate finder suggests (lote lr-find) (default: ${DEFAULT-VALUE}).")
    String learningRate;

    @Option(names = "--weight-decay", defaultValue = "0", description = "Decoupled weight decay (AdamW) (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--image-size", converter = ShapeConverter.class, paramLabel = "HxW",
            description = "Model input size; images are resized to it (default: the first image's size).")
    Shape imageSize;

    @Option(names = "--resize", defaultValue = "stretch", paramLabel = "stretch|crop|pad",
            description = "How images of another size are fitted (default: ${DEFAULT-VALUE}).")
    String resize;

    @Option(names = "--validation-split", defaultValue = "0.2", paramLabel = "FRACTION",
            description = "Hold out this fraction of each class for validation; 0 trains on everything (default: ${DEFAULT-VALUE}; "
                    + "a val/ folder beside train/ is used instead when present).")
    double validationSplit;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "Labels from FILE instead of class folders: CSV rows file,label[,split] (paths relative to DIR; split: "
                    + "train, val or test, overriding --validation-split) or JSON lines. Rows that are wrong are named with their "
                    + "line and left out (--strict: stop).")
    Path labels;

    @Option(names = "--class-weight", defaultValue = "none", paramLabel = "balanced|none|FILE",
            description = "Weigh each class's images in the loss (Keras' class_weight): balanced = n / (classes × class size); "
                    + "FILE: a .json object or .csv rows of class,weight (classes not named weigh 1) (default: ${DEFAULT-VALUE}).")
    String classWeight;

    @Option(names = "--sampler", defaultValue = "shuffle", paramLabel = "shuffle|balanced",
            description = "How an epoch draws its images: shuffle (each once), or balanced (as many, with replacement, every class "
                    + "equally often: rare classes oversampled) (default: ${DEFAULT-VALUE}).")
    String sampler;

    @Option(names = "--label-smoothing", defaultValue = "0", paramLabel = "S",
            description = "Keras' label_smoothing: train towards (1 - S) for the labelled class and S / classes for every class, "
                    + "so the model is less overconfident (fastai's fine-tuning default is 0.1) (default: ${DEFAULT-VALUE}).")
    double labelSmoothing;

    @Option(names = "--multi-label", description = "Each class a yes or no of its own (sigmoid outputs, binary cross-entropy, a "
            + "threshold per class chosen on the validation images for the best F1), for images with several labels; implied when a "
            + "--labels row names several (a;b).")
    boolean multiLabel;

    @Option(names = "--dedup", description = "Keep one file of each group of identical files (training's before validation's); "
            + "without it, validation images identical to training images are named in one warning.")
    boolean dedup;

    @Option(names = "--strict", description = "Stop at the first bad image (default: name it once, skip it, go on).")
    boolean strict;

    @Option(names = "--cache", arity = "0..1", paramLabel = "DIR", fallbackValue = "",
            description = "Keep decoded, resized images on disk so epochs 2+ decode nothing (default folder: ~/.cache/lote/images, "
                    + "or $LOTE_CACHE_DIR/images). Without it they are kept there when they take at most 2 GB.")
    String cache;

    @Option(names = "--no-cache", description = "Decode every image every epoch, even when the resized images would fit the cache.")
    boolean noCache;

    @Option(names = "--workers", defaultValue = "0", description = "Threads decoding images; 0 = cores (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--prefetch", defaultValue = "4", description = "Batches decoded ahead (default: ${DEFAULT-VALUE}).")
    int prefetch;

    @Option(names = "--max-pixels", defaultValue = "100000000", paramLabel = "N",
            description = "Refuse images whose header declares more pixels (default: ${DEFAULT-VALUE}).")
    long maxPixels;

    @picocli.CommandLine.Mixin EngineFlags engine; // --threads, --precision

    @Option(names = "--keep-last-batch", description = "Also train on the last, partial batch (the notebook drops it).")
    boolean keepLast;

    @Option(names = "--summary", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Print the model summary before training (default: ${DEFAULT-VALUE}).")
    boolean summary;

    @Option(names = "--world-size", paramLabel = "N",
            description = "Train data-parallel in N processes (default: WORLD_SIZE, else 1); each takes its shard of every batch.")
    Integer worldSize;

    @Option(names = "--rank", paramLabel = "R", description = "This process's rank, 0 to N-1 (default: RANK, else 0); rank 0 writes the files.")
    Integer rank;

    @Option(names = "--master", paramLabel = "HOST:PORT",
            description = "Where rank 0 listens for the others (default: MASTER_ADDR:MASTER_PORT).")
    String master;

    @Option(names = "--dist-timeout", defaultValue = "120", paramLabel = "SECONDS",
            description = "How long ranks wait for each other before giving up (default: ${DEFAULT-VALUE}).")
    int distTimeout;

    @Option(names = "--report", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Write MODEL-report.html beside the model: learning curves, confusion matrix on the validation "
                    + "images, highest-loss images (default: ${DEFAULT-VALUE}).")
    boolean report;

    @Override public Integer call() throws Exception {
        Options.positive(spec, "--prefetch", prefetch);
        if (workers < 0) Options.positive(spec, "--workers", workers);
        Options.positive(spec, "--dist-timeout", distTimeout);
        World world = World.resolve(worldSize, rank, master, System.getenv());
        PrintStream out = world.rank() == 0 ? System.out : new PrintStream(OutputStream.nullOutputStream());
        engine.start(spec);
        TrainingRun run;
        if (resume != null) {
            LoteModel past = LoteModel.load(resume);
            if (past.recipe() == null) throw new IllegalArgumentException(resume + " has no training record to resume.");
            Recipe recipe = past.recipe(); // the flags given change it, and TrainingRun.resume refuses what a resumed run cannot change
            if (given("--seed")) recipe = recipe.withSeed(seed);
            if (batchSize != null) recipe = recipe.withBatchSize(batchSize);
            if (epochs != null) recipe = recipe.withEpochs(epochs - past.info().training().phaseTwoStart());
            Path data = dataDir != null ? dataDir : Path.of(past.info().training().data());
            String recorded = past.info().training().labels();
            if (labels == null && recorded != null) labels = Path.of(recorded);
            out.printf("Resuming %s%n", resume);
            run = TrainingRun.resume(past, dataset(data, recipe.strict()), recipe);
        } else {
            if (dataDir == null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing required parameter: 'DIR'");
            Recipe recipe = recipe(); // the flags are checked before the folder is read
            Dataset data = dataset(dataDir, recipe.strict());
            if (learningRate.equals("auto") && backbone != null) throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--learning-rate auto does not apply with --backbone: one rate drives both phases; lote lr-find --backbone shows phase 2's curve.");
            if (learningRate.equals("auto")) {
                LearningRateFinder.Result found = settings(TrainingRun.of(data, recipe), world, out)
                        .findLearningRate(LrFindCommand.START, LrFindCommand.END, LrFindCommand.STEPS);
                out.printf(Locale.ROOT, "Learning-rate finder: %.2e (the loss fell fastest there; lowest at %.2e)%n", found.suggested(), found.lowest());
                recipe = recipe.withLearningRate(found.suggested());
            }
            run = TrainingRun.of(data, recipe);
        }
        TrainingRun.Result r = settings(run, world, out).output(output).run();
        try (LoteModel m = r.model()) {
            History h = r.history();
            boolean validated = h.asMap().containsKey("val_loss");
            out.printf(Locale.ROOT, "Trained %s for %d epochs in %.0f s: accuracy %.4f, loss %.4f%s%n", m.recipe().model(), r.epochsRun(),
                    r.seconds(), h.last("accuracy"), h.last("loss"), !validated ? "" : String.format(Locale.ROOT,
                            ", val_accuracy %.4f, val_loss %.4f", h.last("val_accuracy"), h.last("val_loss")));
            out.printf(Locale.ROOT, "Saved the model to %s (peak RSS %.2f GB)%n", output, dev.lote.bench.Rss.peakBytes() / 1e9);
            if (report && world.rank() == 0) {
                Report.write(Report.besideModel(output), m.report(null, m.recipe().batchSize()));
                out.println("Wrote the report to " + Report.besideModel(output));
            }
        }
        if (r.sync() != null) out.printf(Locale.ROOT, "Data-parallel over %d processes: %d collectives took %.1f s of %.0f s (%.1f ms "
                + "per training step on average)%n", r.sync().processes(), r.sync().collectives(), r.sync().seconds(), r.seconds(), r.sync().msPerStep());
        if (r.skipped().count() > 0) {
            out.println("Skipped " + r.skipped().count() + " bad file" + (r.skipped().count() == 1 ? "" : "s") + ":");
            r.skipped().lines().forEach(l -> out.println("  " + l));
        }
        return ExitCodes.OK;
    }

    /** The run's settings from the flags: where it talks, how it loads, caches and checkpoints (not where the model goes). */
    TrainingRun settings(TrainingRun run, World world, PrintStream out) {
        run.console(out).summary(summary).loader(workers > 0 ? workers : Runtime.getRuntime().availableProcessors(), prefetch)
                .limits(new Limits(maxPixels, Limits.DEFAULT.maxFileBytes())).world(world, Duration.ofSeconds(distTimeout)).csvLog(csvLog).tensorBoard(tensorBoard);
        if (checkpointDir != null) run.checkpoints(checkpointDir, keepCheckpoints);
        if (cache != null && noCache) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--cache and --no-cache exclude each other.");
        if (cache != null) run.cache(cache.isEmpty() ? defaultCacheDir() : Path.of(cache));
        else if (!noCache) run.cacheUpTo(defaultCacheDir(), AUTOMATIC_CACHE_BYTES);
        return run;
    }

    /** The run's images: {@code dir}'s class folders, or the images {@code --labels} names (its problems named once, or fatal when strict). */
    Dataset dataset(Path dir, boolean strict) {
        return labels == null ? Dataset.open(dir) : Dataset.withLabels(dir, labels, strict, System.err);
    }

    /** The recipe the flags ask for: the model's (or the backbone's) own, with every flag given on top. */
    Recipe recipe() {
        if (batchSize != null) Options.positive(spec, "--batch-size", batchSize);
        if (epochs != null && !(backbone != null && epochs == 0)) Options.positive(spec, "--epochs", epochs); // 0: the head alone
        Recipe r = Recipe.forModel(model);
        if (backbone != null) Options.requireCut(backbone, cut);
        if (backbone != null) Options.positive(spec, "--views", views);
        if (backbone != null) r = Recipe.fineTuning(backbone).withFineTuning(new Recipe.FineTuning(backbone, cut,
                backboneWeights == null ? null : backboneWeights.toString(), headEpochs, backboneLrScale != null ? backboneLrScale : discriminative ? Recipe.FineTuning.BOTTOM_LR_SCALE : Recipe.FineTuning.UNIFORM_LR_SCALE, warmupEpochs,
                unfreezeShare(), discriminative, views));
        r = r.withSeed(seed).withLearningRate(learningRate.equals("auto") ? 1e-3 : rate(learningRate)).withWeightDecay(weightDecay).withMinDelta(minDelta).withMonitor(monitor)
                .withReduceLr(reduceLr).withStrict(strict).withDedup(dedup).withLabelSmoothing(labelSmoothing).withMultiLabel(multiLabel).withKeepLastBatch(keepLast).withImageSize(imageSize);
        if (batchSize != null) r = r.withBatchSize(batchSize);
        if (epochs != null) r = r.withEpochs(epochs);
        if (given("--resize")) r = r.withResize(Resize.parse(resize));
        if (!augment.equals("auto")) r = r.withAugmentation(Augmentation.parse(augment));
        if (!lrSchedule.equals("auto")) r = r.withSchedule(Recipe.Schedule.parse(lrSchedule));
        if (given("--validation-split")) r = r.withValidationSplit(validationSplit);
        if (earlyStopping.equals("off")) r = r.withEarlyStopping(null);
        else if (!earlyStopping.equals("auto")) r = r.withEarlyStopping(parsePatience(earlyStopping));
        try {
            return r.withClassWeight(dev.lote.train.ClassWeight.parse(classWeight)).withSampler(Recipe.Sampler.parse(sampler));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("Cannot read the class weights " + classWeight + ": " + e.getMessage(), e);
        }
    }

    static final long AUTOMATIC_CACHE_BYTES = 2_000_000_000L;

    /** {@code $LOTE_CACHE_DIR/images}, else {@code ~/.cache/lote/images} (the launcher keeps JavaCPP's files beside it). */
    static Path defaultCacheDir() {
        String dir = System.getenv("LOTE_CACHE_DIR");
        return dir != null && !dir.isBlank() ? Path.of(dir, "images") : Path.of(System.getProperty("user.home"), ".cache", "lote", "images");
    }

    private boolean given(String option) {
        var parsed = spec.commandLine().getParseResult();
        return parsed != null && parsed.hasMatchedOption(option);
    }

    private double rate(String value) {
        try {
            double v = Double.parseDouble(value);
            if (v > 0 && Double.isFinite(v)) return v;
        } catch (NumberFormatException ignored) { /* the message below */ }
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--learning-rate expects a rate above 0 or 'auto', got '" + value + "'.");
    }

    /** --unfreeze: null for all, else a count of layers or a share of them below 1 (Recipe.FineTuning checks the number). */
    private Double unfreezeShare() {
        if (unfreeze.equals("all")) return null;
        try {
            return Double.parseDouble(unfreeze);
        } catch (NumberFormatException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--unfreeze takes a number of layers, a share of them "
                    + "below 1, or all; got '" + unfreeze + "'.");
        }
    }

    private Integer parsePatience(String value) {
        try {
            int p = Integer.parseInt(value);
            if (p >= 0) return p;
        } catch (NumberFormatException ignored) { /* the message below */ }
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--early-stopping expects a patience (0 or more) or 'off', got '" + value + "'.");
    }
}
