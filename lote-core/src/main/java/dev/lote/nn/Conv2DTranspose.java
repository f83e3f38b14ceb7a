package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The transpose of a convolution (a learned upsampling, as decoders use): (H, W, C) → (H·s, W·s, filters) with
 * "same" padding. Keras' {@code strides}, {@code padding}, {@code dilation_rate} and {@code output_padding}.
 * Weights: {@code kernel} (kh, kw, filters, C), as Keras lays it out, {@code bias} (filters).
 * {@code new Conv2DTranspose(16, 3).strides(2).padding(Padding.SAME)}
 */
public final class Conv2DTranspose extends Layer {
    private final int filters;
    private int[] kernelSize, strides = {1, 1}, dilation = {1, 1}, outputPadding; // outputPadding null: Keras' default
    private Padding padding = Padding.VALID;
    private Activation activation = Activation.LINEAR;
    private boolean useBias = true;

    public Conv2DTranspose(int filters, int kernelSize) {
        this.filters = Config.positive("filters", filters);
        this.kernelSize = new int[] {Config.positive("kernel_size", kernelSize), kernelSize};
    }

    public Conv2DTranspose(Config c) {
        super(c);
        filters = Config.positive("filters", c.integer("filters", 0));
        kernelSize = Window.positive("kernel_size", c.ints("kernel_size", 2, null));
        strides = Window.positive("strides", c.ints("strides", 2, strides));
        dilation = Window.positive("dilation_rate", c.ints("dilation_rate", 2, dilation));
        outputPadding = c.node().path("output_padding").isNull() || c.node().path("output_padding").isMissingNode() ? null : c.ints("output_padding", 2, null);
        padding = c.padding("padding");
        activation = c.activation("activation");
        useBias = c.bool("use_bias", true);
        if (outputPadding != null) for (int i = 0; i < 2; i++)
            if (outputPadding[i] < 0 || outputPadding[i] >= strides[i]) throw c.bad("output_padding", java.util.Arrays.toString(outputPadding),
                    "values from 0 to the stride less one");
    }

    public Conv2DTranspose padding(Padding p) { padding = p; return this; }
    public Conv2DTranspose activation(Activation a) { activation = a; return this; }
    public Conv2DTranspose strides(int s) { strides = new int[] {Config.positive("strides", s), s}; return this; }
    public Conv2DTranspose useBias(boolean b) { useBias = b; return this; }
    @Override public Activation activation() { return activation; }

    /** Keras' {@code deconv_output_length} on one axis. */
    private int length(int in, int axis) {
        int k = (kernelSize[axis] - 1) * dilation[axis] + 1, s = strides[axis];
        if (outputPadding == null) return padding == Padding.SAME ? in * s : in * s + Math.max(k - s, 0);
        return (in - 1) * s + k - 2 * (padding == Padding.SAME ? k / 2 : 0) + outputPadding[axis];
    }

    @Override protected Shape outputShape(Shape in) {
        requireImage(this, in);
        return Shape.image(length(in.height(), 0), length(in.width(), 1), filters);
    }

    @Override protected List<Weight> weights(Shape in) {
        List<Weight> w = new ArrayList<>(); // (kh, kw, out, in) maps to libtorch's (in, out, kh, kw) as a conv kernel's (kh, kw, in, out) to (out, in, kh, kw)
        w.add(Weight.kernel("kernel", Weight.Layout.CONV_KERNEL, kernelSize[0], kernelSize[1], filters, in.channels()));
        if (useBias) w.add(Weight.vector("bias", filters, Weight.Init.ZEROS, true));
        return w;
    }

    /**
     * As TensorFlow computes it, the gradient of a convolution over the output: the full transposed result, cropped
     * at the start by the "same" padding that convolution would have, then cropped or grown at the end to the length.
     */
    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        Shape in = ops.shape(x);
        int[] pads = new int[4], grow = new int[2], size = {in.height(), in.width()};
        for (int a = 0; a < 2; a++) {
            int k = (kernelSize[a] - 1) * dilation[a] + 1, full = (size[a] - 1) * strides[a] + k, out = length(size[a], a);
            int before = padding == Padding.SAME ? Math.max(full - out, 0) / 2 : 0, end = out - (full - before);
            pads[2 * a] = before;
            pads[2 * a + 1] = Math.max(-end, 0);
            grow[a] = Math.max(end, 0);
        }
        Ops.Convolution c = new Ops.Convolution(kernelSize.clone(), strides.clone(), dilation.clone(), pads, 1);
        return activateOwn(ops, ops.convTranspose(x, w.get("kernel"), w.optional("bias"), c, grow), activation, mode);
    }

    @Override protected void writeConfig(ObjectNode c) {
        c.put("filters", filters);
        Window.write(c, kernelSize, strides, padding, dilation);
        if (outputPadding == null) c.putNull("output_padding");
        else c.set("output_padding", Config.array(outputPadding));
        c.put("activation", activation.keras());
        c.put("use_bias", useBias);
    }
}
