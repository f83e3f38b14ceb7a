package dev.lote.torch;

import dev.lote.data.Batch;
import dev.lote.nn.Adam;
import dev.lote.nn.Mode;
import dev.lote.nn.Model;
import dev.lote.nn.Weight;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A {@link Model} made real: its weights in libtorch ({@link Parameters}), compiled forward pass ({@link Graph}), loss
 * ({@link Loss}), Keras' Adam ({@link Optimizer}) and, in a distributed run, the gradient exchange ({@link DataParallel});
 * here are the steps, evaluation and prediction. Convolutions run channels_last (measured ~23 % faster here): the NHWC
 * batch from Java is that already once permuted to NCHW, so no copy is made. Every step runs in its own
 * {@link PointerScope}, so intermediate tensors' native memory is freed when the step ends; weights and optimizer state
 * live until {@link #close()}. Weight values go in and out in Keras' layout.
 */
public final class Network implements AutoCloseable {
    /** Loss summed over the batch, correct predictions and the number of samples of one step. */
    public record StepResult(double lossSum, int correct, int samples) {}

    private final Model spec;
    private final Parameters params = new Parameters();
    private final List<FusedStem.Step> stemSteps = new ArrayList<>(); // this step's fused first block, for backward
    private final Graph graph;
    private final Optimizer optimizer;
    private final Loss loss;
    private final long seed;
    private double pixelScale = 1 / 255.0, pixelOffset = 0;
    private DataParallel parallel; // null: training alone
    private Mixing mixing; // null: batches are not mixed
    private final PhaseTimes times = new PhaseTimes();

    private Network(Model spec, long seed) {
        this.spec = spec;
        this.seed = seed;
        loss = new Loss(spec);
        graph = new Graph(spec, "", spec.trainable(), params, stemSteps);
        optimizer = new Optimizer(params);
    }

    /** Builds the weights with Keras' initialisers (Glorot-uniform kernels, zero biases) from {@code seed}. */
    public static Network build(Model spec, long seed) {
        Engine.seed(seed);
        return new Network(spec, seed);
    }

    public Model spec() { return spec; }

    /** Whether the model's first block runs as one native operation ({@link FusedStem}). */
    boolean fusesFirstBlock() { return graph.fused; }

    /** Pixels reach the model as {@code byte · scale + offset} (default ÷ 255; 1 and 0 when the model rescales itself). */
    public Network pixels(double scale, double offset) {
        this.pixelScale = scale;
        this.pixelOffset = offset;
        return this;
    }

    public Network optimizer(Adam a) { optimizer.settings(a); return this; }

    public Adam optimizer() { return optimizer.settings(); }

    /**
     * Keras' {@code class_weight}: from now on the training loss weighs each sample by its class's weight, as the sum of
     * weighted losses over the batch size (Keras' reduction; PyTorch's {@code weight=} divides by the weights' sum
     * instead). Evaluation stays unweighted, as in Keras. Null: no weights.
     */
    public Network classWeights(float[] weights) { loss.classWeights(weights); return this; }

    /** Keras' {@code label_smoothing} in [0, 1) for the loss from now on, training and validation alike (as Keras' compiled loss). */
    public Network labelSmoothing(double s) { loss.labelSmoothing(s); return this; }

    /** Whether the model ends in a sigmoid: each class a yes or no of its own, trained by binary cross-entropy. */
    public boolean multiLabel() { return loss.multiLabel(); }

    /**
     * Multi-label training: a sample's label indexes {@code sets}, the rows of 0/1 saying which classes it has (one
     * column per class), so a batch's labels stay one int per image. Without it, label i means class i alone.
     */
    public Network labelSets(float[][] sets) { loss.labelSets(sets); return this; }

    /** mixup and/or CutMix ({@link Mixing}) for the training steps on images from now on; both false: off. */
    public Network mixing(boolean mixup, boolean cutmix) {
        mixing = mixup || cutmix ? new Mixing(mixup, cutmix, seed) : null;
        return this;
    }

    /** Seeds libtorch's generator (dropout) for an epoch from the build seed, so a resumed run repeats it. */
    public void seedEpoch(int epoch) { Engine.seed(seed * 1_000_003L + epoch + (parallel == null ? 0 : parallel.group().rank() * 7_919L)); }

    /** Trains data-parallel with the other ranks of {@code g} from now on ({@link DataParallel}). */
    public void join(ProcessGroup g) { parallel = new DataParallel(g, params); }

    /** The group this network trains with, or null. */
    public ProcessGroup group() { return parallel == null ? null : parallel.group(); }

    /** Averages layer state (batch-norm statistics) across ranks, so every rank holds the same model. */
    public void averageStateAcrossRanks() { if (parallel != null) parallel.averageState(); }

    /** Parameters actually allocated (equals {@code spec().parameterCount()}). */
    public long parameterCount() { return params.count(); }

    /** Every weight's Keras description, by path, in layer order. */
    public Map<String, Weight> weightSpecs() { return params.specs(); }

    /** A copy of every weight's values by path ({@code dense/kernel}), in Keras' layout. */
    public Map<String, float[]> weightValues() { return params.values(); }

    /** Replaces every weight's values (Keras' layout), e.g. from a model file; each must be there with the right size. */
    public void setWeightValues(Map<String, float[]> values) { params.setValues(values); }

    /** Scales the learning rate of the trained weights whose path starts with {@code prefix} (fine-tuning a backbone). */
    public void learningRateScale(String prefix, double scale) { optimizer.learningRateScale(prefix, scale); }

    /** Each trained weight's share of the learning rate, by path ({@link #learningRateScale}). */
    public Map<String, Double> learningRateScales() { return optimizer.learningRateScales(); }

    public Adam.State optimizerState() { return optimizer.state(); }

    /** Restores Adam exactly where it was, so the next step is the one an uninterrupted run would take. */
    public void restore(Adam.State state) { optimizer.restore(state); }

    /** One Adam step on a batch: forward, the loss ({@link Loss}), backward, update. */
    public StepResult trainStep(Batch batch) {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = batch.size() > 0 ? pixels(batch) : null;
            return step(x, batch.labels(), mixing != null && batch.size() > 1 ? mixing.mix(x, optimizer.steps()) : null);
        }
    }

    /** One Adam step on feature vectors (rows of {@code features.length / labels.length} floats): a head on cached features. */
    public StepResult trainStep(float[] features, int[] labels) {
        try (PointerScope scope = new PointerScope()) {
            return step(labels.length > 0 ? Tensors.floats(features, labels.length) : null, labels, null);
        }
    }

    /** {@code mix}: the batch mixed (right answers counted against the larger share's labels), or null. */
    private StepResult step(Tensor x, int[] labels, Mixing.Mixed mix) {
        StepResult r = new StepResult(0, 0, 0);
        long t0 = System.nanoTime(), t1 = t0, t2 = t0;
        if (x != null) {
            try {
                Tensor logits = forward(mix != null ? mix.x() : x, true);
                Tensor l = mix == null ? loss.of(logits, labels, true) : loss.mixed(logits, labels, mix.partners(labels), mix.lambda());
                r = result(logits, l, mix == null || mix.lambda() >= 0.5 ? labels : mix.partners(labels)); // reads the loss: the forward pass is done
                t1 = System.nanoTime();
                if (!params.trained().isEmpty()) {
                    l.backward();
                    for (FusedStem.Step s : stemSteps) s.backward();
                }
            } finally {
                stemSteps.clear();
            }
            t2 = System.nanoTime();
        }
        if (parallel != null) r = parallel.averageGradients(r);
        long t3 = System.nanoTime();
        if (r.samples() > 0) optimizer.step();
        params.changed(); // batch statistics moved, and the weights if Adam stepped
        times.add(t0, t1, t2, t3, System.nanoTime());
        return r;
    }

    /** Time spent so far in training steps' forward, backward, gradient exchange and Adam, in ms; resets the counts. */
    public double[] takePhaseMillis() { return times.take(); }

    /** Loss and accuracy on a batch without changing weights (dropout off, no autograd). */
    public StepResult test(Batch batch) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            return evaluate(pixels(batch), batch.labels());
        }
    }

    /** Loss and accuracy on feature vectors. */
    public StepResult test(float[] features, int[] labels) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            return evaluate(Tensors.floats(features, labels.length), labels);
        }
    }

    private StepResult evaluate(Tensor x, int[] labels) {
        Tensor logits = forward(x, false);
        return result(logits, loss.of(logits, labels, false), labels);
    }

    /** Class probabilities, one row per sample (linear outputs: the softmax of the logits, as the loss takes them). */
    public float[][] predict(Batch batch) { return predict(batch, 1); }

    /** Test-time augmentation's views at most: the image, mirrored, and five 90 % crops. */
    public static final int MAX_VIEWS = Views.MAX;

    /**
     * Test-time augmentation (fastai's {@code tta}): the mean of the class probabilities of {@code views} views of each
     * image: itself, mirrored left to right, then 90 % crops (the centre, then the four corners) resized back.
     */
    public float[][] predict(Batch batch, int views) {
        if (views < 1 || views > MAX_VIEWS) throw new IllegalArgumentException("Test-time augmentation takes 1 to " + MAX_VIEWS
                + " views, got " + views + ".");
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            Tensor x = pixels(batch), sum = null;
            for (int v = 0; v < views; v++) {
                Tensor p = loss.probabilities(forward(Views.view(x, v), false));
                sum = sum == null ? p : sum.add(p);
            }
            return Tensors.rows(views == 1 ? sum : sum.div(new Scalar((double) views)), batch.size());
        }
    }

    /**
     * Grad-CAM (Selvaraju et al.) at layer {@code layer} for {@code classes[i]} of each image ({@link GradCam}): rows of
     * (height × width) of that layer's output, scaled to a maximum of 1. Weights unchanged; dropout off.
     */
    public float[][] gradCam(Batch batch, String layer, int[] classes) {
        try (PointerScope scope = new PointerScope()) {
            return GradCam.of(graph, () -> forward(pixels(batch), false), layer, classes);
        }
    }

    /** The model's output per sample in Keras' order (an image output as (H, W, C), flattened): features, embeddings. */
    public float[][] outputs(Batch batch) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            Tensor out = graph.apply(List.of(pixels(batch)), Mode.INFERENCE);
            return Tensors.rows(out.dim() == 4 ? out.permute(0, 2, 3, 1) : out, batch.size());
        }
    }

    private StepResult result(Tensor logits, Tensor l, int[] labels) {
        return new StepResult(l.item_float() * (double) labels.length, (int) loss.correct(logits, labels), labels.length);
    }

    private Tensor pixels(Batch batch) { return Tensors.pixels(batch, pixelScale, pixelOffset); }

    private Tensor forward(Tensor x, boolean training) {
        return graph.apply(List.of(x), new Mode(training, loss.takesLogits()));
    }

    @Override public void close() {
        optimizer.close();
        params.close();
    }
}
