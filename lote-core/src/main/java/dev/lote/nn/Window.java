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

    static void write(ObjectNode c, int[] kernel, int[] strides, Padding padding, int[] dilation) {
        c.set("kernel_size", Config.array(kernel));
        c.set("strides", Config.array(strides));
        c.put("padding", padding.keras());
        c.put("data_format", "channels_last");
        if (dilation != null) c.set("dilation_rate", Config.array(dilation));
    }
}
