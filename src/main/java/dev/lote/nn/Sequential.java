package dev.lote.nn;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A stack of layers over a fixed input shape: the model's architecture, without weights.
 * Every layer's shape is checked when it is built, so a spec that does not fit fails here, not mid-training.
 * {@code new Sequential(Shape.image(768, 1024, 3), List.of(new Conv2D(16, 3), new Flatten(), new Dense(14)))}
 */
public record Sequential(Shape inputShape, List<Layer> layers) {
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** One row of the summary: the layer with its Keras name and shapes. */
    public record Node(String name, Layer layer, Shape input, Shape output, long parameters) {}

    @JsonCreator
    public Sequential(@JsonProperty("input_shape") Shape inputShape, @JsonProperty("layers") List<Layer> layers) {
        if (inputShape == null) throw new IllegalArgumentException("The model needs an input shape, e.g. 768x1024x3.");
        if (layers == null || layers.isEmpty()) throw new IllegalArgumentException("The model has no layers.");
        this.inputShape = inputShape;
        this.layers = List.copyOf(layers);
        nodes(); // checks every shape now
        Layer last = this.layers.get(this.layers.size() - 1);
        if (!(last instanceof Dense d) || (d.activation() != Activation.SOFTMAX && d.activation() != Activation.LINEAR)) {
            throw new IllegalArgumentException("The last layer must be Dense with 'softmax' (or 'linear' logits) "
                    + "activation for classification, got " + last + ".");
        }
    }

    public Sequential withInput(Shape input) { return new Sequential(input, layers); }

    /** Layers with their names, in order; names follow Keras ({@code conv2d}, {@code conv2d_1}, …). */
    @JsonIgnore public List<Node> nodes() {
        List<Node> nodes = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        Shape shape = inputShape;
        for (Layer layer : layers) {
            int k = seen.merge(layer.baseName(), 1, Integer::sum) - 1;
            String name = k == 0 ? layer.baseName() : layer.baseName() + "_" + k;
            Shape out;
            try {
                out = layer.outputShape(shape);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Layer '" + name + "' (" + layer.type() + ") on input "
                        + shape.withBatch() + ": " + e.getMessage(), e);
            }
            nodes.add(new Node(name, layer, shape, out, layer.parameterCount(shape)));
            shape = out;
        }
        return nodes;
    }

    @JsonIgnore public Shape outputShape() { return nodes().get(nodes().size() - 1).output(); }

    /** Number of classes the model predicts (units of the last Dense layer). */
    @JsonIgnore public int classes() { return outputShape().dims()[0]; }

    @JsonIgnore public long parameterCount() { return nodes().stream().mapToLong(Node::parameters).sum(); }

    @JsonIgnore public long trainableCount() { return nodes().stream().mapToLong(n -> n.layer().trainableCount(n.input())).sum(); }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Sequential fromJson(String json) {
        try {
            return JSON.readValue(json, Sequential.class);
        } catch (IOException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException iae ? iae : e;
            throw new IllegalArgumentException("Invalid model spec: " + cause.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /** Reads a spec file; its input shape may be left out and taken from {@code fallbackInput}. */
    public static Sequential read(Path file, Shape fallbackInput) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read model spec " + file + ": " + e.getMessage(), e);
        }
        try {
            var tree = JSON.readTree(text);
            if (tree != null && tree.isObject() && !tree.has("input_shape") && fallbackInput != null) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) tree).set("input_shape", JSON.valueToTree(fallbackInput));
                text = JSON.writeValueAsString(tree);
            }
            return fromJson(text);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }
}
