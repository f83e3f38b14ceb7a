package dev.lote.nn;

import java.util.List;

/**
 * A symbolic tensor in a functional model: the output of one call of a layer on other nodes (Keras' KerasTensor).
 * Its shape is computed, and checked, when the call is made. {@code Node x = Input.of(Shape.image(96, 96, 3));}
 */
public final class Node {
    private final Layer layer;
    private final List<Node> inputs;
    private final Shape shape;

    Node(Layer layer, List<Node> inputs) {
        this.layer = layer;
        this.inputs = List.copyOf(inputs);
        try {
            this.shape = layer.outputShape(this.inputs.stream().map(Node::shape).toList());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Layer " + (layer.name() == null ? layer.className() : "'" + layer.name()
                    + "' (" + layer.className() + ")") + " on input " + this.inputs.stream().map(n -> n.shape().withBatch()).toList()
                    + ": " + e.getMessage(), e);
        }
    }

    /** An input node (InputLayer). */
    Node(InputLayer input) {
        this.layer = input;
        this.inputs = List.of();
        this.shape = input.shape();
    }

    public Layer layer() { return layer; }
    public List<Node> inputs() { return inputs; }
    public Shape shape() { return shape; }
}
