package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Gives each sample a new shape with the same number of values ({@code target_shape}, one axis may be -1). */
public final class Reshape extends Layer {
    private final int[] target;

    public Reshape(int... target) { this.target = target.clone(); }

    public Reshape(Config c) {
        super(c);
        target = c.ints("target_shape", 0, null);
        if (target == null) throw c.bad("target_shape", "missing", "a list of axis lengths");
    }

    @Override protected Shape outputShape(Shape in) {
        int[] d = target.clone();
        long known = 1;
        int free = -1;
        for (int i = 0; i < d.length; i++) {
            if (d[i] == -1 && free < 0) free = i;
            else if (d[i] <= 0) throw new IllegalArgumentException("Reshape target " + java.util.Arrays.toString(target) + " is not valid.");
            else known *= d[i];
        }
        if (free >= 0 && in.size() % known == 0) d[free] = Math.toIntExact(in.size() / known);
        Shape out = new Shape(d);
        if (out.size() != in.size()) throw new IllegalArgumentException("Reshape cannot make " + in.size() + " values into "
                + java.util.Arrays.toString(target) + ".");
        return out;
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) { return ops.reshape(x, outputShape(ops.shape(x))); }

    @Override protected void writeConfig(ObjectNode c) { c.set("target_shape", Config.array(target)); }
}
