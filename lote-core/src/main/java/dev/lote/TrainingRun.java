package dev.lote;

import dev.lote.data.BadDataException;
import dev.lote.data.BatchSequence;
import dev.lote.data.DataException;
import dev.lote.data.Dataset;
import dev.lote.data.DecodedCache;
import dev.lote.data.ImageFolder.Sample;
import dev.lote.data.ImageFolder;
import dev.lote.data.LabelSets;
import dev.lote.data.SkippedFiles;
import dev.lote.data.Split;
import dev.lote.dist.Agreement;
import dev.lote.dist.World;
import dev.lote.image.Decoder;
import dev.lote.image.Limits;
import dev.lote.image.Resize;
import dev.lote.io.AtomicFile;
import dev.lote.io.ModelInfo;
import dev.lote.nn.Adam;
import dev.lote.nn.Shape;
import dev.lote.nn.Summary;
import dev.lote.torch.Network;
import dev.lote.torch.ProcessGroup;
import dev.lote.train.Callback;
import dev.lote.train.CsvLogger;
import dev.lote.train.History;
import dev.lote.train.LearningRateFinder;
import dev.lote.train.ModelCheckpoint;
import dev.lote.train.Recipe;
import dev.lote.train.RecipeCallbacks;
import dev.lote.train.TensorBoard;
import dev.lote.train.TerminateOnNaN;
import dev.lote.train.Trainer;
import dev.lote.weights.WeightCache;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;
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
        this.recipe = data.multiLabel() ? recipe.withMultiLabel(true) : recipe; // several labels in a row imply it
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
        if (lead && output != null) AtomicFile.checkWritable(output, "the model");
        Start s = start(out);
        try {
            return fit(s.model(), s.train(), s.validation(), s.history(), s.phaseTwoStart(), s.decoder(), out, lead);
        } catch (RuntimeException | IOException | Error e) {
            if (s.made()) s.model().close();
            throw e;
        }
    }

    /**
     * The learning-rate range test ({@link LearningRateFinder}) on the model and training batches (augmented) this run
     * would train, {@code steps} steps from {@code from} to {@code to}; nothing is trained or saved. Not for
     * fine-tuning (phase 1 trains the head at the recipe's rate, phase 2 at a tenth of it) or a resumed run.
     */
    public LearningRateFinder.Result findLearningRate(double from, double to, int steps) throws IOException {
        if (recipe.fineTuning() != null) throw new IllegalArgumentException("The learning-rate finder does not run on fine-tuning: "
                + "phase 1 trains the head at the recipe's rate and phase 2 at a tenth of it.");
        if (resumed != null) throw new IllegalArgumentException("A resumed run keeps its learning rate; find one for a new run.");
        if (world.distributed()) throw new IllegalArgumentException("The learning-rate finder runs in one process.");
        PrintStream out = console != null ? console : SILENT;
        Start s = start(out);
        try {
            Shape input = s.model().architecture().inputShape();
            BatchSequence.ImageSource source = BatchSequence.decoding(s.decoder(), input, Resize.parse(s.model().info().preprocessing().resize()));
            BatchSequence train = RunImages.training(recipe, s.train(), input, source, new SkippedFiles(warnings));
            return LearningRateFinder.run(s.model().network(), train, from, to, steps, workers);
        } finally {
            if (s.made()) s.model().close();
        }
    }

    /** What a run starts from: its model (made here or given), split, history so far and where phase 2 starts. */
    private record Start(LoteModel model, boolean made, List<Sample> train, List<Sample> validation, History history, int phaseTwoStart,
                         Decoder decoder) {}

    private Start start(PrintStream out) throws IOException {
        ModelInfo.Training past = past();
        if (past != null && past.worldSize() != world.size()) throw new IllegalArgumentException("The run was trained by "
                + past.worldSize() + " process(es); resume it with the same number, so its batches stay the same.");
        Decoder decoder = new Decoder(limits);
        ImageFolder folder = data.train();
        List<String> classes = RunImages.modelClasses(data, recipe); // multi-label: the single labels of the data's label sets
        RunImages.Parts parts = RunImages.choose(data, recipe, past, resumed == null ? null : recipe.multiLabel() ? folder.classes()
                : resumed.classes(), out, world.rank() == 0 ? warnings : null);
        float[][] labelSets = recipe.multiLabel() ? LabelSets.table(folder.classes(), classes) : null;
        List<Sample> train = parts.train(), validation = parts.validation();
        History history = past != null ? History.of(past.history()) : new History();
        int phaseTwoStart = past != null ? past.phaseTwoStart() : 0; // fine-tuning: where the whole network starts to train
        LoteModel m = resumed != null ? resumed : model;
        boolean made = m == null; // a model this run makes is closed here when the run fails
        if (m != null && !m.classes().equals(classes)) throw new IllegalArgumentException("The classes in " + data.root()
                + " " + classes + " differ from the model's " + m.classes() + ".");
        if (m != null && m.multiLabel() != recipe.multiLabel()) throw new IllegalArgumentException("The model answers "
                + (m.multiLabel() ? "each class yes or no (multi-label)" : "one class per image") + "; the run's data and recipe ask for "
                + (recipe.multiLabel() ? "several labels per image." : "one label per image."));
        if (m == null && recipe.fineTuning() != null) {
            m = RunModels.fineTuned(recipe, classes, train, validation, parts.classWeights(), labelSets, decoder,
                    weightCache != null ? weightCache : new WeightCache(WeightCache.defaultDir(), System.err), workers, history, out);
            phaseTwoStart = history.epochs();
        } else if (m == null) {
            m = RunModels.fromRecipe(recipe, folder, classes, recipe.multiLabel(), decoder);
        } else if (resumed == null) {
            m.network().optimizer(RunModels.adam(recipe, recipe.learningRate()));
        }
        m.network().classWeights(parts.classWeights()).labelSmoothing(recipe.labelSmoothing());
        if (labelSets != null) m.network().labelSets(labelSets);
        return new Start(m, made, train, validation, history, phaseTwoStart, decoder);
    }

    private ModelInfo.Training past() { return resumed == null ? null : resumed.info().training(); }

    private Result fit(LoteModel m, List<Sample> train, List<Sample> validation, History history, int phaseTwoStart, Decoder decoder,
                       PrintStream out, boolean lead) throws IOException {
        ModelInfo.Training past = past();
        Shape input = m.architecture().inputShape();
        Resize policy = Resize.parse(m.info().preprocessing().resize());
        if (summary) out.print(Summary.of(m.architecture()));
        Network net = m.network();
        SkippedFiles skipped = new SkippedFiles(warnings);
        int firstEpoch = past != null ? past.epochsDone() : history.epochs(), totalEpochs = phaseTwoStart + recipe.epochs();
        BatchSequence.ImageSource source = BatchSequence.decoding(decoder, input, policy);
        DecodedCache decodedCache = cache(input, policy, source, train, validation, totalEpochs - firstEpoch, out);
        if (decodedCache != null) source = decodedCache;
        BatchSequence trainData = RunImages.training(recipe, train, input, source, skipped).shard(world.rank(), world.size());
        BatchSequence valData = validation.isEmpty() ? null : RunImages.sequence(recipe, validation, input, source, skipped).keepLast(true)
                .shard(world.rank(), world.size());
        String watched = recipe.monitor(valData != null);
        if (past != null) out.printf("Resuming at epoch %d of %d%n", firstEpoch + 1, totalEpochs);
        String fingerprint = RunRecord.fingerprint(train, validation, data.labels()); // once, now: files may go while training runs
        if (past != null && past.dataFingerprint() != null && !past.dataFingerprint().equals(fingerprint) && warnings != null) warnings.println(
                "lote: warning: the run's images changed since it started (files added, removed, or rewritten); resuming on them as they are now.");
        int phaseTwo = phaseTwoStart;
        IntFunction<ModelInfo.Training> record = done -> new ModelInfo.Training(data.root().toAbsolutePath().toString(),
                fingerprint, recipe.seed(), recipe.batchSize(), totalEpochs, done, recipe, world.size(), phaseTwo, RunRecord.environment(world),
                null, history.asMap(), RunRecord.files(train), RunRecord.files(validation),
                skipped.asMap().entrySet().stream().collect(Collectors.toMap(e -> e.getKey().toString(), Map.Entry::getValue)),
                data.labels() == null ? null : data.labels().toAbsolutePath().toString());

        ProcessGroup group = null;
        TensorBoard board = tensorBoard != null && lead ? new TensorBoard(tensorBoard).learningRate(() -> net.optimizer().learningRate()) : null;
        long start = System.nanoTime();
        try {
            if (world.distributed()) {
                group = Agreement.join(world, distTimeout, new Agreement.Job(recipe.seed(), fingerprint, recipe.batchSize(), trainData.size(),
                        firstEpoch, totalEpochs, m.architecture().parameterCount()), out);
                net.join(group); // every rank starts from rank 0's weights
            }
            TerminateOnNaN nan = new TerminateOnNaN(out);
            Trainer trainer = new Trainer(net).loader(workers, prefetch).callback(nan);
            if (lead && console != null) trainer.console(console);
            if (checkpointDir != null && lead) trainer.callback(new ModelCheckpoint(checkpointDir, keepCheckpoints, watched,
                    (file, done) -> m.save(file, record.apply(done))).resuming(past != null ? history.asMap().get(watched) : null));
            if (recipe.fineTuning() != null && past != null) net.learningRateScale(backboneName(m) + "/", recipe.fineTuning().backboneLrScale());
            RecipeCallbacks.add(trainer, recipe, net, watched, history, past != null, phaseTwoStart, out);
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
            if (recipe.multiLabel()) thresholds(m, train, validation, out);
            m.record(record.apply(history.epochs()));
            if (board != null && !validation.isEmpty() && !recipe.multiLabel()) board.confusion(m.classes(), m.evaluate(Split.files(validation),
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

    /** The decoded-image cache, where the run asked for one and (if automatic) it pays; null otherwise. */
    private DecodedCache cache(Shape input, Resize policy, BatchSequence.ImageSource decoding, List<Sample> train, List<Sample> validation,
                               int epochsLeft, PrintStream out) {
        if (cacheDir == null) return null;
        long bytes = DecodedCache.bytes(input, train.size() + validation.size());
        if (cacheBudget < Long.MAX_VALUE && !DecodedCache.pays(bytes, epochsLeft, cacheBudget, cacheDir)) {
            if (bytes > cacheBudget) out.printf(Locale.ROOT, "Decoding every image every epoch: the resized images take %.1f GB, "
                    + "over the cache's %.1f GB (--cache forces it)%n", bytes / 1e9, cacheBudget / 1e9);
            return null;
        }
        Path dir = world.distributed() ? cacheDir.resolve("rank-" + world.rank()) : cacheDir; // ranks never share a cache file
        List<Sample> all = new ArrayList<>(train);
        all.addAll(validation);
        DecodedCache c = DecodedCache.open(dir, Split.files(all), input, policy, decoding);
        out.println("Caching decoded images in " + c.file());
        return c;
    }

    /** Multi-label: each class's F1-optimal threshold, chosen on the validation images (the training ones when there are none). */
    private void thresholds(LoteModel m, List<Sample> train, List<Sample> validation, PrintStream out) {
        List<Sample> on = validation.isEmpty() ? train : validation;
        double[] t = m.fitThresholds(on, data.train().classes(), recipe.batchSize());
        out.printf(Locale.ROOT, "Thresholds chosen on %d %s images (best F1 per class): %s%n", on.size(), validation.isEmpty()
                ? "training" : "validation", java.util.stream.IntStream.range(0, t.length).mapToObj(c -> String.format(Locale.ROOT, "%s %.2f",
                m.classes().get(c), t[c])).collect(Collectors.joining(", ")));
    }

    private static String backboneName(LoteModel m) {
        return m.architecture().layers().stream().filter(l -> l instanceof dev.lote.nn.Model).findFirst().orElseThrow().name();
    }
}
