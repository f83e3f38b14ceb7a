package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Average or maximum over height and width: (H, W, C) → (C), or (1, 1, C) with {@code keepdims}. */
public abstract sealed class GlobalPooling2D extends Layer permits GlobalAveragePooling2D, GlobalMaxPooling2D {
    private boolean keepdims;

    protected GlobalPooling2D() {}

    protected GlobalPooling2D(Config c) {
        super(c);
        keepdims = c.bool("keepdims", false);
    }

    public boolean keepdims() { return keepdims; }

    @SuppressWarnings("unchecked")
    public <T extends GlobalPooling2D> T keepdims(boolean k) { keepdims = k; return (T) this; }

    @Override protected Shape outputShape(Shape in) {
        requireImage(this, in);
        return keepdims ? Shape.image(1, 1, in.channels()) : new Shape(in.channels());
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        return ops.globalPool(x, this instanceof GlobalMaxPooling2D, keepdims);
    }

    @Override protected void writeConfig(ObjectNode c) {
        c.put("data_format", "channels_last");
        c.put("keepdims", keepdims);
    }
}
