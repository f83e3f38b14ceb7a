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
        int axis = c.integer("axis", -1);
        if (axis != -1 && axis != 3) throw c.bad("axis", String.valueOf(axis), "-1 (channels last)");
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

    @Override protected void writeConfig(ObjectNode c) {
        c.put("axis", -1);
        if (mean != null) {
            c.set("mean", Config.array(mean));
            c.set("variance", Config.array(variance));
        }
        c.put("invert", invert);
    }
}
