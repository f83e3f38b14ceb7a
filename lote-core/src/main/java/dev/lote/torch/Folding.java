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
 * training pass runs the two layers as written. The folded weights are made again when the weights have changed.
 */
final class Folding {
    private final Parameters params;
    private final Weights<Tensor> conv;
    private final String kernelName;
    private Weights<Tensor> norm; // the batch normalization's, once the graph has made them
    private final double epsilon;
    private long generation = -1;
    private Tensor kernel, bias;

    Folding(Parameters params, dev.lote.nn.Layer conv, Weights<Tensor> weights, BatchNormalization norm) {
        this.params = params;
        this.conv = weights;
        this.kernelName = Fusion.outputKernel(conv);
        this.epsilon = norm.epsilon();
    }

    /** Inference's fast paths (this folding, ReLU in place) on; {@code LOTE_INFERENCE_FUSION=0} turns them off to compare. */
    static volatile boolean enabled = !"0".equals(System.getenv("LOTE_INFERENCE_FUSION"));

    /**
     * Whether a pass in mode {@code m} takes inference's fast paths: not training, no autograd (Grad-CAM needs the
     * layers as they are).
     */
    static boolean applies(Mode m) { return enabled && !m.training() && !GradMode.is_enabled(); }

    void normWeights(Weights<Tensor> w) { norm = w; }

    /** The convolution's weights with the normalization folded in. */
    Weights<Tensor> weights() {
        if (generation != params.generation()) fold();
        return new Weights<>() {
            @Override public Tensor get(String name) {
                if (name.equals(kernelName)) return kernel;
                return name.equals("bias") ? bias : conv.get(name);
            }
            @Override public boolean has(String name) { return name.equals("bias") || conv.has(name); }
            @Override public boolean trains() { return false; }
        };
    }

    private void fold() {
        try (NoGradGuard guard = new NoGradGuard()) {
            Tensor var = norm.get("moving_variance"), mean = norm.get("moving_mean");
            Tensor scale = var.add(new org.bytedeco.pytorch.Scalar(epsilon)).rsqrt();
            if (norm.has("gamma")) scale = scale.mul(norm.get("gamma"));
            Tensor b = conv.has("bias") ? conv.get("bias").sub(mean).mul(scale) : mean.neg().mul(scale);
            if (norm.has("beta")) b = b.add(norm.get("beta"));
            Tensor k = conv.get(kernelName);
            Tensor folded = k.mul(scale.view(-1, 1, 1, 1)).contiguous(k.suggest_memory_format()); // output channels are axis 0 in every kernel
            params.forget(kernel);
            params.forget(bias);
            kernel = params.keep(folded);
            bias = params.keep(b.contiguous());
        }
        generation = params.generation();
    }
}
