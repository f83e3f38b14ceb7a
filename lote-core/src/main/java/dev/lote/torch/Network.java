package dev.lote.torch;

import dev.lote.data.Batch;
import dev.lote.nn.Activation;
import dev.lote.nn.Adam;
import dev.lote.nn.Mode;
import dev.lote.nn.Model;
import dev.lote.nn.Weight;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A {@link Model} made real: its weights in libtorch ({@link Parameters}), its compiled forward pass ({@link Graph}),
 * Keras' Adam ({@link Optimizer}) and, in a distributed run, the gradient exchange ({@link DataParallel}); here are
 * the steps, evaluation and prediction. Convolutions run in channels_last memory format (measured ~23 % faster
 * here): the NHWC batch from Java is already channels_last once permuted to NCHW, so no copy is made. Every step runs
 * in its own {@link PointerScope}, so the native memory of intermediate tensors is freed when the step ends; weights
 * and optimizer state live until {@link #close()}. Weight values go in and out in Keras' layout.
 */
public final class Network implements AutoCloseable {
    /** Loss summed over the batch, correct predictions and the number of samples of one step. */
    public record StepResult(double lossSum, int correct, int samples) {}

    /** How the output becomes a loss: logits before a final softmax, raw logits, or probabilities from elsewhere. */
    private enum Output { SOFTMAX_LOGITS, LOGITS, PROBABILITIES }

    private final Model spec;
    private final Parameters params = new Parameters();
    private final List<FusedStem.Step> stemSteps = new ArrayList<>(); // this step's fused first block, for backward
    private final Graph graph;
    private final Optimizer optimizer;
    private final Output output;
    private final long seed;
    private double pixelScale = 1 / 255.0, pixelOffset = 0;
    private float[] classWeights; // null: every sample counts the same
    private double labelSmoothing;
    private DataParallel parallel; // null: training alone
    private final long[] phaseNanos = new long[4]; // forward, backward, all-reduce, Adam

    private Network(Model spec, long seed) {
        this.spec = spec;
        this.seed = seed;
        Activation last = spec.activation();
        output = last == Activation.SOFTMAX ? Output.SOFTMAX_LOGITS : last == Activation.LINEAR ? Output.LOGITS : Output.PROBABILITIES;
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

    public Network optimizer(Adam a) {
        optimizer.settings(a);
        return this;
    }

    public Adam optimizer() { return optimizer.settings(); }

    /**
     * Keras' {@code class_weight}: from now on the training loss weighs each sample by its class's weight, as the sum of
     * weighted losses over the batch size (Keras' reduction; PyTorch's {@code weight=} divides by the weights' sum
     * instead). Evaluation stays unweighted, as in Keras. Null: no weights.
     */
    public Network classWeights(float[] weights) {
        if (weights != null && weights.length != spec.classes()) throw new IllegalArgumentException(weights.length
                + " class weights for a model of " + spec.classes() + " classes.");
        classWeights = weights == null ? null : weights.clone();
        return this;
    }

    /** Keras' {@code label_smoothing} in [0, 1) for the loss from now on, training and validation alike (as Keras' compiled loss). */
    public Network labelSmoothing(double s) {
        if (!(s >= 0 && s < 1)) throw new IllegalArgumentException("Label smoothing must be in [0, 1), got " + s + ".");
        labelSmoothing = s;
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

    /** The paths of the weights Adam trains, in order. */
    public List<String> trainedPaths() { return List.copyOf(params.trainedPaths()); }

    public Adam.State optimizerState() { return optimizer.state(); }

    /** Restores Adam exactly where it was, so the next step is the one an uninterrupted run would take. */
    public void restore(Adam.State state) { optimizer.restore(state); }

    /** One Adam step on a batch: forward, categorical cross-entropy, backward, update. */
    public StepResult trainStep(Batch batch) {
        try (PointerScope scope = new PointerScope()) {
            return step(batch.size() > 0 ? Tensors.pixels(batch, pixelScale, pixelOffset) : null, batch.labels());
        }
    }

    /** One Adam step on feature vectors (rows of {@code features.length / labels.length} floats): a head on cached features. */
    public StepResult trainStep(float[] features, int[] labels) {
        try (PointerScope scope = new PointerScope()) {
            return step(labels.length > 0 ? Tensors.floats(features, labels.length) : null, labels);
        }
    }

    private StepResult step(Tensor x, int[] labels) {
        StepResult r = new StepResult(0, 0, 0);
        long t0 = System.nanoTime(), t1 = t0, t2 = t0;
        if (x != null) {
            try {
                Tensor y = Tensors.labels(labels), logits = forward(x, true), loss = loss(logits, y, classWeights);
                r = result(logits, loss, y, labels.length); // reads the loss, so the forward pass is done here
                t1 = System.nanoTime();
                if (!params.trained().isEmpty()) {
                    loss.backward();
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
        long t4 = System.nanoTime();
        phaseNanos[0] += t1 - t0;
        phaseNanos[1] += t2 - t1;
        phaseNanos[2] += t3 - t2;
        phaseNanos[3] += t4 - t3;
        return r;
    }

    /** Time spent so far in training steps' forward, backward, gradient exchange and Adam, in ms; resets the counts. */
    public double[] takePhaseMillis() {
        double[] ms = new double[phaseNanos.length];
        for (int i = 0; i < ms.length; i++) ms[i] = phaseNanos[i] / 1e6;
        java.util.Arrays.fill(phaseNanos, 0);
        return ms;
    }

    /** Loss and accuracy on a batch without changing weights (dropout off, no autograd). */
    public StepResult test(Batch batch) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            return evaluate(Tensors.pixels(batch, pixelScale, pixelOffset), batch.labels());
        }
    }

    /** Loss and accuracy on feature vectors. */
    public StepResult test(float[] features, int[] labels) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            return evaluate(Tensors.floats(features, labels.length), labels);
        }
    }

    private StepResult evaluate(Tensor x, int[] labels) {
        Tensor y = Tensors.labels(labels), logits = forward(x, false);
        return result(logits, loss(logits, y, null), y, labels.length);
    }

    /** Class probabilities, one row per sample (a model with linear outputs: the softmax of its logits, as its loss). */
    public float[][] predict(Batch batch) { return predict(batch, 1); }

    /** Test-time augmentation's views at most: the image, mirrored, and five 90 % crops. */
    public static final int MAX_VIEWS = 7;

    /**
     * Test-time augmentation (fastai's {@code tta}): the mean of the class probabilities of {@code views} views of each
     * image: itself, mirrored left to right, then 90 % crops (the centre, then the four corners) resized back.
     */
    public float[][] predict(Batch batch, int views) {
        if (views < 1 || views > MAX_VIEWS) throw new IllegalArgumentException("Test-time augmentation takes 1 to " + MAX_VIEWS
                + " views, got " + views + ".");
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            Tensor x = Tensors.pixels(batch, pixelScale, pixelOffset), sum = null;
            for (int v = 0; v < views; v++) {
                Tensor out = forward(view(x, v), false), p = output != Output.PROBABILITIES ? torch.softmax(out, 1) : out;
                sum = sum == null ? p : sum.add(p);
            }
            return Tensors.rows(views == 1 ? sum : sum.div(new Scalar((double) views)), batch.size());
        }
    }

    /** View {@code v} of an (n, c, h, w) batch: 0 itself, 1 mirrored, 2 to 6 a 90 % crop (centre, corners) resized back. */
    private static Tensor view(Tensor x, int v) {
        if (v == 0) return x;
        if (v == 1) return x.flip(3);
        long h = x.size(2), w = x.size(3), ch = Math.max(1, Math.round(h * 0.9)), cw = Math.max(1, Math.round(w * 0.9));
        long[][] corner = {{(h - ch) / 2, (w - cw) / 2}, {0, 0}, {0, w - cw}, {h - ch, 0}, {h - ch, w - cw}};
        Tensor crop = x.narrow(2, corner[v - 2][0], ch).narrow(3, corner[v - 2][1], cw);
        return torch.upsample_bilinear2d(crop, new long[] {h, w}, false);
    }

    /**
     * Categorical cross-entropy as Keras computes it: on logits, or on probabilities clipped at 1e-7; with label smoothing s
     * the target is (1 − s)·one-hot + s / classes; with class weights each sample's loss is weighed by its class's, then
     * the mean over the batch.
     */
    private Tensor loss(Tensor out, Tensor labels, float[] weights) {
        Tensor logProbabilities = output == Output.PROBABILITIES ? torch.log(torch.clamp_min(out, new Scalar(1e-7))) : null;
        if (weights == null && labelSmoothing == 0) return logProbabilities == null ? torch.cross_entropy_loss(out, labels)
                : torch.nll_loss(logProbabilities, labels);
        Tensor logp = logProbabilities != null ? logProbabilities : torch.log_softmax(out, 1);
        Tensor each = logp.gather(1, labels.unsqueeze(1)).squeeze(1).neg(); // per sample
        if (labelSmoothing > 0) each = each.mul(new Scalar(1 - labelSmoothing)).sub(logp.mean(new long[] {1}, false,
                new org.bytedeco.pytorch.ScalarTypeOptional()).mul(new Scalar(labelSmoothing)));
        if (weights != null) each = each.mul(torch.index_select(Tensors.floats(weights, 1).reshape(-1), 0, labels));
        return each.mean();
    }

    /**
     * Grad-CAM (Selvaraju et al.): for each image, the output of layer {@code layer} (a path, {@code backbone/out_relu} for
     * one inside a nested model; it must give an image-shaped output) weighted by the mean gradient of the score of
     * {@code classes[i]} (the logit where the model ends in softmax) over each channel, summed over channels, ReLU'd and
     * scaled to a maximum of 1: rows of (height × width) of that layer's output. Weights unchanged; dropout off.
     */
    public float[][] gradCam(Batch batch, String layer, int[] classes) {
        if (graph.tap.folded.contains(layer)) throw new IllegalArgumentException("Layer '" + layer + "' runs inside a fused "
                + "operation (the first block, or a padding the next convolution takes in); explain a later layer.");
        try (PointerScope scope = new PointerScope()) {
            graph.tap.wanted = layer;
            graph.tap.captured = null;
            Tensor out;
            try {
                out = forward(Tensors.pixels(batch, pixelScale, pixelOffset), false);
            } finally {
                graph.tap.wanted = null;
            }
            Tensor a = graph.tap.captured;
            graph.tap.captured = null;
            if (a == null || a.dim() != 4) throw new IllegalArgumentException("Layer '" + layer + "' gives no image-shaped output to explain.");
            Tensor score = out.gather(1, Tensors.labels(classes).unsqueeze(1)).sum();
            // the gradient of the score at the layer alone: backward() would also leave gradients on the weights for Adam's next step
            Tensor grad = torch.grad(new org.bytedeco.pytorch.TensorVector(score), new org.bytedeco.pytorch.TensorVector(a)).get(0);
            Tensor weights = grad.mean(new long[] {2, 3}, true, new org.bytedeco.pytorch.ScalarTypeOptional()); // (n, c, 1, 1)
            Tensor cam = a.detach().mul(weights).sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()).relu(); // (n, h, w)
            Tensor peak = cam.amax(new long[] {1, 2}, true).clamp_min(new Scalar(1e-12));
            return Tensors.rows(cam.div(peak), batch.size());
        }
    }

    /** The model's output per sample in Keras' order (an image output as (H, W, C), flattened): features, embeddings. */
    public float[][] outputs(Batch batch) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            Tensor out = graph.apply(List.of(Tensors.pixels(batch, pixelScale, pixelOffset)), Mode.INFERENCE);
            return Tensors.rows(out.dim() == 4 ? out.permute(0, 2, 3, 1) : out, batch.size());
        }
    }

    private StepResult result(Tensor logits, Tensor loss, Tensor labels, int n) {
        long correct = logits.argmax(new LongOptional(1), false).eq(labels).sum().item().toLong();
        return new StepResult(loss.item_float() * (double) n, (int) correct, n);
    }

    private Tensor forward(Tensor x, boolean training) {
        return graph.apply(List.of(x), new Mode(training, output == Output.SOFTMAX_LOGITS));
    }

    @Override public void close() {
        optimizer.close();
        params.close();
    }
}
