package dev.lote;

import dev.lote.data.BadDataException;
import dev.lote.data.BatchSequence;
import dev.lote.data.DataException;
import dev.lote.data.Dataset;
import dev.lote.data.DecodedCache;
import dev.lote.data.Fingerprint;
import dev.lote.data.ImageFolder;
import dev.lote.data.ImageFolder.Sample;
import dev.lote.data.SkippedFiles;
import dev.lote.data.Split;
import dev.lote.dist.World;
import dev.lote.image.BadImageException;
import dev.lote.image.Decoder;
import dev.lote.image.Header;
import dev.lote.image.Limits;
import dev.lote.image.Resize;
import dev.lote.io.ModelFileException;
import dev.lote.io.ModelInfo;
import dev.lote.nn.Adam;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import dev.lote.nn.Summary;
import dev.lote.torch.Network;
import dev.lote.torch.ProcessGroup;
import dev.lote.train.Callback;
import dev.lote.train.CosineDecay;
import dev.lote.train.CsvLogger;
import dev.lote.train.EarlyStopping;
import dev.lote.train.History;
import dev.lote.train.ModelCheckpoint;
import dev.lote.train.OverfittingWarning;
import dev.lote.train.Recipe;
import dev.lote.train.ReduceLROnPlateau;
import dev.lote.train.TensorBoard;
import dev.lote.train.TerminateOnNaN;
import dev.lote.train.Trainer;
import dev.lote.transfer.Backbone;
import dev.lote.transfer.HeadTraining;
import dev.lote.weights.WeightCache;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One training run from a {@link Recipe}: the split, the model (the recipe's, or one given), the batch sequences
 * and the decoded-image cache, the callbacks the recipe asks for, the fit, checkpoints, the record written into
 * the model file, and the distributed world when there is one. {@link LoteModel#fit} and {@code lote train} both
 * run through here; the settings below only decide where files go and how fast it runs, never the result.
 * {@code TrainingRun.of(Dataset.open(dir), Recipe.defaults()).output(Path.of("model.lote")).console(System.out).run()}
 */
public final class TrainingRun {
    /** The loss became NaN or infinite: nothing was saved. */
    public static final class Diverged extends RuntimeException {
        Diverged(String message) { super(message); }
    }

    /** A finished run: the trained model (the caller closes it), its history, and what it cost. */
    public record Result(LoteModel model, History history, int epochsRun, double seconds, SkippedFiles skipped, Sync sync) {}

    /** Data-parallel runs: how many all-reduces there were and how long they took, per training step on average. */
    public record Sync(int processes, long collectives, double seconds, double msPerStep) {}

    private static final PrintStream SILENT = new PrintStream(OutputStream.nullOutputStream());

    private final Dataset data;
    private final Recipe recipe;
    private LoteModel model, resumed;
    private Path output, checkpointDir, cacheDir, csvLog, tensorBoard;
    private long cacheBudget;
    private int keepCheckpoints = 3, workers = Runtime.getRuntime().availableProcessors(), prefetch = 4;
    private Limits limits = Limits.DEFAULT;
    private World world = World.ALONE;
    private Duration distTimeout = Duration.ofSeconds(120);
    private PrintStream console, warnings = System.err;
    private boolean summary;
    private WeightCache weightCache;
    private final List<Callback> callbacks = new ArrayList<>();

    private TrainingRun(Dataset data, Recipe recipe) {
        this.data = data;
        this.recipe = recipe;
    }

    /** A run on {@code data} by {@code recipe}; the model is the recipe's unless {@link #model} gives one. */
    public static TrainingRun of(Dataset data, Recipe recipe) { return new TrainingRun(data, recipe); }

    /**
     * Continues the run saved in {@code checkpoint} (a model or checkpoint file's model) at its next epoch, with its
     * weights, Adam's state, split, seed and data order, as if it had not stopped. {@code recipe} is the run's own
     * ({@link LoteModel#recipe()}), with more epochs when wanted; a different seed or batch size is refused.
     */
    public static TrainingRun resume(LoteModel checkpoint, Dataset data, Recipe recipe) {
        ModelInfo.Training past = checkpoint.info().training();
        if (past == null || past.recipe() == null) throw new IllegalArgumentException("The model has no training record to resume.");
        if (recipe.seed() != past.seed()) throw new IllegalArgumentException("The seed " + recipe.seed() + " differs from the run's seed "
                + past.seed() + "; a resumed run keeps its seed (keep it, or train anew).");
        if (recipe.batchSize() != past.batchSize()) throw new IllegalArgumentException("The batch size " + recipe.batchSize()
                + " differs from the run's " + past.batchSize() + "; a resumed run keeps its batches (keep it, or train anew).");
        TrainingRun run = new TrainingRun(data, recipe);
        run.resumed = checkpoint;
        return run;
    }

    /** Trains this model instead of the one the recipe names (its input size, preprocessing and classes are kept). */
    public TrainingRun model(LoteModel m) { model = m; return this; }
    /** Writes the trained model there, atomically, with the run's record (rank 0 only). Default: not saved. */
    public TrainingRun output(Path file) { output = file; return this; }
    /** Saves {@code dir/epoch-NNN.lote} after every epoch (the last {@code keep}) and {@code dir/best.lote}. */
    public TrainingRun checkpoints(Path dir, int keep) { checkpointDir = dir; keepCheckpoints = keep; return this; }
    /** Keeps the resized 8-bit pixels in {@code dir}, so epochs 2+ decode nothing. Default: no cache. */
    public TrainingRun cache(Path dir) { cacheDir = dir; cacheBudget = Long.MAX_VALUE; return this; }
    /**
     * Keeps the resized pixels in {@code dir} when the run has more than one epoch and they take at most {@code maxBytes}
     * (and the disk has room for them): a 96×128 image is 37 KB, so 2 GB hold 54,000 images; else every epoch decodes.
     */
    public TrainingRun cacheUpTo(Path dir, long maxBytes) { cacheDir = dir; cacheBudget = maxBytes; return this; }
    /** Appends one row of metrics per epoch to {@code file}. */
    public TrainingRun csvLog(Path file) { csvLog = file; return this; }
    /**
     * Writes TensorBoard logs into {@code dir} (rank 0 only): the metrics and learning rate of every epoch, the recipe,
     * and the validation images' confusion matrix at the end.
     */
    public TrainingRun tensorBoard(Path dir) { tensorBoard = dir; return this; }
    /** Threads decoding images (default: cores) and batches decoded ahead (default: 4). */
    public TrainingRun loader(int workers, int prefetch) {
        if (workers < 1 || prefetch < 1) throw new IllegalArgumentException("workers and prefetch must be at least 1.");
        this.workers = workers;
        this.prefetch = prefetch;
        return this;
    }
    /** The decoder's limits: images over them are bad files. */
    public TrainingRun limits(Limits l) { limits = l; return this; }
    /** Data-parallel training in {@code w}'s processes; ranks wait {@code timeout} for each other. */
    public TrainingRun world(World w, Duration timeout) { world = w; distTimeout = timeout; return this; }
    /** Where the run talks: the split, the progress bar, early stopping's lines (rank 0 only). Default: silent. */
    public TrainingRun console(PrintStream out) { console = out; return this; }
    /** Where bad files are named as they are skipped (default: stderr; null: nowhere). */
    public TrainingRun warnings(PrintStream out) { warnings = out; return this; }
    /** Prints the model summary on the console before training. */
    public TrainingRun summary(boolean on) { summary = on; return this; }
    /** Where pretrained backbones' weights are downloaded to (default: ~/.cache/lote/weights). */
    public TrainingRun weightCache(WeightCache c) { weightCache = c; return this; }
    public TrainingRun callbacks(Callback... cs) { callbacks.addAll(List.of(cs)); return this; }

    public Result run() throws IOException {
        boolean lead = world.rank() == 0; // rank 0 alone prints, saves and reports
        PrintStream out = lead && console != null ? console : SILENT;
        if (lead && output != null) checkWritable(output);
        ModelInfo.Training past = resumed == null ? null : resumed.info().training();
        if (past != null && past.worldSize() != world.size()) throw new IllegalArgumentException("The run was trained by "
                + past.worldSize() + " process(es); resume it with the same number, so its batches stay the same.");
        Decoder decoder = new Decoder(limits);
        ImageFolder folder = data.train();
        out.println(folder.describe());
        List<Sample> train = folder.samples(), validation = List.of();
        if (past != null) {
            train = samples(past.trainFiles(), resumed.classes());
            validation = samples(past.validationFiles(), resumed.classes());
        } else if (data.hasValidationFolder()) {
            validation = data.validation().orElseThrow().samples();
            out.println("Using " + validation.size() + " validation images from " + data.validation().orElseThrow().root());
        } else if (recipe.validationSplit() > 0) {
            Split split = Split.stratified(folder.samples(), folder.classes().size(), recipe.validationSplit(), recipe.seed());
            train = split.train();
            validation = split.validation();
            out.printf(Locale.ROOT, "Using %d images for training, %d for validation (%.0f %% of each class)%n",
                    train.size(), validation.size(), recipe.validationSplit() * 100);
        }
        History history = past != null ? History.of(past.history()) : new History();
        int phaseTwoStart = past != null ? past.phaseTwoStart() : 0; // fine-tuning: where the whole network starts to train
        LoteModel m = resumed != null ? resumed : model;
        boolean made = m == null; // a model this run makes is closed here when the run fails
        if (m != null && !m.classes().equals(folder.classes())) throw new IllegalArgumentException("The classes in " + data.root()
                + " " + folder.classes() + " differ from the model's " + m.classes() + ".");
        if (m == null && recipe.fineTuning() != null) {
            m = fineTuned(folder.classes(), train, validation, decoder, history, out);
            phaseTwoStart = history.epochs();
        } else if (m == null) {
            m = fromRecipe(folder, decoder);
        } else if (resumed == null) {
            m.network().optimizer(adam(recipe.learningRate()));
        }
        try {
            return fit(m, train, validation, history, phaseTwoStart, decoder, out, lead);
        } catch (RuntimeException | IOException | Error e) {
            if (made) m.close();
            throw e;
        }
    }

    private Result fit(LoteModel m, List<Sample> train, List<Sample> validation, History history, int phaseTwoStart, Decoder decoder,
                       PrintStream out, boolean lead) throws IOException {
        ModelInfo.Training past = resumed == null ? null : resumed.info().training();
        Shape input = m.architecture().inputShape();
        Resize policy = Resize.parse(m.info().preprocessing().resize());
        if (summary) out.print(Summary.of(m.architecture()));
        Network net = m.network();
        SkippedFiles skipped = new SkippedFiles(warnings);
        BatchSequence.ImageSource source = BatchSequence.decoding(decoder, input, policy);
        DecodedCache decodedCache = null;
        if (cacheDir != null && cacheBudget < Long.MAX_VALUE) { // automatic: only where it pays and fits
            long bytes = (input.size() + 4) * (train.size() + validation.size());
            long free = usableSpace(cacheDir);
            boolean use = totalEpochs(phaseTwoStart) - (past != null ? past.epochsDone() : history.epochs()) > 1 && bytes <= cacheBudget
                    && bytes * 2 < free;
            if (!use && bytes > cacheBudget) out.printf(Locale.ROOT, "Decoding every image every epoch: the resized images take %.1f GB, "
                    + "over the cache's %.1f GB (--cache forces it)%n", bytes / 1e9, cacheBudget / 1e9);
            if (!use) cacheDir = null;
        }
        if (cacheDir != null) {
            Path dir = world.distributed() ? cacheDir.resolve("rank-" + world.rank()) : cacheDir; // ranks never share a cache file
            List<Sample> all = new ArrayList<>(train);
            all.addAll(validation);
            decodedCache = DecodedCache.open(dir, Split.files(all), input, policy, source);
            source = decodedCache;
            out.println("Caching decoded images in " + decodedCache.file());
        }
        BatchSequence trainData = sequence(train, input, source, skipped).keepLast(recipe.keepLastBatch())
                .augment(recipe.augmentation()).shard(world.rank(), world.size());
        BatchSequence valData = validation.isEmpty() ? null : sequence(validation, input, source, skipped).keepLast(true)
                .shard(world.rank(), world.size());
        String watched = recipe.monitor(valData != null);
        int firstEpoch = past != null ? past.epochsDone() : history.epochs(), totalEpochs = totalEpochs(phaseTwoStart);
        if (past != null) out.printf("Resuming at epoch %d of %d%n", firstEpoch + 1, totalEpochs);
        String fingerprint = fingerprint(train, validation); // once, now: files may go while training runs
        if (past != null && past.dataFingerprint() != null && !past.dataFingerprint().equals(fingerprint) && warnings != null) warnings.println(
                "lote: warning: the run's images changed since it started (files added, removed, or rewritten); resuming on them as they are now.");
        List<Sample> trainSamples = train, valSamples = validation;
        int planned = totalEpochs, phaseTwo = phaseTwoStart;
        java.util.function.IntFunction<ModelInfo.Training> record = done -> new ModelInfo.Training(data.root().toAbsolutePath().toString(),
                fingerprint, recipe.seed(), recipe.batchSize(), planned, done, recipe, world.size(), phaseTwo, environment(), null,
                history.asMap(), strings(trainSamples), strings(valSamples),
                skipped.asMap().entrySet().stream().collect(Collectors.toMap(e -> e.getKey().toString(), Map.Entry::getValue)));
        ModelCheckpoint.Saver saver = (file, done) -> m.save(file, record.apply(done));

        ProcessGroup group = null;
        TensorBoard board = tensorBoard != null && lead ? new TensorBoard(tensorBoard).learningRate(() -> net.optimizer().learningRate()) : null;
        long start = System.nanoTime();
        try {
            if (world.distributed()) group = join(m, fingerprint, trainData.size(), firstEpoch, totalEpochs, out);
            TerminateOnNaN nan = new TerminateOnNaN(out);
            Trainer trainer = new Trainer(net).loader(workers, prefetch).callback(nan);
            if (lead && console != null) trainer.console(console);
            List<Double> seen = history.asMap().get(watched);
            if (checkpointDir != null && lead) trainer.callback(new ModelCheckpoint(checkpointDir, keepCheckpoints, watched, saver)
                    .resuming(past != null ? seen : null));
            if (recipe.reduceLr() != null) trainer.callback(new ReduceLROnPlateau(net, watched, 0.5, recipe.reduceLr(), 1e-6, out));
            if (recipe.schedule() == Recipe.Schedule.COSINE) trainer.callback(new CosineDecay(net,
                    recipe.fineTuning() != null ? recipe.learningRate() / 10 : recipe.learningRate()).from(phaseTwoStart));
            if (recipe.fineTuning() != null && past != null) net.learningRateScale(backboneName(m) + "/", recipe.fineTuning().backboneLrScale());
            if (recipe.earlyStopping() != null) {
                EarlyStopping stopping = new EarlyStopping(watched, recipe.earlyStopping(), recipe.minDelta(), net, out)
                        .resuming(past != null ? seen : null);
                if (recipe.fineTuning() != null && past == null && seen != null && !seen.isEmpty() && watched.endsWith("loss")) {
                    int best = 0; // phase 1's best epoch, whose weights the model holds now: phase 2 must beat it
                    for (int e = 1; e < seen.size(); e++) if (seen.get(e) < seen.get(best)) best = e;
                    stopping.baseline(seen.get(best), best, net.weightValues());
                }
                trainer.callback(stopping);
            }
            if (lead) trainer.callback(new OverfittingWarning(out, 0.2, recipe.isNotebook()
                    ? "Try the default recipe (a small CNN with augmentation and early stopping) instead of the notebook's."
                    : "Try more images, augmentation, or fewer epochs."));
            if (csvLog != null && lead) trainer.callback(new CsvLogger(csvLog, past != null));
            if (board != null) {
                board.recipe(new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(recipe));
                trainer.callback(board);
            }
            callbacks.forEach(trainer::callback);
            if (firstEpoch < totalEpochs || past != null) trainer.fit(trainData, valData, firstEpoch, totalEpochs, history); // 0: a head alone
            if (nan.stopped()) throw new Diverged("Training diverged (the loss became " + history.last("loss") + ")"
                    + (output != null ? "; " + output + " was not written" : "") + ". Try a lower learning rate"
                    + (checkpointDir != null ? ", or resume an earlier checkpoint in " + checkpointDir : "") + ".");
            m.record(record.apply(history.epochs()));
            if (board != null && !validation.isEmpty()) board.confusion(m.classes(), m.evaluate(Split.files(validation),
                    Split.labels(validation), recipe.batchSize(), 1, 0).confusion(), Math.max(0, history.epochs() - 1));
            if (lead && output != null) m.save(output);
            if (group != null) group.barrier(); // the model is on disk before any rank reports success
            double seconds = (System.nanoTime() - start) / 1e9;
            Sync sync = group == null ? null : new Sync(world.size(), group.syncs(), group.syncSeconds(),
                    1000 * group.syncSeconds() / Math.max(1, (long) trainData.size() * (history.epochs() - firstEpoch)));
            return new Result(m, history, history.epochs() - firstEpoch, seconds, skipped, sync);
        } catch (DataException e) {
            throw new BadDataException(e.getMessage(), e);
        } finally {
            if (decodedCache != null) decodedCache.close();
            if (group != null) group.close();
            if (board != null) board.close();
        }
    }

    private int totalEpochs(int phaseTwoStart) { return phaseTwoStart + recipe.epochs(); }

    /** Free space where {@code dir} is or would be made. */
    private static long usableSpace(Path dir) {
        try {
            Path p = dir.toAbsolutePath();
            while (p != null && !Files.exists(p)) p = p.getParent();
            return p == null ? 0 : Files.getFileStore(p).getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Joins the other ranks, checks that they all run the same job, and starts every rank from rank 0's weights. */
    private ProcessGroup join(LoteModel m, String fingerprint, int steps, int firstEpoch, int totalEpochs, PrintStream out) {
        out.printf("Joining %d processes at %s:%d (batch %d per process, %d per step)%n", world.size(), world.masterHost(),
                world.masterPort(), recipe.batchSize(), recipe.batchSize() * world.size());
        ProcessGroup group = ProcessGroup.join(world.masterHost(), world.masterPort(), world.rank(), world.size(), distTimeout);
        try {
            Map<String, String> facts = new LinkedHashMap<>(); // what every rank must share, checked before any step
            facts.put("the seed", Long.toString(recipe.seed())); // first: a different seed also makes a different split
            facts.put("the data's fingerprint", fingerprint);
            facts.put("the batch size", Integer.toString(recipe.batchSize()));
            facts.put("the steps per epoch", Integer.toString(steps));
            facts.put("the epochs", firstEpoch + " done of " + totalEpochs);
            facts.put("the model", m.architecture().parameterCount() + " parameters");
            String secret = System.getenv("LOTE_DIST_SECRET");
            facts.put("the join secret (LOTE_DIST_SECRET)", secret == null ? "none"
                    : HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8))));
            group.agree(facts);
            m.network().join(group);
            return group;
        } catch (NoSuchAlgorithmException | RuntimeException e) {
            group.close();
            if (e instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e);
        }
    }

    /** The model the recipe names: a preset or spec at the input size, or a model file to start from. */
    private LoteModel fromRecipe(ImageFolder folder, Decoder decoder) throws ModelFileException {
        LoteModel m;
        if (LoteModel.isModelFile(recipe.model())) {
            m = LoteModel.startFrom(Path.of(recipe.model()), folder.classes(), recipe.resize(), recipe.seed());
            if (recipe.imageSize() != null && !recipe.imageSize().equals(m.architecture().inputShape())) {
                m.close();
                throw new IllegalArgumentException("The image size " + recipe.imageSize() + " differs from " + recipe.model()
                        + "'s input " + m.architecture().inputShape() + ".");
            }
        } else {
            Shape input = recipe.imageSize() != null ? recipe.imageSize() : Presets.defaultInput(recipe.model(), inputShape(decoder, folder));
            m = LoteModel.create(Presets.resolve(recipe.model(), input, folder.classes().size()), folder.classes(), recipe.resize(), recipe.seed());
        }
        m.network().optimizer(adam(recipe.learningRate()));
        return m;
    }

    private Adam adam(double learningRate) { return new Adam(learningRate).withWeightDecay(recipe.weightDecay()); }

    /**
     * Fine-tuning's phase 1: the frozen backbone's features are computed once per image and a new head trains on
     * them. Phase 2 is the ordinary fit that follows: the whole network but its batch normalization, the backbone
     * at the recipe's share of the head's learning rate (a tenth of phase 1's).
     */
    private LoteModel fineTuned(List<String> classes, List<Sample> train, List<Sample> validation, Decoder decoder, History history,
                                PrintStream out) throws IOException {
        Recipe.FineTuning ft = recipe.fineTuning();
        Backbone bb = LoteModel.backbone(ft.backbone(), ft.cut(), ft.weights() == null ? null : Path.of(ft.weights()),
                weightCache != null ? weightCache : new WeightCache(WeightCache.defaultDir(), System.err));
        Shape input = bb.inputShape();
        out.printf(Locale.ROOT, "Fine-tuning %s (%,d parameters) at %s: phase 1 trains a new head on its features%n", ft.backbone(),
                bb.features().parameterCount(), input);
        BatchSequence.ImageSource source = BatchSequence.decoding(decoder, input, recipe.resize());
        SkippedFiles quiet = new SkippedFiles(null); // phase 2 names bad files once
        long start = System.nanoTime();
        HeadTraining.Features trainFeatures, valFeatures;
        dev.lote.nn.Model pooled = Backbone.pooled(bb.classifier(classes.size(), 0, null, null));
        try (Network net = Network.build(pooled, recipe.seed()).pixels(bb.pixelScale(), 0)) {
            Map<String, float[]> w = bb.weightsIn(pooled);
            w.keySet().retainAll(pooled.weightsByPath().keySet());
            net.setWeightValues(w);
            trainFeatures = HeadTraining.features(net, sequence(train, input, source, quiet).keepLast(true), workers);
            valFeatures = HeadTraining.features(net, sequence(validation, input, source, quiet).keepLast(true), workers);
        }
        out.printf(Locale.ROOT, "Features of %d images computed once in %.0f s%n", trainFeatures.labels().length + valFeatures.labels().length,
                (System.nanoTime() - start) / 1e9);
        HeadTraining.Head head = HeadTraining.train(trainFeatures, valFeatures, classes.size(), ft.headEpochs(), recipe.batchSize(),
                adam(recipe.learningRate()), recipe.seed(), 5, history, out);
        dev.lote.nn.Model arch = bb.classifier(classes.size(), 0.2, head.mean(), head.variance());
        Backbone.unfreeze(arch);
        LoteModel m = LoteModel.create(arch, classes, recipe.resize(), recipe.seed()).pixels(bb.pixelScale() == 1 ? "raw" : "unit");
        Map<String, float[]> all = bb.weightsIn(arch);
        all.putAll(head.weights());
        m.network().setWeightValues(all);
        m.network().learningRateScale(bb.features().name() + "/", ft.backboneLrScale());
        m.network().optimizer(adam(recipe.learningRate() / 10));
        out.printf(Locale.ROOT, "Phase 2: the whole network (batch normalization frozen), learning rate %.0e for the head, %.0e for %s%n",
                recipe.learningRate() / 10, recipe.learningRate() / 10 * ft.backboneLrScale(), ft.backbone());
        return m;
    }

    private static String backboneName(LoteModel m) {
        return m.architecture().layers().stream().filter(l -> l instanceof dev.lote.nn.Model).findFirst().orElseThrow().name();
    }

    /** What ran the training, for the record. */
    private Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("lote", LoteModel.version());
        env.put("libtorch", dev.lote.torch.Engine.version());
        env.put("java", System.getProperty("java.version"));
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        env.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        env.put("processes", Integer.toString(world.size()));
        return env;
    }

    /** Fails now, not after hours of training, when the model could not be written there. */
    private static void checkWritable(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".lote-check-", ".tmp"));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("Cannot write the model to " + file + ": " + dir + " is not a writable folder ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ").");
        }
    }

    private static String fingerprint(List<Sample> train, List<Sample> validation) {
        List<Path> all = new ArrayList<>(Split.files(train));
        all.addAll(Split.files(validation));
        return Fingerprint.of(all, "");
    }

    private static List<String> strings(List<Sample> samples) {
        return samples.stream().map(s -> s.file().toAbsolutePath().toString()).toList();
    }

    /** Samples from a run's file list; the label is the class folder's position in {@code classes}. */
    private static List<Sample> samples(List<String> files, List<String> classes) {
        List<Sample> out = new ArrayList<>();
        for (String f : files) {
            Path p = Path.of(f);
            int label = classes.indexOf(p.getParent().getFileName().toString());
            if (label < 0) throw new DataException(p, "The run's file " + p + " is not in one of its class folders " + classes + ".");
            out.add(new Sample(p, label));
        }
        return out;
    }

    private BatchSequence sequence(List<Sample> samples, Shape input, BatchSequence.ImageSource source, SkippedFiles skipped) {
        BatchSequence s = new BatchSequence(Split.files(samples), Split.labels(samples), recipe.batchSize(), input).source(source)
                .seed(recipe.seed());
        return recipe.strict() ? s : s.skipBadFiles(skipped);
    }

    /** The model's input is the first readable image's size, as in the notebook. */
    private Shape inputShape(Decoder decoder, ImageFolder folder) {
        BadImageException last = null;
        for (Sample s : folder.samples()) {
            try {
                Header h = decoder.header(s.file());
                return Shape.image(h.height(), h.width(), 3);
            } catch (BadImageException e) {
                if (recipe.strict()) throw new BadDataException("Bad image " + e.getMessage(), e);
                last = e;
            }
        }
        throw new BadDataException("No readable image in " + folder.root() + (last == null ? "" : "; last error: " + last.getMessage()), last);
    }
}
