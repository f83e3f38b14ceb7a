package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Keras' {@code Activation} layer: applies one activation function. {@code new ActivationLayer(Activation.HARD_SIGMOID)} */
public final class ActivationLayer extends Layer {
    private final Activation activation;

    public ActivationLayer(Activation a) { activation = a; }

    public ActivationLayer(Config c) {
        super(c);
        activation = c.activation("activation");
    }

    @Override public String className() { return "Activation"; }

    @Override public Activation activation() { return activation; }

    @Override protected Shape outputShape(Shape in) { return in; }

    @Override protected void writeConfig(ObjectNode c) { c.put("activation", activation.keras()); }
}
