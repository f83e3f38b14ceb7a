package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Keras' ReLU layer: {@code x ≥ max_value → max_value; threshold ≤ x < max_value → x; otherwise negative_slope·(x − threshold)}.
 * {@code new ReLU().maxValue(6)} is MobileNet's ReLU6.
 */
public final class ReLU extends Layer {
    private double maxValue = Double.NaN, negativeSlope, threshold; // NaN: no maximum

    public ReLU() {}

    public ReLU(Config c) {
        super(c);
        maxValue = c.number("max_value", Double.NaN);
        negativeSlope = c.number("negative_slope", 0);
        threshold = c.number("threshold", 0);
        if (negativeSlope < 0) throw c.bad("negative_slope", String.valueOf(negativeSlope), "0 or more");
        if (maxValue < 0) throw c.bad("max_value", String.valueOf(maxValue), "0 or more");
    }

    public ReLU maxValue(double v) { maxValue = v; return this; }
    public ReLU negativeSlope(double v) { negativeSlope = v; return this; }
    public ReLU threshold(double v) { threshold = v; return this; }

    /** NaN when there is none. */
    public double maxValue() { return maxValue; }
    public double negativeSlope() { return negativeSlope; }
    public double threshold() { return threshold; }

    @Override protected Shape outputShape(Shape in) { return in; }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) { return ops.relu(x, maxValue, negativeSlope, threshold); }

    @Override protected void writeConfig(ObjectNode c) {
        if (Double.isNaN(maxValue)) c.putNull("max_value");
        else c.put("max_value", maxValue);
        c.put("negative_slope", negativeSlope);
        c.put("threshold", threshold);
    }
}
