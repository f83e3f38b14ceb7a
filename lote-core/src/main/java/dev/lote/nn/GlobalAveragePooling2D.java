package dev.lote.nn;

/** The mean of each channel over height and width. */
public final class GlobalAveragePooling2D extends GlobalPooling2D {
    public GlobalAveragePooling2D() {}
    public GlobalAveragePooling2D(Config c) { super(c); }
}
