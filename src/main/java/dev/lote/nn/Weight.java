package dev.lote.nn;

import java.util.Arrays;

/**
 * One named weight of a layer ({@code kernel}, {@code bias}, {@code gamma}, {@code moving_mean}, …) with its shape in
 * Keras' layout, how it starts, and whether the optimizer trains it. {@code layout} says what the axes mean, so an
 * engine with another layout (libtorch's OIHW) knows how to convert.
 */
public record Weight(String name, int[] shape, Init init, boolean trainable, Layout layout) {
    public enum Init { GLOROT_UNIFORM, ZEROS, ONES }

    /** Keras' layouts: conv kernels (kh, kw, in, out), depthwise kernels (kh, kw, channels, multiplier), dense (in, out). */
    public enum Layout { VECTOR, CONV_KERNEL, DEPTHWISE_KERNEL, DENSE_KERNEL }

    public Weight {
        shape = shape.clone();
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

    @Override public boolean equals(Object o) {
        return o instanceof Weight w && w.name.equals(name) && Arrays.equals(w.shape, shape) && w.init == init
                && w.trainable == trainable && w.layout == layout;
    }

    @Override public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override public String toString() { return name + Arrays.toString(shape); }
}
