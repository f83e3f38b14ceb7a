package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A layer kind, all in one class: its Keras config, the shape it makes of its inputs, the named weights it needs (in
 * Keras' layout), and its computation, written once against {@link Ops}, which every engine runs (libtorch for
 * training and prediction, the ONNX writer). Pure Java. Register a new kind in {@link Layers}.
 * Configure a layer (chainable setters) before calling it on a {@link Node}; a layer called twice shares its weights.
 * {@code Node y = new Conv2D(8, 3).padding(Padding.SAME).activation(Activation.RELU).call(x);}
 */
public abstract class Layer {
    private String name;
    private boolean trainable = true;

    protected Layer() {}

    /** Reads the arguments every layer has ({@code name}, {@code trainable}); kinds read their own. */
    protected Layer(Config c) {
        this.name = c.text("name", null);
        this.trainable = c.bool("trainable", true);
    }

    /** Keras' class name, e.g. {@code Conv2D}. */
    public String className() { return getClass().getSimpleName(); }

    /** The Python module Keras finds the class in when it loads a saved model. */
    public String kerasModule() { return "keras.layers"; }

    /** The layer's name, unique in its model; null until given or until a model names it ({@code conv2d_1}). */
    public String name() { return name; }

    @SuppressWarnings("unchecked")
    public <T extends Layer> T name(String n) {
        this.name = n;
        return (T) this;
    }

    /** False when frozen: its weights stay as they are while training. */
    public boolean trainable() { return trainable; }

    @SuppressWarnings("unchecked")
    public <T extends Layer> T trainable(boolean t) {
        this.trainable = t;
        return (T) this;
    }

    /** The output shape for one sample; throws {@link IllegalArgumentException} when the inputs do not fit. */
    public Shape outputShape(List<Shape> inputs) {
        if (inputs.size() != 1) throw new IllegalArgumentException(className() + " takes one input, got " + inputs.size() + ".");
        return outputShape(inputs.get(0));
    }

    /** Single-input layers implement this. */
    protected Shape outputShape(Shape input) { throw new UnsupportedOperationException(className()); }

    /** The weights this layer creates for these inputs, in Keras' order and layout (kernel, then bias, ...). */
    public List<Weight> weights(List<Shape> inputs) { return inputs.size() == 1 ? weights(inputs.get(0)) : List.of(); }

    protected List<Weight> weights(Shape input) { return List.of(); }

    /** Keras' "Param #": every weight, trained or not. */
    public long parameterCount(List<Shape> inputs) { return weights(inputs).stream().mapToLong(Weight::size).sum(); }

    public long trainableCount(List<Shape> inputs) {
        return trainable ? weights(inputs).stream().filter(Weight::trainable).mapToLong(Weight::size).sum() : 0;
    }

    /** The activation this layer ends with (a final softmax is left to the loss, which takes logits). */
    public Activation activation() { return Activation.LINEAR; }

    /** The layer's computation for one call, on an engine's values. */
    public <T> T compute(Ops<T> ops, List<T> inputs, Weights<T> w, Mode mode) {
        if (inputs.size() != 1) throw new IllegalArgumentException(className() + " takes one input, got " + inputs.size() + ".");
        return compute(ops, inputs.get(0), w, mode);
    }

    /** Single-input layers implement this. */
    protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) { throw new UnsupportedOperationException(className()); }

    /**
     * In inference, whether this layer is a per-channel affine map y = x · scale + shift (batch normalization, pixel
     * scaling): then (scale, shift) for {@code channels} channels, from its weights ({@code path + name}), which an
     * exporter may fold into a neighbour; else null.
     */
    public float[][] inferenceAffine(java.util.Map<String, float[]> weights, String path, int channels) { return null; }

    /** The activation, except a final softmax or sigmoid where the loss takes logits. */
    protected static <T> T activate(Ops<T> ops, T x, Activation a, Mode mode) { return skips(a, mode) ? x : ops.activation(x, a); }

    /** {@link #activate} of the layer's own output, just computed and read by nobody else: an engine may overwrite it. */
    protected static <T> T activateOwn(Ops<T> ops, T x, Activation a, Mode mode) { return skips(a, mode) ? x : ops.ownActivation(x, a); }

    private static boolean skips(Activation a, Mode mode) {
        return a == Activation.LINEAR || ((a == Activation.SOFTMAX || a == Activation.SIGMOID) && mode.logits())
                || ((a == Activation.RELU || a == Activation.RELU6) && mode.reluLater());
    }

    /** Calls the layer on symbolic inputs, checking shapes now: {@code y = layer.call(x)}. */
    public Node call(Node... inputs) { return new Node(this, List.of(inputs)); }

    /** Keras' config: name, trainable and the kind's own arguments. */
    public final ObjectNode config() {
        ObjectNode c = Config.JSON.createObjectNode();
        c.put("name", name);
        c.put("trainable", trainable);
        writeConfig(c);
        return c;
    }

    /** Writes the kind's arguments in Keras' names. */
    protected abstract void writeConfig(ObjectNode c);

    /** Keras' {@code to_snake_case}: default layer names and weight-file paths ({@code ReLU} → {@code re_lu}). */
    public static String snakeCase(String className) {
        String s = className.replaceAll("\\W+", "");
        s = s.replaceAll("(.)([A-Z][a-z]+)", "$1_$2");
        return s.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    protected static Shape requireImage(Layer layer, Shape input) {
        if (!input.isImage()) throw new IllegalArgumentException(layer.className() + " expects an image input "
                + "(height, width, channels), got " + input.withBatch() + ". Put it before Flatten.");
        return input;
    }

    protected static int channels(Shape in) { return in.dims()[in.dims().length - 1]; }

    @Override public String toString() { return className() + (name == null ? "" : " '" + name + "'") + " " + config(); }

    /** Same kind and same config (names included). */
    @Override public boolean equals(Object o) {
        return o instanceof Layer l && l.getClass() == getClass() && l.config().equals(config());
    }

    @Override public int hashCode() { return Arrays.hashCode(new Object[] {getClass(), config()}); }
}
