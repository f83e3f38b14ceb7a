package dev.lote.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A stack of layers over a fixed input shape: the simple case of a {@link Model}, each layer called on the one before.
 * Every shape is checked here, so a spec that does not fit fails now, not mid-training.
 * {@code new Sequential(Shape.image(768, 1024, 3), List.of(new Conv2D(16, 3), new Flatten(), new Dense(14)))}
 */
public final class Sequential extends Model {
    public Sequential(Shape inputShape, List<Layer> layers) { this("sequential", inputShape, layers); }

    public Sequential(String name, Shape inputShape, List<Layer> layers) {
        this(name, Input.of(require(inputShape)), layers);
    }

    private Sequential(String name, Node input, List<Layer> layers) { super(name, List.of(input), chain(input, layers)); }

    private static Shape require(Shape s) {
        if (s == null) throw new IllegalArgumentException("The model needs an input shape, e.g. 768x1024x3.");
        return s;
    }

    private static Node chain(Node x, List<Layer> layers) {
        if (layers == null || layers.isEmpty()) throw new IllegalArgumentException("The model has no layers.");
        nameDefaults(layers, "sequential"); // now, so a shape error names the layer
        for (Layer l : layers) x = l.call(x);
        return x;
    }

    /** The stacked layers, without the input (as Keras' {@code Sequential.layers}). */
    public List<Layer> stack() { return layers().subList(1, layers().size()); }

    /**
     * Reads a spec file: Lote's {@code {"layers": [{"type": "Conv2D", ...}]}} or a Keras model config; an input shape
     * left out is taken from {@code fallbackInput}.
     */
    public static Model read(Path file, Shape fallbackInput) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read model spec " + file + ": " + e.getMessage(), e);
        }
        try {
            return KerasConfig.fromJson(text, fallbackInput);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }
}
