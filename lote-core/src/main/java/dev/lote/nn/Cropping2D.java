package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Removes rows and columns at the edges: {@code cropping} ((top, bottom), (left, right)). */
public final class Cropping2D extends Layer {
    private final int[] amounts; // top, bottom, left, right

    public Cropping2D(int top, int bottom, int left, int right) { amounts = Edges.check("cropping", new int[] {top, bottom, left, right}); }

    public Cropping2D(Config c) {
        super(c);
        amounts = Edges.read(c, "cropping", 0);
    }

    /** Top, bottom, left, right. */
    public int[] amounts() { return amounts.clone(); }

    @Override protected Shape outputShape(Shape in) {
        requireImage(this, in);
        int h = in.height() - amounts[0] - amounts[1], w = in.width() - amounts[2] - amounts[3];
        if (h <= 0 || w <= 0) throw new IllegalArgumentException("cropping " + java.util.Arrays.toString(amounts)
                + " leaves nothing of a " + in.height() + "x" + in.width() + " input.");
        return Shape.image(h, w, in.channels());
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) { return ops.crop(x, amounts); }

    @Override protected void writeConfig(ObjectNode c) { Edges.write(c, "cropping", amounts); }
}
