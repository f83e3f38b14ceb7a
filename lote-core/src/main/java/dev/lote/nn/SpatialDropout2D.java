package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Dropout of whole channels while training (neighbouring pixels are correlated, so single ones carry little). */
public final class SpatialDropout2D extends Layer {
    private final double rate;

    public SpatialDropout2D(double rate) { this.rate = check(rate); }

    public SpatialDropout2D(Config c) {
        super(c);
        rate = check(c.number("rate", 0));
    }

    private static double check(double rate) {
        if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("SpatialDropout2D rate must be in [0, 1), got " + rate + ".");
        return rate;
    }

    public double rate() { return rate; }

    @Override protected Shape outputShape(Shape in) { return requireImage(this, in); }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        return mode.training() && rate > 0 ? ops.dropout(x, rate, true) : x;
    }

    @Override protected void writeConfig(ObjectNode c) {
        c.put("rate", rate);
        c.put("data_format", "channels_last");
        c.putNull("seed");
        c.remove("trainable"); // Keras' SpatialDropout2D takes no such argument (and has no weights)
    }
}
