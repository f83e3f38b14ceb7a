package dev.lote.nn;

/** The maximum of each channel over height and width. */
public final class GlobalMaxPooling2D extends GlobalPooling2D {
    public GlobalMaxPooling2D() {}
    public GlobalMaxPooling2D(Config c) { super(c); }
}
