package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Reorders the axes of each sample; {@code dims} counts from 1 as in Keras: {@code new Permute(2, 1)}. */
public final class Permute extends Layer {
    private final int[] dims;

    public Permute(int... dims) { this.dims = dims.clone(); }

    public Permute(Config c) {
        super(c);
        dims = c.ints("dims", 0, null);
        if (dims == null) throw c.bad("dims", "missing", "a permutation of 1..rank");
    }

    public int[] dims() { return dims.clone(); }

    @Override protected Shape outputShape(Shape in) {
        int[] d = new int[dims.length];
        boolean[] used = new boolean[dims.length + 1];
        if (dims.length != in.dims().length) throw new IllegalArgumentException("Permute " + java.util.Arrays.toString(dims)
                + " needs an input of rank " + dims.length + ", got " + in.withBatch() + ".");
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 1 || dims[i] > dims.length || used[dims[i]]) throw new IllegalArgumentException("Permute dims "
                    + java.util.Arrays.toString(dims) + " must be a permutation of 1.." + dims.length + ".");
            used[dims[i]] = true;
            d[i] = in.dims()[dims[i] - 1];
        }
        return new Shape(d);
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) { return ops.permute(x, dims); }

    @Override protected void writeConfig(ObjectNode c) { c.set("dims", Config.array(dims)); }
}
