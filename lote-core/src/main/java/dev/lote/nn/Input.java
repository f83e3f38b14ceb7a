package dev.lote.nn;

/** Keras' {@code keras.Input}: the first node of a functional model. */
public final class Input {
    private Input() {}

    public static Node of(Shape shape) { return new InputLayer(shape).node(); }

    public static Node of(Shape shape, String name) { return new InputLayer(shape).<InputLayer>name(name).node(); }
}
