package dev.lote.torch;

import dev.lote.nn.BatchNormalization;
import dev.lote.nn.Fusion;
import dev.lote.nn.Mode;
import dev.lote.nn.Weights;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * A convolution with the batch normalization after it folded into its weights (kernel · γ/√(var + ε) per output
 * channel, bias · scale + β − mean · scale), for the passes that neither train nor take gradients: prediction,
 * evaluation, serving. That saves a pass over the convolution's output, as ONNX Runtime does on our export; a
 * training pass runs the two layers as written. After a ReLU convolution (small-cnn's conv → ReLU → BN) only a
 * positive scale goes in (s · relu(x) = relu(s · x)); the shift is added after the pooling that reads it, which
 * commutes with it, on 4× fewer values. The folded weights are made again when the weights have changed. A frozen
 * normalization folds in training passes too ({@link #foldsInTraining}).
 */
final class Folding {
    private final Parameters params;
    private final Weights<Tensor> conv;
    private final String kernelName;
    private Weights<Tensor> norm; // the batch normalization's, once the graph has made them
    private final double epsilon;
    final boolean afterRelu; // the convolution applies a ReLU before the normalization
    private long generation = -1;
    private Tensor kernel, bias, shift; // shift: after a ReLU, what is left to add; null where a scale is not positive

    Folding(Parameters params, dev.lote.nn.Layer conv, Weights<Tensor> weights, BatchNormalization norm) {
        this.params = params;
        this.conv = weights;
        this.kernelName = Fusion.outputKernel(conv);
        this.epsilon = norm.epsilon();
        this.afterRelu = conv.activation() == dev.lote.nn.Activation.RELU;
    }

    /** The fast paths (this folding, ReLU in place) on; {@code LOTE_FUSION=0} turns them off to compare. */
    static volatile boolean enabled = !"0".equals(System.getenv("LOTE_FUSION"));

    /**
     * Whether a pass in mode {@code m} takes inference's fast paths: not training, no autograd (Grad-CAM needs the
     * layers as they are).
     */
    static boolean applies(Mode m) { return enabled && !m.training() && !GradMode.is_enabled(); }

    /**
     * Whether a training pass folds the normalization too: where it is frozen (inference mode and fixed weights, as
     * fine-tuning's phase 2 runs a backbone's) after a linear convolution. Then backward keeps one tensor where it kept
     * two (the convolution's output and the normalization's) and skips a pass; the gradient reaches the kernel through
     * the fold.
     */
    boolean foldsInTraining(Mode m) { return enabled && m.training() && !afterRelu && norm != null && !norm.trains(); }

    /** The convolution's weights with the frozen normalization folded in, for a pass that trains the kernel ({@link #foldsInTraining}). */
    Weights<Tensor> trainingWeights() {
        Tensor scale, shift;
        try (NoGradGuard guard = new NoGradGuard()) {
            Tensor[] st = scaleAndShift();
            scale = st[0];
            shift = st[1];
        }
        Tensor k = conv.get(kernelName), kernel = k.mul(scale.view(-1, 1, 1, 1)).contiguous(k.suggest_memory_format());
        Tensor bias = conv.has("bias") ? conv.get("bias").mul(scale).add(shift) : shift;
        return new Weights<>() {
            @Override public Tensor get(String name) {
                if (name.equals(kernelName)) return kernel;
                return name.equals("bias") ? bias : conv.get(name);
            }
            @Override public boolean has(String name) { return name.equals("bias") || conv.has(name); }
            @Override public boolean trains() { return conv.trains(); }
        };
    }

    /** The normalization as y = x · scale + shift per channel: γ/√(var + ε), β − mean · scale. */
    private Tensor[] scaleAndShift() {
        Tensor var = norm.get("moving_variance"), mean = norm.get("moving_mean");
        Tensor scale = var.add(new org.bytedeco.pytorch.Scalar(epsilon)).rsqrt();
        if (norm.has("gamma")) scale = scale.mul(norm.get("gamma"));
        Tensor t = mean.neg().mul(scale);
        if (norm.has("beta")) t = t.add(norm.get("beta"));
        return new Tensor[] {scale, t};
    }

    void normWeights(Weights<Tensor> w) { norm = w; }

    /** The convolution's weights with the normalization folded in (after a ReLU: as they are where a scale is not positive). */
    synchronized Weights<Tensor> weights() {
        if (generation != params.generation()) fold();
        if (afterRelu && shift == null) return conv;
        return new Weights<>() {
            @Override public Tensor get(String name) {
                if (name.equals(kernelName)) return kernel;
                return name.equals("bias") ? bias : conv.get(name);
            }
            @Override public boolean has(String name) { return bias != null && name.equals("bias") || conv.has(name); }
            @Override public boolean trains() { return false; }
        };
    }

    /** Whether the normalization is left as written in this pass: after a ReLU, with a scale that is not positive. */
    boolean normRuns() { return afterRelu && shift == null; }

    /** After a ReLU, {@code x} (the convolution's output, or a pooling's of it, a tensor of its own) with the shift added in place. */
    Tensor addShift(Tensor x) {
        x.add_(x.dim() == 4 ? shift.view(1, -1, 1, 1) : shift); // x, not add_'s second handle on it (Graph.reluInPlace)
        return x;
    }

    private void fold() {
        try (NoGradGuard guard = new NoGradGuard()) {
            Tensor[] st = scaleAndShift();
            Tensor scale = st[0], t = st[1];
            params.forget(kernel);
            params.forget(bias);
            params.forget(shift);
            kernel = bias = shift = null;
            if (afterRelu && !(scale.min().item_float() > 0)) { // relu(s · x) ≠ s · relu(x): the layers run as written
                generation = params.generation();
                return;
            }
            Tensor b = conv.has("bias") ? conv.get("bias").mul(scale) : null;
            Tensor k = conv.get(kernelName); // output channels are axis 0 in every kernel
            kernel = params.keep(k.mul(scale.view(-1, 1, 1, 1)).contiguous(k.suggest_memory_format()));
            if (afterRelu) {
                if (b != null) bias = params.keep(b.contiguous());
                shift = params.keep(t.contiguous());
            } else bias = params.keep((b == null ? t : b.add(t)).contiguous());
        }
        generation = params.generation();
    }
}
