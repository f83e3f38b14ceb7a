package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A layer that combines several tensors of the same shape element by element ({@code Add}, {@code Subtract},
 * {@code Multiply}, {@code Average}, {@code Maximum}) or along an axis ({@code Concatenate}).
 * {@code Node sum = new Merge(Merge.Op.ADD).call(a, b, c);}
 */
public final class Merge extends Layer {
    public enum Op {
        ADD("Add"), SUBTRACT("Subtract"), MULTIPLY("Multiply"), AVERAGE("Average"), MAXIMUM("Maximum"), CONCATENATE("Concatenate");

        final String keras;

        Op(String keras) { this.keras = keras; }

        public String keras() { return keras; }
    }

    private final Op op;
    private final int axis; // Concatenate only, Keras' numbering (-1: last)

    public Merge(Op op) { this(op, -1); }

    public Merge(Op op, int axis) {
        this.op = op;
        this.axis = axis;
    }

    public Merge(Op op, Config c) {
        super(c);
        this.op = op;
        this.axis = c.integer("axis", -1);
    }

    public Op op() { return op; }

    /** Concatenate's axis counted on one sample's shape (0 = first axis after the batch). */
    public int sampleAxis(int rank) {
        int a = axis < 0 ? rank + axis : axis - 1;
        if (a < 0 || a >= rank) throw new IllegalArgumentException("Concatenate axis " + axis + " does not exist for rank " + rank + ".");
        return a;
    }

    @Override public String className() { return op.keras; }

    @Override public Shape outputShape(List<Shape> in) {
        if (in.size() < 2 || (op == Op.SUBTRACT && in.size() != 2)) throw new IllegalArgumentException(op.keras + " takes "
                + (op == Op.SUBTRACT ? "exactly two" : "two or more") + " inputs, got " + in.size() + ".");
        Shape first = in.get(0);
        if (op != Op.CONCATENATE) { // one shape, or axes of 1 that broadcast (a squeeze-and-excite scale)
            int[] d = first.dims().clone();
            for (Shape s : in) {
                boolean fits = s.dims().length == d.length;
                for (int k = 0; fits && k < d.length; k++) {
                    int a = d[k], b = s.dims()[k];
                    fits = a == b || a == 1 || b == 1;
                    d[k] = Math.max(a, b);
                }
                if (!fits) throw new IllegalArgumentException(op.keras + " needs inputs of one shape, got "
                        + in.stream().map(Shape::withBatch).toList() + ".");
            }
            return new Shape(d);
        }
        int rank = first.dims().length, a = sampleAxis(rank);
        int[] d = first.dims().clone();
        for (int i = 1; i < in.size(); i++) {
            int[] o = in.get(i).dims();
            boolean fits = o.length == rank;
            for (int k = 0; fits && k < rank; k++) fits = k == a || o[k] == d[k];
            if (!fits) throw new IllegalArgumentException("Concatenate needs inputs that differ only on axis " + axis + ", got "
                    + in.stream().map(Shape::withBatch).toList() + ".");
            d[a] += o[a];
        }
        return new Shape(d);
    }

    @Override public <T> T compute(Ops<T> ops, List<T> in, Weights<T> w, Mode mode) {
        T y = in.get(0);
        switch (op) {
            case ADD -> { for (int i = 1; i < in.size(); i++) y = ops.add(y, in.get(i)); }
            case SUBTRACT -> y = ops.subtract(y, in.get(1));
            case MULTIPLY -> { for (int i = 1; i < in.size(); i++) y = ops.multiply(y, in.get(i)); }
            case AVERAGE -> {
                for (int i = 1; i < in.size(); i++) y = ops.add(y, in.get(i));
                y = ops.divide(y, ops.constant(in.size()));
            }
            case MAXIMUM -> { for (int i = 1; i < in.size(); i++) y = ops.maximum(y, in.get(i)); }
            case CONCATENATE -> y = ops.concat(in, sampleAxis(ops.shape(y).dims().length));
        }
        return y;
    }

    @Override protected void writeConfig(ObjectNode c) { if (op == Op.CONCATENATE) c.put("axis", axis); }
}
