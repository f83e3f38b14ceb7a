package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * 2-D convolution: (H, W, C) → (H', W', filters), with Keras' {@code strides}, {@code padding}, {@code dilation_rate}
 * and {@code groups}. Weights: {@code kernel} (kh, kw, C / groups, filters), {@code bias} (filters).
 * {@code new Conv2D(32, 3).padding(Padding.SAME).activation(Activation.RELU)}
 */
public final class Conv2D extends Layer {
    private final int filters;
    private int[] kernelSize, strides = {1, 1}, dilation = {1, 1};
    private int groups = 1;
    private Padding padding = Padding.VALID;
    private Activation activation = Activation.LINEAR;
    private boolean useBias = true;

    public Conv2D(int filters, int kernelSize) {
        this.filters = Config.positive("filters", filters);
        this.kernelSize = new int[] {Config.positive("kernel_size", kernelSize), kernelSize};
    }

    public Conv2D(Config c) {
        super(c);
        filters = Config.positive("filters", c.integer("filters", 0));
        kernelSize = Window.positive("kernel_size", c.ints("kernel_size", 2, null));
        strides = Window.positive("strides", c.ints("strides", 2, strides));
        dilation = Window.positive("dilation_rate", c.ints("dilation_rate", 2, dilation));
        groups = Config.positive("groups", c.integer("groups", 1));
        padding = c.padding("padding");
        activation = c.activation("activation");
        useBias = c.bool("use_bias", true);
    }

    public Conv2D padding(Padding p) { padding = p; return this; }
    public Conv2D activation(Activation a) { activation = a; return this; }
    public Conv2D strides(int s) { strides = new int[] {Config.positive("strides", s), s}; return this; }
    public Conv2D dilationRate(int d) { dilation = new int[] {Config.positive("dilation_rate", d), d}; return this; }
    public Conv2D groups(int g) { groups = Config.positive("groups", g); return this; }
    public Conv2D useBias(boolean b) { useBias = b; return this; }

    public int filters() { return filters; }
    public int[] kernelSize() { return kernelSize.clone(); }
    public int[] strides() { return strides.clone(); }
    public int[] dilationRate() { return dilation.clone(); }
    public int groups() { return groups; }
    public Padding padding() { return padding; }
    public boolean useBias() { return useBias; }
    @Override public Activation activation() { return activation; }

    @Override protected Shape outputShape(Shape in) {
        requireImage(this, in);
        if (in.channels() % groups != 0 || filters % groups != 0) throw new IllegalArgumentException("groups " + groups
                + " must divide the input channels (" + in.channels() + ") and the filters (" + filters + ").");
        return Window.output(in, kernelSize, strides, dilation, padding, filters);
    }

    @Override protected List<Weight> weights(Shape in) {
        List<Weight> w = new ArrayList<>();
        w.add(Weight.kernel("kernel", Weight.Layout.CONV_KERNEL, kernelSize[0], kernelSize[1], in.channels() / groups, filters));
        if (useBias) w.add(Weight.vector("bias", filters, Weight.Init.ZEROS, true));
        return w;
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        Ops.Convolution c = Window.convolution(ops.shape(x), kernelSize, strides, dilation, padding, groups, mode.pads());
        return activateOwn(ops, ops.conv(x, w.get("kernel"), w.optional("bias"), c), activation, mode);
    }

    @Override protected void writeConfig(ObjectNode c) {
        c.put("filters", filters);
        Window.write(c, kernelSize, strides, padding, dilation);
        c.put("groups", groups);
        c.put("activation", activation.keras());
        c.put("use_bias", useBias);
    }
}
