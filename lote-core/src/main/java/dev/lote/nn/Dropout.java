package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Sets a fraction {@code rate} of inputs to zero while training and scales the rest by 1 / (1 - rate). */
public final class Dropout extends Layer {
    private final double rate;

    public Dropout(double rate) { this.rate = check(rate); }

    public Dropout(Config c) {
        super(c);
        rate = check(c.number("rate", 0));
    }

    private static double check(double rate) {
        if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("Dropout rate must be in [0, 1), got " + rate + ".");
        return rate;
    }

    public double rate() { return rate; }

    @Override protected Shape outputShape(Shape in) { return in; }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        return mode.training() && rate > 0 ? ops.dropout(x, rate, false) : x;
    }

    @Override protected void writeConfig(ObjectNode c) {
        c.put("rate", rate);
        c.putNull("seed");
        c.putNull("noise_shape");
    }
}
