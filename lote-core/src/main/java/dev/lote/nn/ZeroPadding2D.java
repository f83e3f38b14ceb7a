package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Adds rows and columns of zeros: {@code padding} ((top, bottom), (left, right)), or one number for all sides. */
public final class ZeroPadding2D extends Layer {
    private final int[] amounts; // top, bottom, left, right

    public ZeroPadding2D(int top, int bottom, int left, int right) { amounts = Edges.check("padding", new int[] {top, bottom, left, right}); }

    public ZeroPadding2D(Config c) {
        super(c);
        amounts = Edges.read(c, "padding", 1);
    }

    /** Top, bottom, left, right. */
    public int[] amounts() { return amounts.clone(); }

    @Override protected Shape outputShape(Shape in) {
        requireImage(this, in);
        return Shape.image(in.height() + amounts[0] + amounts[1], in.width() + amounts[2] + amounts[3], in.channels());
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) { return ops.pad(x, amounts); }

    @Override protected void writeConfig(ObjectNode c) { Edges.write(c, "padding", amounts); }
}
