package dev.lote;

import dev.lote.data.BatchSequence;
import dev.lote.data.Dataset;
import dev.lote.data.SkippedFiles;
import dev.lote.dist.World;
import dev.lote.image.Limits;
import dev.lote.image.Resize;
import dev.lote.io.AtomicFile;
import dev.lote.io.ModelInfo;
import dev.lote.nn.Adam;
import dev.lote.nn.Shape;
import dev.lote.train.Callback;
import dev.lote.train.History;
import dev.lote.train.LearningRateFinder;
import dev.lote.train.Recipe;
import dev.lote.train.TensorBoard;
import dev.lote.weights.WeightCache;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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

    final Dataset data;
    final Recipe recipe;
    LoteModel model;
    LoteModel resumed;
    Path output, checkpointDir, cacheDir, csvLog, tensorBoard;
    long cacheBudget;
    int keepCheckpoints = 3, workers = Runtime.getRuntime().availableProcessors(), prefetch = 4;
    Limits limits = Limits.DEFAULT;
    World world = World.ALONE;
    Duration distTimeout = Duration.ofSeconds(120);
    PrintStream console, warnings = System.err;
    boolean summary;
    WeightCache weightCache;
    final List<Callback> callbacks = new ArrayList<>();

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
        RunModels.Start s = RunModels.start(this, out);
        try {
            return new RunFit(this).fit(s, out, lead);
        } catch (RuntimeException | IOException | Error e) {
            if (s.made()) s.model().close();
            throw e;
        }
    }

    /**
     * The learning-rate range test ({@link LearningRateFinder}) on the model and training batches (augmented) this run
     * would train, {@code steps} steps from {@code from} to {@code to}; nothing is trained or saved. Fine-tuning runs
     * phase 1 first and sweeps phase 2, with rates given as the recipe's (phase 2 takes a tenth). Not for a resumed run.
     */
    public LearningRateFinder.Result findLearningRate(double from, double to, int steps) throws IOException {
        if (resumed != null) throw new IllegalArgumentException("A resumed run keeps its learning rate; find one for a new run.");
        if (world.distributed()) throw new IllegalArgumentException("The learning-rate finder runs in one process.");
        PrintStream out = console != null ? console : SILENT;
        RunModels.Start s = RunModels.start(this, out);
        try {
            Shape input = s.model().architecture().inputShape();
            BatchSequence.ImageSource source = BatchSequence.decoding(s.decoder(), input, Resize.parse(s.model().info().preprocessing().resize()));
            BatchSequence train = RunImages.training(recipe, s.train(), input, source, new SkippedFiles(warnings));
            if (recipe.fineTuning() == null) return LearningRateFinder.run(s.model().network(), train, from, to, steps, workers);
            // fine-tuning: phase 1 has run; the test sweeps phase 2's rate (the backbone's layers at their shares of it),
            // given back as the recipe's rate, of which phase 2 takes a tenth
            double k = Recipe.PHASE_TWO_RATE;
            LearningRateFinder.Result r = LearningRateFinder.run(s.model().network(), train, from * k, to * k, steps, workers);
            return new LearningRateFinder.Result(r.curve().stream().map(p -> new LearningRateFinder.Point(p.learningRate() / k, p.loss(),
                    p.smoothed())).toList(), r.suggested() / k, r.lowest() / k);
        } finally {
            if (s.made()) s.model().close();
        }
    }

    ModelInfo.Training past() { return resumed == null ? null : resumed.info().training(); }
}
