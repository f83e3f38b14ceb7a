package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Shapes and config of sliding windows (convolutions and pooling), as Keras computes them. */
final class Window {
    private Window() {}

    static int[] positive(String name, int[] v) {
        for (int x : v) Config.positive(name, x);
        return v;
    }

    static Shape output(Shape in, int[] kernel, int[] strides, int[] dilation, Padding padding, int channels) {
        int kh = (kernel[0] - 1) * dilation[0] + 1, kw = (kernel[1] - 1) * dilation[1] + 1;
        return Shape.image(padding.outputLength(in.height(), kh, strides[0]), padding.outputLength(in.width(), kw, strides[1]), channels);
    }

    /** A convolution's geometry with Keras' padding (the odd pixel after) plus {@code extra} (top, bottom, left, right; may be null). */
    static Ops.Convolution convolution(Shape in, int[] k, int[] s, int[] d, Padding p, int groups, int[] extra) {
        int[] e = extra == null ? new int[4] : extra;
        int[] ph = p.amounts(in.height() + e[0] + e[1], (k[0] - 1) * d[0] + 1, s[0]), pw = p.amounts(in.width() + e[2] + e[3], (k[1] - 1) * d[1] + 1, s[1]);
        return new Ops.Convolution(k.clone(), s.clone(), d.clone(), new int[] {ph[0] + e[0], ph[1] + e[1], pw[0] + e[2], pw[1] + e[3]}, groups);
    }

    static Ops.Convolution pointwise() { return new Ops.Convolution(new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[4], 1); }

    static void write(ObjectNode c, int[] kernel, int[] strides, Padding padding, int[] dilation) {
        c.set("kernel_size", Config.array(kernel));
        c.set("strides", Config.array(strides));
        c.put("padding", padding.keras());
        c.put("data_format", "channels_last");
        if (dilation != null) c.set("dilation_rate", Config.array(dilation));
    }
}
