package dev.lote.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** A model's input: the shape of one sample. {@code Node x = Input.of(Shape.image(224, 224, 3));} */
public final class InputLayer extends Layer {
    private final Shape shape;

    public InputLayer(Shape shape) { this.shape = shape; }

    /** Keras 3 writes {@code batch_shape: [null, h, w, c]}; Keras 2 and tfjs {@code batch_input_shape}. */
    public InputLayer(Config c) {
        super(c);
        JsonNode s = c.node().has("batch_shape") ? c.node().get("batch_shape") : c.node().get("batch_input_shape");
        if (s == null || !s.isArray() || s.size() < 2) throw c.bad("batch_shape", String.valueOf(s), "[null, height, width, channels]");
        int[] dims = new int[s.size() - 1];
        for (int i = 1; i < s.size(); i++) {
            if (!s.get(i).canConvertToInt()) throw c.bad("batch_shape", s.toString(), "a fixed size on every axis but the batch "
                    + "(give the size with --input HxW)");
            dims[i - 1] = s.get(i).asInt();
        }
        this.shape = new Shape(dims);
    }

    public Shape shape() { return shape; }

    public Node node() { return new Node(this); }

    @Override public Shape outputShape(java.util.List<Shape> inputs) { return shape; }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) { return x; }

    @Override protected void writeConfig(ObjectNode c) {
        ArrayNode s = c.putArray("batch_shape");
        s.addNull();
        for (int d : shape.dims()) s.add(d);
        c.put("dtype", "float32");
        c.put("sparse", false);
        c.put("ragged", false);
        c.remove("trainable");
    }
}
