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

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) { return activate(ops, x, activation, mode); }

    @Override protected void writeConfig(ObjectNode c) { c.put("activation", activation.keras()); }
}
