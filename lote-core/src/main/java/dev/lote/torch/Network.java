package dev.lote.torch;

import dev.lote.data.Batch;
import dev.lote.nn.Activation;
import dev.lote.nn.Adam;
import dev.lote.nn.InputLayer;
import dev.lote.nn.Fusion;
import dev.lote.nn.Layer;
import dev.lote.nn.Mode;
import dev.lote.nn.Model;
import dev.lote.nn.Shape;
import dev.lote.nn.Weight;
import dev.lote.nn.Weights;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.MemoryFormat;

/**
 * A {@link Model} made real: its weights in libtorch (created once per layer, by path {@code layer/weight}), the
 * forward pass of its graph, and Keras' Adam. Convolutions run in channels_last memory format (measured ~23 % faster
 * here): the NHWC batch from Java is already channels_last once permuted to NCHW, so no copy is made. Every step runs
 * in its own {@link PointerScope}, so the native memory of intermediate tensors is freed when the step ends; weights
 * and optimizer state live until {@link #close()}. Weight values go in and out in Keras' layout.
 */
public final class Network implements AutoCloseable {
    /** Loss summed over the batch, correct predictions and the number of samples of one step. */
    public record StepResult(double lossSum, int correct, int samples) {}

    /** How the output becomes a loss: logits before a final softmax, raw logits, or probabilities from elsewhere. */
    private enum Output { SOFTMAX_LOGITS, LOGITS, PROBABILITIES }

    private record Param(Weight spec, Tensor tensor, boolean trained) {}

    private final Model spec;
    private final Map<String, Param> params = new LinkedHashMap<>(); // every weight and state tensor, by path
    private final List<Tensor> weights = new ArrayList<>();     // trained by Adam
    private final List<String> trainedPaths = new ArrayList<>();
    private final List<Tensor> moments = new ArrayList<>();     // Adam's m, one per trained weight
    private final List<Tensor> velocities = new ArrayList<>();  // Adam's v
    private final List<Double> rateScales = new ArrayList<>(); // per trained weight: a backbone learns slower than its head
    private final Output output;
    private final long seed;
    private final Graph graph;
    private double pixelScale = 1 / 255.0, pixelOffset = 0;
    private Adam adam = new Adam();
    private long steps;
    private ProcessGroup group; // null: training alone
    private final List<FusedStem.Step> stemSteps = new ArrayList<>(); // this step's fused first block, for backward
    private final long[] phaseNanos = new long[4]; // forward, backward, all-reduce, Adam

    private Network(Model spec, long seed) {
        this.spec = spec;
        this.seed = seed;
        Activation last = spec.activation();
        output = last == Activation.SOFTMAX ? Output.SOFTMAX_LOGITS : last == Activation.LINEAR ? Output.LOGITS : Output.PROBABILITIES;
        graph = new Graph(spec, "", spec.trainable());
    }

    /** Builds the weights with Keras' initialisers (Glorot-uniform kernels, zero biases) from {@code seed}. */
    public static Network build(Model spec, long seed) {
        Engine.seed(seed);
        Network net = new Network(spec, seed);
        for (Tensor w : net.weights) {
            net.moments.add(torch.empty_like(w).zero_());
            net.velocities.add(torch.empty_like(w).zero_());
        }
        return net;
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

    /** One call's forward pass. */
    private interface Forward {
        Tensor apply(List<Tensor> in, Mode mode);
    }

    /** The compiled graph of one model: a forward pass per call, one per layer (a shared layer runs the same one). */
    private final class Graph implements Forward {
        private final Model model;
        private final List<Forward> calls = new ArrayList<>();
        private final int[] lastUse; // the last call that reads each call's output
        private final boolean fused; // the first block runs as one native operation

        Graph(Model model, String prefix, boolean trains) {
            this.model = model;
            lastUse = new int[model.calls().size()];
            for (int i = 0; i < lastUse.length; i++) for (int j : model.calls().get(i).inputs()) lastUse[j] = i;
            Map<Layer, Forward> byLayer = new IdentityHashMap<>();
            Fusion fusion = new Fusion(model);
            int[] stem = prefix.isEmpty() ? stem(model, fusion) : null; // null where the kernel cannot be built
            Weights<Tensor> stemWeights = null; // the depthwise layer's, until the block is made
            FusedStem[] block = {null};
            fused = stem != null;
            for (int i = 0; i < lastUse.length; i++) {
                Model.Call c = model.calls().get(i);
                Layer l = c.layer();
                if (stem != null && (i == stem[0] || i == stem[1])) { // the fused block reads the input itself
                    Weights<Tensor> w = weightsOf(l, l.name() + "/", trains && l.trainable(), c.inputShapes()); // in the usual order
                    if (i == stem[0]) stemWeights = w;
                    else block[0] = FusedStem.create(model.calls().get(stem[0]).inputShapes().get(0).channels(),
                            (dev.lote.nn.DepthwiseConv2D) model.calls().get(stem[0]).layer(), (dev.lote.nn.Conv2D) l,
                            (dev.lote.nn.MaxPooling2D) model.calls().get(stem[2]).layer(), stemWeights, w);
                    calls.add((in, m) -> in.get(0));
                    continue;
                }
                if (stem != null && i == stem[2]) {
                    FusedStem b = block[0];
                    calls.add((in, m) -> b.apply(in.get(0), m.training() ? stemSteps : null));
                    continue;
                }
                if (fusion.padTakenIn(i)) { // the convolution that reads it pads inside itself
                    calls.add((in, m) -> in.get(0));
                    continue;
                }
                int[] pads = fusion.padInto(i);
                if (pads != null) {
                    Weights<Tensor> w = weightsOf(l, prefix + l.name() + "/", trains && l.trainable(), c.inputShapes());
                    calls.add((in, m) -> l.compute(TorchOps.OPS, in, w, m.padded(pads)));
                    continue;
                }
                calls.add(byLayer.computeIfAbsent(l, k -> {
                    if (k instanceof Model sub) return new Graph(sub, prefix + k.name() + "/", trains && k.trainable());
                    Weights<Tensor> w = weightsOf(k, prefix + k.name() + "/", trains && k.trainable(), c.inputShapes());
                    return (in, m) -> k.compute(TorchOps.OPS, in, w, m);
                }));
            }
        }

        /**
         * The calls of DepthwiseConv2D → Conv2D → MaxPooling2D reading the model's input, each layer called once and
         * read only by the next, that {@link FusedStem} computes as one operation; null if the model has none.
         */
        private static int[] stem(Model model, Fusion fusion) {
            List<Model.Call> calls = model.calls();
            for (int i = 0; i < calls.size(); i++) {
                Model.Call c = calls.get(i);
                if (!(c.layer() instanceof dev.lote.nn.DepthwiseConv2D dw) || c.inputs().size() != 1
                        || !(calls.get(c.inputs().get(0)).layer() instanceof InputLayer)) continue;
                int j = fusion.onlyReader(i), k = j < 0 ? -1 : fusion.onlyReader(j);
                if (k < 0 || k == model.outputIndex()) return null;
                if (calls.get(j).layer() instanceof dev.lote.nn.Conv2D pw && calls.get(k).layer() instanceof dev.lote.nn.MaxPooling2D pool
                        && FusedStem.ready(c.inputShapes().get(0).channels(), dw, pw, pool)) return new int[] {i, j, k};
                return null;
            }
            return null;
        }

        @Override public Tensor apply(List<Tensor> in, Mode mode) {
            Tensor[] out = new Tensor[calls.size()];
            List<Integer> inputs = model.inputIndices();
            for (int i = 0; i < inputs.size(); i++) out[inputs.get(i)] = in.get(i);
            Mode inner = mode.inner();
            for (int i = 0; i < out.length; i++) {
                Model.Call c = model.calls().get(i);
                if (c.layer() instanceof InputLayer) continue;
                List<Tensor> args = new ArrayList<>(c.inputs().size());
                for (int j : c.inputs()) args.add(out[j]);
                out[i] = calls.get(i).apply(args, i == model.outputIndex() ? mode : inner);
                for (int j : c.inputs()) if (lastUse[j] == i) release(out, j, in);
            }
            return out[model.outputIndex()];
        }

        /**
         * Drops this handle on an output nobody reads any more, so its memory goes back as the pass goes on instead of
         * when the step ends (autograd keeps what backward needs through its own references).
         */
        private void release(Tensor[] out, int j, List<Tensor> in) {
            Tensor t = out[j];
            if (t == null || j == model.outputIndex()) return;
            for (Tensor x : in) if (x == t) return;
            for (int k = 0; k < out.length; k++) if (k != j && out[k] == t && (lastUse[k] > lastUse[j] || k == model.outputIndex())) return;
            out[j] = null;
            t.close();
        }
    }

    /** Creates a layer's weights (Keras' initialisers, libtorch's layout) and registers them by path. */
    private Weights<Tensor> weightsOf(Layer layer, String prefix, boolean trains, List<Shape> inputs) {
        Map<String, Tensor> mine = new LinkedHashMap<>();
        for (Weight w : layer.weights(inputs)) {
            Tensor t = create(w);
            boolean trained = trains && w.trainable();
            if (trained) {
                t.set_requires_grad(true);
                weights.add(t);
                trainedPaths.add(prefix + w.name());
                rateScales.add(1.0);
            }
            params.put(prefix + w.name(), new Param(w, t, trained));
            mine.put(w.name(), t);
        }
        return new Weights<>() {
            @Override public Tensor get(String name) {
                Tensor t = mine.get(name);
                if (t == null) throw new IllegalStateException(layer.className() + " has no weight '" + name + "'.");
                return t;
            }
            @Override public boolean has(String name) { return mine.containsKey(name); }
            @Override public boolean trains() { return trains; }
        };
    }

    /** libtorch's shape for a Keras weight: conv kernels OIHW (channels_last), depthwise (C·M, 1, kh, kw), dense (out, in). */
    private static long[] engineShape(Weight w) {
        int[] s = w.shape();
        return switch (w.layout()) {
            case CONV_KERNEL -> new long[] {s[3], s[2], s[0], s[1]};
            case DEPTHWISE_KERNEL -> new long[] {(long) s[2] * s[3], 1, s[0], s[1]};
            case DENSE_KERNEL -> new long[] {s[1], s[0]};
            case VECTOR -> java.util.Arrays.stream(s).mapToLong(i -> i).toArray();
        };
    }

    private static Tensor create(Weight w) {
        long[] shape = engineShape(w);
        Tensor t = switch (w.init()) {
            case GLOROT_UNIFORM -> {
                double limit = Math.sqrt(6.0 / w.fanSum()); // U(−l, l), l = √(6 / (fanIn + fanOut)) with Keras' fans
                yield torch.empty(shape).uniform_(-limit, limit, new GeneratorOptional());
            }
            case ZEROS -> torch.zeros(shape);
            case ONES -> torch.ones(shape);
            case CONSTANT -> torch.ones(shape).mul_(new Scalar(w.fill()));
        };
        return shape.length == 4 ? t.contiguous(MemoryFormat.ChannelsLast) : t;
    }

    /** The engine tensor viewed in Keras' layout. */
    private static Tensor toKeras(Weight w, Tensor t) {
        int[] s = w.shape();
        return switch (w.layout()) {
            case CONV_KERNEL -> t.permute(2, 3, 1, 0);
            case DEPTHWISE_KERNEL -> t.reshape(s[2], s[3], s[0], s[1]).permute(2, 3, 0, 1);
            case DENSE_KERNEL -> t.t();
            case VECTOR -> t;
        };
    }

    /** A Keras-layout tensor in the engine's logical layout. */
    private static Tensor fromKeras(Weight w, Tensor k) {
        int[] s = w.shape();
        return switch (w.layout()) {
            case CONV_KERNEL -> k.permute(3, 2, 0, 1);
            case DEPTHWISE_KERNEL -> k.permute(2, 3, 0, 1).reshape((long) s[2] * s[3], 1, s[0], s[1]);
            case DENSE_KERNEL -> k.t();
            case VECTOR -> k;
        };
    }

    public Network optimizer(Adam a) {
        this.adam = a;
        return this;
    }

    public Adam optimizer() { return adam; }

    /** Seeds libtorch's generator (dropout) for an epoch from the build seed, so a resumed run repeats it. */
    public void seedEpoch(int epoch) { Engine.seed(seed * 1_000_003L + epoch + (group == null ? 0 : group.rank() * 7_919L)); }

    /**
     * Trains data-parallel with the other ranks of {@code g} from now on: every rank takes rank 0's weights and
     * state, and each step averages the gradients of all ranks (weighted by their samples) before Adam's update,
     * so N ranks with batch b step as one process with batch N·b.
     */
    public void join(ProcessGroup g) {
        this.group = g;
        try (PointerScope scope = new PointerScope()) {
            for (Param p : params.values()) g.broadcast(p.tensor(), 0);
            // gradients exist from the start, so a rank whose batch is empty still has zeros to contribute
            Tensor zero = null;
            for (Tensor w : weights) zero = zero == null ? w.sum().mul(new Scalar(0)) : zero.add(w.sum().mul(new Scalar(0)));
            if (zero != null) zero.backward();
        }
    }

    /** The group this network trains with, or null. */
    public ProcessGroup group() { return group; }

    /** Averages layer state (batch-norm statistics) across ranks, so every rank holds the same model. */
    public void averageStateAcrossRanks() {
        if (group == null || group.world() == 1) return;
        List<Tensor> state = new ArrayList<>();
        for (Param p : params.values()) if (!p.spec().trainable()) state.add(p.tensor()); // batch-norm statistics
        if (state.isEmpty()) return;
        group.allReduceSum(state);
        try (NoGradGuard guard = new NoGradGuard()) {
            Scalar world = new Scalar((double) group.world());
            for (Tensor t : state) t.div_(world);
        }
    }

    /** Parameters actually allocated (equals {@code spec().parameterCount()}). */
    public long parameterCount() {
        long n = 0;
        for (Param p : params.values()) n += p.tensor().numel();
        return n;
    }

    /** Every weight's Keras description, by path, in layer order. */
    public Map<String, Weight> weightSpecs() {
        Map<String, Weight> out = new LinkedHashMap<>();
        params.forEach((k, p) -> out.put(k, p.spec()));
        return out;
    }

    /** A copy of every weight's values by path ({@code dense/kernel}), in Keras' layout. */
    public Map<String, float[]> weightValues() {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (PointerScope scope = new PointerScope()) {
            params.forEach((k, p) -> out.put(k, values(toKeras(p.spec(), p.tensor()))));
        }
        return out;
    }

    /** Replaces every weight's values (Keras' layout), e.g. from a model file; each must be there with the right size. */
    public void setWeightValues(Map<String, float[]> values) {
        for (String k : params.keySet()) if (!values.containsKey(k)) throw new IllegalArgumentException("weight " + k + " is missing.");
        for (String k : values.keySet()) if (!params.containsKey(k)) throw new IllegalArgumentException("weight " + k
                + " is not in the architecture.");
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            params.forEach((k, p) -> copyInto(p.spec(), p.tensor(), values.get(k), "weight " + k));
        }
    }

    /** Scales the learning rate of the trained weights whose path starts with {@code prefix} (fine-tuning a backbone). */
    public void learningRateScale(String prefix, double scale) {
        for (int i = 0; i < trainedPaths.size(); i++) if (trainedPaths.get(i).startsWith(prefix)) rateScales.set(i, scale);
    }

    /** The paths of the weights Adam trains, in order. */
    public List<String> trainedPaths() { return List.copyOf(trainedPaths); }

    public Adam.State optimizerState() {
        Map<String, float[]> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
        try (PointerScope scope = new PointerScope()) {
            for (int i = 0; i < trainedPaths.size(); i++) {
                Weight w = params.get(trainedPaths.get(i)).spec();
                m.put(trainedPaths.get(i), values(toKeras(w, moments.get(i))));
                v.put(trainedPaths.get(i), values(toKeras(w, velocities.get(i))));
            }
        }
        return new Adam.State(steps, m, v);
    }

    /** Restores Adam exactly where it was, so the next step is the one an uninterrupted run would take. */
    public void restore(Adam.State state) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            for (int i = 0; i < trainedPaths.size(); i++) {
                String k = trainedPaths.get(i);
                float[] m = state.moments().get(k), v = state.velocities().get(k);
                if (m == null || v == null) throw new IllegalArgumentException("Adam's state for " + k + " is missing.");
                Weight w = params.get(k).spec();
                copyInto(w, moments.get(i), m, "Adam moment " + k);
                copyInto(w, velocities.get(i), v, "Adam velocity " + k);
            }
        }
        steps = state.steps();
    }

    private static float[] values(Tensor t) {
        float[] v = new float[Math.toIntExact(t.numel())];
        t.detach().contiguous().data_ptr_float().get(v);
        return v;
    }

    private static void copyInto(Weight w, Tensor t, float[] v, String what) {
        if (v.length != t.numel()) throw new IllegalArgumentException(what + " has " + v.length + " values; the architecture needs "
                + t.numel() + " (shape " + java.util.Arrays.toString(w.shape()) + ").");
        long[] keras = java.util.Arrays.stream(w.shape()).mapToLong(i -> i).toArray();
        Tensor dense = torch.empty(keras);
        dense.data_ptr_float().put(v, 0, v.length);
        t.copy_(fromKeras(w, dense)); // copy_ handles channels_last
    }

    /** One Adam step on a batch: forward, categorical cross-entropy, backward, update. */
    public StepResult trainStep(Batch batch) {
        try (PointerScope scope = new PointerScope()) {
            return step(batch.size() > 0 ? input(batch) : null, batch.labels());
        }
    }

    /** One Adam step on feature vectors (rows of {@code features.length / labels.length} floats): a head on cached features. */
    public StepResult trainStep(float[] features, int[] labels) {
        try (PointerScope scope = new PointerScope()) {
            return step(labels.length > 0 ? floats(features, labels.length) : null, labels);
        }
    }

    private StepResult step(Tensor x, int[] labels) {
        StepResult r = new StepResult(0, 0, 0);
        long t0 = System.nanoTime(), t1 = t0, t2 = t0;
        if (x != null) {
            try {
                Tensor y = labels(labels), logits = forward(x, true), loss = loss(logits, y);
                r = result(logits, loss, y, labels.length); // reads the loss, so the forward pass is done here
                t1 = System.nanoTime();
                if (!weights.isEmpty()) {
                    loss.backward();
                    for (FusedStem.Step s : stemSteps) s.backward();
                }
            } finally {
                stemSteps.clear();
            }
            t2 = System.nanoTime();
        }
        if (group != null) r = averageGradients(r);
        long t3 = System.nanoTime();
        if (r.samples() > 0) update();
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

    /**
     * Sum over ranks of (gradient × samples), divided by all ranks' samples: the gradient of the mean loss over the
     * global batch. The step's metrics travel in the same collective, so every rank sees the global values.
     */
    private StepResult averageGradients(StepResult local) {
        List<Tensor> grads = new ArrayList<>(weights.size() + 1);
        try (NoGradGuard guard = new NoGradGuard()) {
            Scalar n = new Scalar((double) local.samples());
            for (Tensor w : weights) grads.add(w.grad().mul_(n));
            Tensor stats = torch.tensor(new float[] {(float) local.lossSum(), local.correct(), local.samples()});
            grads.add(stats);
            group.allReduceSum(grads);
            float[] global = new float[3];
            stats.data_ptr_float().get(global);
            if (global[2] > 0) {
                Scalar total = new Scalar((double) global[2]);
                for (Tensor w : weights) w.grad().div_(total);
            }
            return new StepResult(global[0], Math.round(global[1]), Math.round(global[2]));
        }
    }

    /** Loss and accuracy on a batch without changing weights (dropout off, no autograd). */
    public StepResult test(Batch batch) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            return evaluate(input(batch), batch.labels());
        }
    }

    /** Loss and accuracy on feature vectors. */
    public StepResult test(float[] features, int[] labels) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            return evaluate(floats(features, labels.length), labels);
        }
    }

    private StepResult evaluate(Tensor x, int[] labels) {
        Tensor y = labels(labels), logits = forward(x, false);
        return result(logits, loss(logits, y), y, labels.length);
    }

    private static Tensor floats(float[] features, int n) {
        Tensor x = torch.empty(n, features.length / n);
        x.data_ptr_float().put(features, 0, features.length / n * n);
        return x;
    }

    /** Class probabilities, one row per sample (a model with linear outputs: the softmax of its logits, as its loss). */
    public float[][] predict(Batch batch) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            Tensor out = forward(input(batch), false);
            return rows(output != Output.PROBABILITIES ? torch.softmax(out, 1) : out, batch.size());
        }
    }

    /** A (n, …) tensor as n Java rows. */
    private static float[][] rows(Tensor t, int n) {
        Tensor flat = t.contiguous().reshape(n, -1);
        int k = (int) flat.size(1);
        float[] all = new float[n * k];
        flat.data_ptr_float().get(all);
        float[][] rows = new float[n][k];
        for (int i = 0; i < n; i++) System.arraycopy(all, i * k, rows[i], 0, k);
        return rows;
    }

    /** Categorical cross-entropy: on logits, or on probabilities clipped at 1e-7 as Keras does. */
    private Tensor loss(Tensor out, Tensor labels) {
        if (output != Output.PROBABILITIES) return torch.cross_entropy_loss(out, labels);
        return torch.nll_loss(torch.log(torch.clamp_min(out, new Scalar(1e-7))), labels);
    }

    /** The model's output per sample in Keras' order (an image output as (H, W, C), flattened): features, embeddings. */
    public float[][] outputs(Batch batch) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            Tensor out = graph.apply(List.of(input(batch)), Mode.INFERENCE);
            return rows(out.dim() == 4 ? out.permute(0, 2, 3, 1) : out, batch.size());
        }
    }

    private StepResult result(Tensor logits, Tensor loss, Tensor labels, int n) {
        long correct = logits.argmax(new LongOptional(1), false).eq(labels).sum().item().toLong();
        return new StepResult(loss.item_float() * (double) n, (int) correct, n);
    }

    private void update() {
        steps++;
        double b1 = adam.beta1(), b2 = adam.beta2();
        double alpha = adam.learningRate() * Math.sqrt(1 - Math.pow(b2, steps)) / (1 - Math.pow(b1, steps));
        try (NoGradGuard guard = new NoGradGuard()) {
            Scalar oneMinusB1 = new Scalar(1 - b1), b2s = new Scalar(b2), oneMinusB2 = new Scalar(1 - b2);
            Scalar eps = new Scalar(adam.epsilon()), minusAlpha = new Scalar(-alpha);
            Scalar decay = new Scalar(1 - adam.learningRate() * adam.weightDecay());
            boolean fused = Native.available();
            for (int i = 0; i < weights.size(); i++) {
                Tensor w = weights.get(i), g = w.grad(), m = moments.get(i), v = velocities.get(i);
                double scale = rateScales.get(i);
                if (fused && NativeAdam.fits(w, g, m, v)) {
                    double decayed = adam.weightDecay() > 0 ? 1 - scale * adam.learningRate() * adam.weightDecay() : 1;
                    NativeAdam.step(w, g, m, v, b1, b2, adam.epsilon(), alpha * scale, decayed);
                    continue;
                }
                if (adam.weightDecay() > 0) w.mul_(scale == 1 ? decay : new Scalar(1 - scale * adam.learningRate() * adam.weightDecay())); // AdamW
                m.lerp_(g, oneMinusB1);
                v.mul_(b2s).addcmul_(g, g, oneMinusB2);
                w.addcdiv_(m, v.sqrt().add_(eps), scale == 1 ? minusAlpha : new Scalar(-alpha * scale));
                g.zero_();
            }
        }
    }

    private Tensor input(Batch batch) {
        Shape s = batch.sampleShape();
        Tensor bytes = torch.empty(new long[] {batch.size(), s.height(), s.width(), s.channels()},
                new TensorOptions(torch.ScalarType.Byte), new MemoryFormatOptional());
        bytes.data_ptr_byte().put(batch.pixels(), 0, Math.toIntExact(batch.size() * s.size()));
        Tensor x = bytes.to(torch.ScalarType.Float);
        // ÷ 255 in float32 equals numpy's pixels / 255 cast to float32 for all 256 values
        if (pixelScale == 1 / 255.0) x = x.div_(new Scalar(255f));
        else if (pixelScale != 1) x = x.mul_(new Scalar(pixelScale));
        if (pixelOffset != 0) x = x.add_(new Scalar(pixelOffset));
        return x.permute(0, 3, 1, 2); // NHWC memory viewed as NCHW = channels_last, no copy
    }

    private static Tensor labels(int[] labels) {
        long[] y = new long[labels.length];
        for (int i = 0; i < y.length; i++) y[i] = labels[i];
        return torch.tensor(y);
    }

    private Tensor forward(Tensor x, boolean training) {
        return graph.apply(List.of(x), new Mode(training, output == Output.SOFTMAX_LOGITS));
    }

    @Override public void close() {
        for (Param p : params.values()) p.tensor().close();
        for (List<Tensor> list : List.of(moments, velocities)) {
            for (Tensor t : list) t.close();
            list.clear();
        }
        params.clear();
        weights.clear();
    }
}
