package dev.lote.nn;

/** Flattens (H, W, C) to (H × W × C) in Keras' channels-last order, so weights line up with Keras models. */
public record Flatten() implements Layer {
    @Override public Shape outputShape(Shape in) { return new Shape(Math.toIntExact(in.size())); }
    @Override public long parameterCount(Shape in) { return 0; }
}
