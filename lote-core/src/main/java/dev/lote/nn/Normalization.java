package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Keras' Normalization on the last axis: {@code (x − mean) / max(√variance, 1e-7)}, or the inverse with {@code invert}.
 * Mean and variance come from the config ({@code mean}, {@code variance}) or, when adapted in Keras, from its weights
 * {@code mean}, {@code variance}, {@code count}.
 */
public final class Normalization extends Layer {
    private final double[] mean, variance; // null: in the weights
    private final boolean invert;

    public Normalization(double[] mean, double[] variance) {
        this.mean = mean.clone();
        this.variance = variance.clone();
        this.invert = false;
    }

    public Normalization(Config c) {
        super(c);
        c.requireChannelsAxis("axis");
        mean = c.numbers("mean", null);
        variance = c.numbers("variance", null);
        if ((mean == null) != (variance == null)) throw c.bad("mean", String.valueOf(c.node().get("mean")), "mean and variance, both or neither");
        invert = c.bool("invert", false);
    }

    /** Null when the statistics are weights. */
    public double[] mean() { return mean == null ? null : mean.clone(); }
    public double[] variance() { return variance == null ? null : variance.clone(); }
    public boolean invert() { return invert; }

    @Override protected Shape outputShape(Shape in) {
        if (mean != null && mean.length != 1 && mean.length != channels(in)) throw new IllegalArgumentException("Normalization has "
                + mean.length + " means for " + channels(in) + " channels.");
        return in;
    }

    @Override protected List<Weight> weights(Shape in) {
        if (mean != null) return List.of();
        int c = channels(in);
        return List.of(Weight.vector("mean", c, Weight.Init.ZEROS, false), Weight.vector("variance", c, Weight.Init.ONES, false),
                new Weight("count", new int[0], Weight.Init.ZEROS, false, Weight.Layout.VECTOR));
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        T m = mean == null ? w.get("mean") : ops.constant(Config.floats(mean));
        T v = variance == null ? w.get("variance") : ops.constant(Config.floats(variance));
        T sd = ops.maximum(ops.sqrt(v), ops.constant(1e-7f));
        return invert ? ops.add(ops.multiply(x, sd), m) : ops.divide(ops.subtract(x, m), sd);
    }

    /** Not inverted: scale 1 / sd, shift −mean / sd, with sd = max(√variance, 1e-7) as Keras divides. */
    @Override public float[][] inferenceAffine(java.util.Map<String, float[]> weights, String path, int channels) {
        if (invert) return null;
        float[] m = mean == null ? weights.get(path + "mean") : Config.floats(mean, channels);
        float[] v = variance == null ? weights.get(path + "variance") : Config.floats(variance, channels);
        if (m == null || v == null) throw new IllegalArgumentException("weight " + path + (m == null ? "mean" : "variance") + " is missing.");
        float[] scale = new float[channels], shift = new float[channels];
        for (int i = 0; i < channels; i++) {
            double sd = Math.max(Math.sqrt(v[i]), 1e-7);
            scale[i] = (float) (1 / sd);
            shift[i] = (float) (-m[i] / sd);
        }
        return new float[][] {scale, shift};
    }

    @Override protected void writeConfig(ObjectNode c) {
        c.put("axis", -1);
        if (mean != null) {
            c.set("mean", Config.array(mean));
            c.set("variance", Config.array(variance));
        }
        c.put("invert", invert);
    }
}
