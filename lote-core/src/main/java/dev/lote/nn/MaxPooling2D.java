package dev.lote.nn;

/** Max pooling over windows of {@code pool_size}; "same" padding pads with −∞. {@code new MaxPooling2D(3)} */
public final class MaxPooling2D extends Pooling2D {
    public MaxPooling2D(int poolSize) { super(poolSize); }
    public MaxPooling2D(Config c) { super(c); }
}
