package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Depthwise 2-D convolution: each input channel has its own kernels; channels are not mixed.
 * (H, W, C) → (H', W', C × depthMultiplier). Weights: {@code depthwise_kernel} (kh, kw, C, multiplier), {@code bias}.
 * {@code new DepthwiseConv2D(3).padding(Padding.SAME).activation(Activation.RELU)}
 */
public final class DepthwiseConv2D extends Layer {
    private int[] kernelSize, strides = {1, 1}, dilation = {1, 1};
    private int depthMultiplier = 1;
    private Padding padding = Padding.VALID;
    private Activation activation = Activation.LINEAR;
    private boolean useBias = true;

    public DepthwiseConv2D(int kernelSize) { this.kernelSize = new int[] {Config.positive("kernel_size", kernelSize), kernelSize}; }

    public DepthwiseConv2D(Config c) {
        super(c);
        kernelSize = Window.positive("kernel_size", c.ints("kernel_size", 2, null));
        strides = Window.positive("strides", c.ints("strides", 2, strides));
        dilation = Window.positive("dilation_rate", c.ints("dilation_rate", 2, dilation));
        depthMultiplier = Config.positive("depth_multiplier", c.integer("depth_multiplier", 1));
        padding = c.padding("padding");
        activation = c.activation("activation");
        useBias = c.bool("use_bias", true);
    }

    public DepthwiseConv2D padding(Padding p) { padding = p; return this; }
    public DepthwiseConv2D activation(Activation a) { activation = a; return this; }
    public DepthwiseConv2D strides(int s) { strides = new int[] {Config.positive("strides", s), s}; return this; }
    public DepthwiseConv2D depthMultiplier(int m) { depthMultiplier = Config.positive("depth_multiplier", m); return this; }
    public DepthwiseConv2D useBias(boolean b) { useBias = b; return this; }

    public int[] kernelSize() { return kernelSize.clone(); }
    public int[] strides() { return strides.clone(); }
    public int[] dilationRate() { return dilation.clone(); }
    public int depthMultiplier() { return depthMultiplier; }
    public Padding padding() { return padding; }
    public boolean useBias() { return useBias; }
    @Override public Activation activation() { return activation; }

    @Override protected Shape outputShape(Shape in) {
        requireImage(this, in);
        return Window.output(in, kernelSize, strides, dilation, padding, in.channels() * depthMultiplier);
    }

    @Override protected List<Weight> weights(Shape in) {
        List<Weight> w = new ArrayList<>();
        w.add(Weight.kernel("depthwise_kernel", Weight.Layout.DEPTHWISE_KERNEL, kernelSize[0], kernelSize[1], in.channels(), depthMultiplier));
        if (useBias) w.add(Weight.vector("bias", in.channels() * depthMultiplier, Weight.Init.ZEROS, true));
        return w;
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        Shape in = ops.shape(x);
        Ops.Convolution c = Window.convolution(in, kernelSize, strides, dilation, padding, in.channels(), mode.pads());
        return activateOwn(ops, ops.conv(x, w.get("depthwise_kernel"), w.optional("bias"), c), activation, mode);
    }

    @Override protected void writeConfig(ObjectNode c) {
        c.put("depth_multiplier", depthMultiplier);
        Window.write(c, kernelSize, strides, padding, dilation);
        c.put("activation", activation.keras());
        c.put("use_bias", useBias);
    }
}
