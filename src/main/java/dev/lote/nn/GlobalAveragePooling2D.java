package dev.lote.nn;

/** Averages each channel over height and width: (H, W, C) → (C). */
public record GlobalAveragePooling2D() implements Layer {
    @Override public Shape outputShape(Shape in) {
        Layer.requireImage(this, in);
        return new Shape(in.channels());
    }

    @Override public long parameterCount(Shape in) { return 0; }
}
