package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A depthwise convolution followed by a 1×1 convolution to {@code filters} channels, then bias and activation.
 * Weights: {@code depthwise_kernel} (kh, kw, C, multiplier), {@code pointwise_kernel} (1, 1, C·multiplier, filters), {@code bias}.
 */
public final class SeparableConv2D extends Layer {
    private final int filters;
    private int[] kernelSize, strides = {1, 1}, dilation = {1, 1};
    private int depthMultiplier = 1;
    private Padding padding = Padding.VALID;
    private Activation activation = Activation.LINEAR;
    private boolean useBias = true;

    public SeparableConv2D(int filters, int kernelSize) {
        this.filters = Config.positive("filters", filters);
        this.kernelSize = new int[] {Config.positive("kernel_size", kernelSize), kernelSize};
    }

    public SeparableConv2D(Config c) {
        super(c);
        filters = Config.positive("filters", c.integer("filters", 0));
        kernelSize = Window.positive("kernel_size", c.ints("kernel_size", 2, null));
        strides = Window.positive("strides", c.ints("strides", 2, strides));
        dilation = Window.positive("dilation_rate", c.ints("dilation_rate", 2, dilation));
        depthMultiplier = Config.positive("depth_multiplier", c.integer("depth_multiplier", 1));
        padding = c.padding("padding");
        activation = c.activation("activation");
        useBias = c.bool("use_bias", true);
    }

    public SeparableConv2D padding(Padding p) { padding = p; return this; }
    public SeparableConv2D activation(Activation a) { activation = a; return this; }
    public SeparableConv2D strides(int s) { strides = new int[] {Config.positive("strides", s), s}; return this; }

    public int filters() { return filters; }
    public int[] kernelSize() { return kernelSize.clone(); }
    public int[] strides() { return strides.clone(); }
    public int[] dilationRate() { return dilation.clone(); }
    public int depthMultiplier() { return depthMultiplier; }
    public Padding padding() { return padding; }
    public boolean useBias() { return useBias; }
    @Override public Activation activation() { return activation; }

    @Override protected Shape outputShape(Shape in) {
        requireImage(this, in);
        return Window.output(in, kernelSize, strides, dilation, padding, filters);
    }

    @Override protected List<Weight> weights(Shape in) {
        List<Weight> w = new ArrayList<>();
        w.add(Weight.kernel("depthwise_kernel", Weight.Layout.DEPTHWISE_KERNEL, kernelSize[0], kernelSize[1], in.channels(), depthMultiplier));
        w.add(Weight.kernel("pointwise_kernel", Weight.Layout.CONV_KERNEL, 1, 1, in.channels() * depthMultiplier, filters));
        if (useBias) w.add(Weight.vector("bias", filters, Weight.Init.ZEROS, true));
        return w;
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        Shape in = ops.shape(x);
        T d = ops.conv(x, w.get("depthwise_kernel"), null, Window.convolution(in, kernelSize, strides, dilation, padding, in.channels(), mode.pads()));
        T p = ops.conv(d, w.get("pointwise_kernel"), w.optional("bias"), Window.pointwise());
        return activateOwn(ops, p, activation, mode);
    }

    @Override protected void writeConfig(ObjectNode c) {
        c.put("depth_multiplier", depthMultiplier);
        c.put("filters", filters);
        Window.write(c, kernelSize, strides, padding, dilation);
        c.put("activation", activation.keras());
        c.put("use_bias", useBias);
    }
}
