package dev.lote.nn;

/** Average pooling; with "same" padding the padded pixels are left out of each average, as in Keras. */
public final class AveragePooling2D extends Pooling2D {
    public AveragePooling2D(int poolSize) { super(poolSize); }
    public AveragePooling2D(Config c) { super(c); }
}
