package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** Inception-ResNet's residual sum (keras.applications' CustomScaleLayer): {@code inputs[0] + inputs[1] · scale}. */
public final class CustomScaleLayer extends Layer {
    private final double scale;

    public CustomScaleLayer(double scale) { this.scale = scale; }

    public CustomScaleLayer(Config c) {
        super(c);
        scale = c.number("scale", 1);
    }

    @Override public String kerasModule() { return "keras.src.applications.inception_resnet_v2"; }

    @Override public Shape outputShape(List<Shape> in) {
        if (in.size() != 2 || !in.get(0).equals(in.get(1))) throw new IllegalArgumentException("CustomScaleLayer takes two inputs of one shape, got "
                + in.stream().map(Shape::withBatch).toList() + ".");
        return in.get(0);
    }

    @Override public <T> T compute(Ops<T> ops, List<T> in, Weights<T> w, Mode mode) {
        return ops.add(in.get(0), ops.multiply(in.get(1), ops.constant((float) scale)));
    }

    @Override protected void writeConfig(ObjectNode c) { c.put("scale", scale); }
}
