package dev.lote.torch;

import dev.lote.nn.Activation;
import dev.lote.nn.BatchNormalization;
import dev.lote.nn.Fusion;
import dev.lote.nn.InputLayer;
import dev.lote.nn.Layer;
import dev.lote.nn.Mode;
import dev.lote.nn.Model;
import dev.lote.nn.Weights;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * A model compiled for libtorch: a forward pass per call, each layer's own computation on {@link TorchOps} (a shared
 * layer runs the same one), a nested model as a graph of its own. Decided once here: a ZeroPadding2D goes into the
 * convolution that reads it ({@link Fusion}); at inference a batch normalization after a convolution folds into it
 * ({@link Folding}; a frozen one in training too), a ReLU before a max pooling runs after it and ReLUs run in place;
 * the notebook's first block runs as one native operation ({@link FusedStem}) where it can. Outputs nobody reads any more are freed as the pass goes on.
 */
final class Graph {
    /** One call's forward pass. */
    interface Forward {
        Tensor apply(List<Tensor> in, Mode mode);
    }

    /** A layer whose output a pass keeps as a leaf that gradients reach (Grad-CAM), by path ({@code backbone/out_relu}). */
    static final class Tap {
        String wanted;
        Tensor captured;
        final java.util.Set<String> folded = new java.util.HashSet<>(); // layers computed inside another: nothing to capture
    }

    private final Model model;
    private final String prefix;
    final Tap tap;
    private final List<Forward> calls = new ArrayList<>();
    private final int[] lastUse; // the last call that reads each call's output
    private int stemCall = -1; // the fused first block's call, which keeps tensors for its backward: not in a scope of its own
    final boolean fused; // the first block runs as one native operation

    /**
     * Compiles {@code model}, creating its layers' weights in {@code params} under {@code prefix}; {@code stemSteps}
     * collects the fused first block's work of a training step for its backward.
     */
    Graph(Model model, String prefix, boolean trains, Parameters params, List<FusedStem.Step> stemSteps) {
        this(model, prefix, trains, params, stemSteps, new Tap());
    }

    private Graph(Model model, String prefix, boolean trains, Parameters params, List<FusedStem.Step> stemSteps, Tap tap) {
        this.model = model;
        this.prefix = prefix;
        this.tap = tap;
        lastUse = new int[model.calls().size()];
        for (int i = 0; i < lastUse.length; i++) for (int j : model.calls().get(i).inputs()) lastUse[j] = i;
        Map<Layer, Forward> byLayer = new IdentityHashMap<>();
        Fusion fusion = new Fusion(model);
        int[] stem = prefix.isEmpty() ? stem(model, fusion) : null; // null where the kernel cannot be built
        Weights<Tensor> stemWeights = null; // the depthwise layer's, until the block is made
        FusedStem[] block = {null};
        Map<Integer, Folding> folds = new java.util.HashMap<>(); // by the batch normalization's call
        Map<Integer, Tail> tails = new java.util.HashMap<>(); // by the call of the pooling that finishes a convolution's work
        fused = stem != null;
        for (int i = 0; i < lastUse.length; i++) {
            Model.Call c = model.calls().get(i);
            Layer l = c.layer();
            if (stem != null && (i == stem[0] || i == stem[1])) tap.folded.add(prefix + l.name());
            if (fusion.padTakenIn(i)) tap.folded.add(prefix + l.name());
            if (stem != null && (i == stem[0] || i == stem[1])) { // the fused block reads the input itself
                Weights<Tensor> w = params.create(l, l.name() + "/", trains && l.trainable(), c.inputShapes()); // in the usual order
                if (i == stem[0]) stemWeights = w;
                else block[0] = FusedStem.create(model.calls().get(stem[0]).inputShapes().get(0).channels(),
                        (dev.lote.nn.DepthwiseConv2D) model.calls().get(stem[0]).layer(), (dev.lote.nn.Conv2D) l,
                        (dev.lote.nn.MaxPooling2D) model.calls().get(stem[2]).layer(), stemWeights, w);
                calls.add((in, m) -> in.get(0));
                continue;
            }
            if (stem != null && i == stem[2]) {
                FusedStem b = block[0];
                stemCall = i;
                calls.add((in, m) -> b.apply(in.get(0), m.training() ? stemSteps : null));
                continue;
            }
            if (fusion.padTakenIn(i)) { // the convolution that reads it pads inside itself
                calls.add((in, m) -> in.get(0));
                continue;
            }
            int[] pads = fusion.padInto(i);
            int norm = fusion.batchNormAfter(i), pool = fusion.onlyReader(norm >= 0 ? norm : i);
            Activation act = l.activation();
            boolean foldable = norm >= 0 && (act == Activation.LINEAR || act == Activation.RELU);
            Layer reader = pool >= 0 && (foldable || norm < 0) ? model.calls().get(pool).layer() : null;
            boolean maxPooled = reader instanceof dev.lote.nn.MaxPooling2D || reader instanceof dev.lote.nn.GlobalMaxPooling2D;
            boolean reluLater = Fusion.isConvolution(l) && maxPooled && (act == Activation.RELU || act == Activation.RELU6 && norm < 0);
            if (foldable || reluLater) { // inference: the normalization folds in, the ReLU and the shift wait for the pooling
                Weights<Tensor> w = params.create(l, prefix + l.name() + "/", trains && l.trainable(), c.inputShapes());
                Folding f = foldable ? new Folding(params, l, w, (BatchNormalization) model.calls().get(norm).layer()) : null;
                if (f != null) folds.put(norm, f);
                boolean shiftLater = f != null && f.afterRelu && (maxPooled || reader instanceof dev.lote.nn.GlobalPooling2D);
                if (reluLater || shiftLater) tails.put(pool, new Tail(f, reluLater ? act : Activation.LINEAR, shiftLater));
                calls.add((in, m) -> {
                    Mode mode = pads == null ? m : m.padded(pads);
                    if (f != null && f.foldsInTraining(m)) return l.compute(TorchOps.OPS, in, f.trainingWeights(), mode);
                    if (!Folding.applies(m)) return l.compute(TorchOps.OPS, in, w, mode);
                    Weights<Tensor> now = f == null ? w : f.weights();
                    return l.compute(TorchOps.OPS, in, now, reluLater && (f == null || !f.normRuns()) ? mode.withReluLater() : mode);
                });
                continue;
            }
            Folding folded = folds.get(i);
            if (folded != null) { // the batch normalization: nothing left, or the shift (here or after the pooling)
                Weights<Tensor> w = params.create(l, prefix + l.name() + "/", trains && l.trainable(), c.inputShapes());
                folded.normWeights(w);
                boolean pooled = tails.values().stream().anyMatch(t -> t.fold() == folded && t.shift());
                calls.add((in, m) -> folded.foldsInTraining(m) ? in.get(0) : !Folding.applies(m) || folded.normRuns() ? l.compute(TorchOps.OPS, in, w, m)
                        : !folded.afterRelu || pooled ? in.get(0) : folded.addShift(in.get(0)));
                continue;
            }
            Tail tail = tails.get(i);
            if (tail != null) {
                Weights<Tensor> w = params.create(l, prefix + l.name() + "/", trains && l.trainable(), c.inputShapes());
                calls.add((in, m) -> {
                    Tensor y = l.compute(TorchOps.OPS, in, w, m);
                    return Folding.applies(m) ? tail.apply(y) : y;
                });
                continue;
            }
            if (pads != null) {
                Weights<Tensor> w = params.create(l, prefix + l.name() + "/", trains && l.trainable(), c.inputShapes());
                calls.add((in, m) -> l.compute(TorchOps.OPS, in, w, m.padded(pads)));
                continue;
            }
            if (Fusion.isRelu(l) && c.inputs().size() == 1 && makesFresh(model, fusion, c.inputs().get(0), i)) {
                double max = l instanceof dev.lote.nn.ReLU r ? r.maxValue() : l.activation() == Activation.RELU6 ? 6 : Double.NaN;
                Weights<Tensor> w = params.create(l, prefix + l.name() + "/", trains && l.trainable(), c.inputShapes());
                calls.add((in, m) -> Folding.applies(m) ? reluInPlace(in.get(0), max) : l.compute(TorchOps.OPS, in, w, m));
                continue;
            }
            calls.add(byLayer.computeIfAbsent(l, k -> {
                if (k instanceof Model sub) return new Graph(sub, prefix + k.name() + "/", trains && k.trainable(), params, stemSteps, tap)::apply;
                Weights<Tensor> w = params.create(k, prefix + k.name() + "/", trains && k.trainable(), c.inputShapes());
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

    /**
     * What an inference pass does after a pooling that reads a convolution: the convolution's ReLU (max pooling
     * commutes with it, and there are fewer values), then a folded normalization's shift ({@link Folding}).
     */
    private record Tail(Folding fold, Activation relu, boolean shift) {
        Tensor apply(Tensor pooled) { // a tensor of its own
            if (fold != null && fold.normRuns()) return pooled; // the layers ran as written
            Tensor y = relu == Activation.LINEAR ? pooled : reluInPlace(pooled, relu);
            return shift ? fold.addShift(y) : y;
        }
    }

    /**
     * Whether call j's output is a tensor of its own (a convolution's, a batch normalization's or a merge's, not a
     * view of another) that only call i reads: then an inference pass may overwrite it.
     */
    private static boolean makesFresh(Model model, Fusion fusion, int j, int i) {
        Layer l = model.calls().get(j).layer();
        return fusion.onlyReader(j) == i && (Fusion.isConvolution(l) || l instanceof BatchNormalization
                || l instanceof dev.lote.nn.Merge mg && mg.op() != dev.lote.nn.Merge.Op.CONCATENATE);
    }

    /** The activation RELU or RELU6 over a tensor nobody else reads, in place. */
    static Tensor reluInPlace(Tensor x, Activation a) { return reluInPlace(x, a == Activation.RELU6 ? 6 : Double.NaN); }

    /** ReLU (clipped at {@code max} unless NaN) over a tensor nobody else reads, without allocating another. */
    static Tensor reluInPlace(Tensor x, double max) {
        // x itself, not what relu_ returns: that is a second handle on x's native tensor, which dangles once x is closed
        if (Double.isNaN(max)) x.relu_();
        else x.clamp_(new org.bytedeco.pytorch.ScalarOptional(new org.bytedeco.pytorch.Scalar(0.0)),
                new org.bytedeco.pytorch.ScalarOptional(new org.bytedeco.pytorch.Scalar(max)));
        return x;
    }

    /** The model's output for its inputs {@code in}. */
    Tensor apply(List<Tensor> in, Mode mode) {
        Tensor[] out = new Tensor[calls.size()];
        List<Integer> inputs = model.inputIndices();
        for (int i = 0; i < inputs.size(); i++) out[inputs.get(i)] = in.get(i);
        Mode inner = mode.inner();
        for (int i = 0; i < out.length; i++) {
            Model.Call c = model.calls().get(i);
            if (c.layer() instanceof InputLayer) continue;
            List<Tensor> args = new ArrayList<>(c.inputs().size());
            for (int j : c.inputs()) args.add(out[j]);
            Mode m = i == model.outputIndex() ? mode : inner;
            out[i] = i == stemCall ? calls.get(i).apply(args, m) : scoped(calls.get(i), args, m);
            if (tap.wanted != null && tap.wanted.equals(prefix + c.layer().name())) { // the rest of the pass reads a leaf
                out[i] = TorchOps.float32(out[i].detach()).requires_grad_(true);
                tap.captured = out[i];
            }
            for (int j : c.inputs()) if (lastUse[j] == i) release(out, j, in);
        }
        Tensor y = out[model.outputIndex()];
        return prefix.isEmpty() ? TorchOps.float32(y) : y; // the loss and every reader of outputs take float32 (bf16 stays inside)
    }

    /**
     * Runs one call in a pointer scope of its own, so the temporaries its ops make (a padded copy, the matrix product a
     * 1×1 convolution views as an image) go as soon as it returns, not when the pass ends: kept to the end, they made
     * MobileNetV2's inference at batch 32 peak at 1.6 GB. The output (unless it is an input) moves to the pass's scope.
     */
    private static Tensor scoped(Forward f, List<Tensor> args, Mode m) {
        PointerScope outer = PointerScope.getInnerScope();
        if (outer == null) return f.apply(args, m);
        Tensor y;
        boolean made;
        try (PointerScope own = new PointerScope()) {
            y = f.apply(args, m);
            made = args.stream().noneMatch(a -> a == y);
            if (made) y.retainReference(); // outlives its scope
        }
        if (made) {
            outer.attach(y);
            y.releaseReference();
        }
        return y;
    }

    /**
     * Drops this handle on an output nobody reads any more, so its memory goes back as the pass goes on instead of
     * when the step ends (autograd keeps what backward needs through its own references).
     */
    private void release(Tensor[] out, int j, List<Tensor> in) {
        Tensor t = out[j];
        if (t == null || j == model.outputIndex() || t == tap.captured) return;
        for (Tensor x : in) if (x == t) return;
        for (int k = 0; k < out.length; k++) if (k != j && out[k] == t && (lastUse[k] > lastUse[j] || k == model.outputIndex())) return;
        out[j] = null;
        t.close();
    }
}
