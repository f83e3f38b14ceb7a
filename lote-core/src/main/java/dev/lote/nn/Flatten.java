package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** (H, W, C) → (H·W·C), in Keras' (H, W, C) order, so Dense weights line up with a Keras model's. */
public final class Flatten extends Layer {
    public Flatten() {}
    public Flatten(Config c) { super(c); }

    @Override protected Shape outputShape(Shape in) { return new Shape(Math.toIntExact(in.size())); }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        return ops.reshape(x, outputShape(ops.shape(x)));
    }

    @Override protected void writeConfig(ObjectNode c) { c.put("data_format", "channels_last"); }
}
