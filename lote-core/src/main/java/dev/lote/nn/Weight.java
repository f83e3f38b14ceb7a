package dev.lote.nn;

import java.util.Arrays;

/**
 * One named weight of a layer ({@code kernel}, {@code bias}, {@code gamma}, {@code moving_mean}, …) with its shape in
 * Keras' layout, how it starts, and whether the optimizer trains it. {@code layout} says what the axes mean, so an
 * engine with another layout (libtorch's OIHW) knows how to convert.
 */
public record Weight(String name, int[] shape, Init init, boolean trainable, Layout layout, double fill) {
    /** {@code CONSTANT}: every value {@code fill}. */
    public enum Init { GLOROT_UNIFORM, ZEROS, ONES, CONSTANT }

    /** Keras' layouts: conv kernels (kh, kw, in, out), depthwise kernels (kh, kw, channels, multiplier), dense (in, out). */
    public enum Layout { VECTOR, CONV_KERNEL, DEPTHWISE_KERNEL, DENSE_KERNEL }

    public Weight {
        shape = shape.clone();
    }

    public Weight(String name, int[] shape, Init init, boolean trainable, Layout layout) { this(name, shape, init, trainable, layout, 0); }

    /** A trained vector that starts with every value {@code value}. */
    public static Weight filled(String name, int n, double value) {
        return new Weight(name, new int[] {n}, Init.CONSTANT, true, Layout.VECTOR, value);
    }

    public static Weight kernel(String name, Layout layout, int... shape) { return new Weight(name, shape, Init.GLOROT_UNIFORM, true, layout); }
    public static Weight vector(String name, int n, Init init, boolean trainable) { return new Weight(name, new int[] {n}, init, trainable, Layout.VECTOR); }

    public long size() {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** Keras' fans: (in, out) for dense; (in · receptive field, out · receptive field) for kernels. */
    public long fanSum() {
        if (shape.length == 1) return 2L * shape[0];
        long receptive = 1;
        for (int i = 0; i < shape.length - 2; i++) receptive *= shape[i];
        return receptive * (shape[shape.length - 2] + (long) shape[shape.length - 1]);
    }

    /**
     * Values in libtorch's layout (conv kernels OIHW, depthwise (C·M, 1, kh, kw), dense (out, in)) rearranged into
     * this weight's Keras layout: how PyTorch state dicts and Lote 0.1's files are read.
     */
    public float[] fromTorchLayout(float[] t) { return relayout(t, true); }

    /** The inverse of {@link #fromTorchLayout}: Keras' layout into libtorch's (and ONNX's, which is the same). */
    public float[] toTorchLayout(float[] k) { return relayout(k, false); }

    private float[] relayout(float[] from, boolean toKeras) {
        if (from.length != size()) throw new IllegalArgumentException(name + " has " + from.length + " values; " + Arrays.toString(shape)
                + " needs " + size() + ".");
        int[] s = shape;
        float[] to = new float[from.length];
        switch (layout) {
            case VECTOR -> System.arraycopy(from, 0, to, 0, from.length);
            case DENSE_KERNEL -> { // Keras (in, out), torch (out, in)
                int in = s[0], out = s[1];
                for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) move(from, to, i * out + o, o * in + i, toKeras);
            }
            case CONV_KERNEL -> { // Keras (kh, kw, in, out), torch (out, in, kh, kw)
                int kh = s[0], kw = s[1], in = s[2], out = s[3];
                for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) for (int y = 0; y < kh; y++) for (int x = 0; x < kw; x++)
                    move(from, to, ((y * kw + x) * in + i) * out + o, ((o * in + i) * kh + y) * kw + x, toKeras);
            }
            case DEPTHWISE_KERNEL -> { // Keras (kh, kw, C, M), torch (C·M, 1, kh, kw), channel c·M + m
                int kh = s[0], kw = s[1], c = s[2], m = s[3];
                for (int ch = 0; ch < c; ch++) for (int j = 0; j < m; j++) for (int y = 0; y < kh; y++) for (int x = 0; x < kw; x++)
                    move(from, to, ((y * kw + x) * c + ch) * m + j, ((ch * m + j) * kh + y) * kw + x, toKeras);
            }
        }
        return to;
    }

    private static void move(float[] from, float[] to, int keras, int torch, boolean toKeras) {
        if (toKeras) to[keras] = from[torch];
        else to[torch] = from[keras];
    }

    /** libtorch's shape for this weight (what a PyTorch state dict holds). */
    public int[] torchShape() {
        int[] s = shape;
        return switch (layout) {
            case CONV_KERNEL -> new int[] {s[3], s[2], s[0], s[1]};
            case DEPTHWISE_KERNEL -> new int[] {s[2] * s[3], 1, s[0], s[1]};
            case DENSE_KERNEL -> new int[] {s[1], s[0]};
            case VECTOR -> s.clone();
        };
    }

    @Override public boolean equals(Object o) {
        return o instanceof Weight w && w.name.equals(name) && Arrays.equals(w.shape, shape) && w.init == init
                && w.trainable == trainable && w.layout == layout && w.fill == fill;
    }

    @Override public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override public String toString() { return name + Arrays.toString(shape); }
}
