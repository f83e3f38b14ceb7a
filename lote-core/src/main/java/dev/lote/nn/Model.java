package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A functional model: a graph of layer calls from inputs to an output, as Keras' {@code keras.Model(inputs, outputs)}.
 * Layers may take several inputs ({@code Add}, {@code Concatenate}), branch, be called more than once (sharing their
 * weights) and be models themselves (Keras applications are nested this way). {@link Sequential} is the simple case.
 * <pre>{@code
 * Node x = Input.of(Shape.image(32, 32, 3));
 * Node y = new Conv2D(8, 3).padding(Padding.SAME).call(x);
 * Model m = new Model("net", List.of(x), new Dense(4).activation(Activation.SOFTMAX).call(new GlobalAveragePooling2D().call(new Add().call(x, y))));
 * }</pre>
 */
@com.fasterxml.jackson.databind.annotation.JsonSerialize(using = KerasConfig.Writer.class)
@com.fasterxml.jackson.databind.annotation.JsonDeserialize(using = KerasConfig.Reader.class)
public class Model extends Layer {
    /**
     * One call of a layer, in an order where inputs come first: the layer, the calls whose outputs it takes, their
     * shapes, its output shape, and Keras' node index of this call (which call of that layer it is).
     */
    public record Call(Layer layer, List<Integer> inputs, List<Shape> inputShapes, Shape output, int node) {}

    private final List<Layer> layers;
    private final List<Call> calls;
    private final List<Integer> inputs;
    private final int output;

    public Model(String name, List<Node> inputs, Node output) {
        List<Node> order = new ArrayList<>();
        visit(output, new IdentityHashMap<>(), order);
        Map<Node, Integer> index = new IdentityHashMap<>();
        List<Layer> ls = new ArrayList<>();
        Set<Layer> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : order) {
            index.put(n, index.size());
            if (seen.add(n.layer())) ls.add(n.layer());
        }
        List<Integer> in = new ArrayList<>();
        for (Node n : inputs) {
            Integer i = index.get(n);
            if (i == null || !(n.layer() instanceof InputLayer)) throw new IllegalArgumentException("Input "
                    + n.layer().name() + " is not an Input the output depends on.");
            in.add(i);
        }
        List<Call> cs = new ArrayList<>();
        Map<Layer, Integer> callsOf = new IdentityHashMap<>();
        for (Node n : order) {
            if (n.layer() instanceof InputLayer && !inputs.contains(n)) throw new IllegalArgumentException("The output depends on input '"
                    + n.layer().name() + "', which is not one of the model's inputs.");
            int k = callsOf.merge(n.layer(), 1, Integer::sum) - 1;
            cs.add(new Call(n.layer(), n.inputs().stream().map(index::get).toList(), n.inputs().stream().map(Node::shape).toList(),
                    n.shape(), k + firstNode(n.layer())));
        }
        this.layers = List.copyOf(ls);
        this.calls = List.copyOf(cs);
        this.inputs = List.copyOf(in);
        this.output = index.get(output);
        name(name);
        nameLayers();
    }

    /** A graph already in order, as read from a Keras config. */
    protected Model(String name, boolean trainable, List<Layer> layers, List<Call> calls, List<Integer> inputs, int output) {
        this.layers = List.copyOf(layers);
        this.calls = List.copyOf(calls);
        this.inputs = List.copyOf(inputs);
        this.output = output;
        name(name);
        trainable(trainable);
        nameLayers();
    }

    /** Keras numbers a nested functional model's calls from 1: call 0 is the model's own graph. */
    static int firstNode(Layer l) { return l instanceof Model && !(l instanceof Sequential) ? 1 : 0; }

    private static void visit(Node n, Map<Node, Boolean> state, List<Node> order) {
        Boolean s = state.get(n);
        if (s == Boolean.TRUE) return;
        if (s == Boolean.FALSE) throw new IllegalArgumentException("The graph has a cycle at layer " + n.layer().name() + ".");
        state.put(n, false);
        for (Node in : n.inputs()) visit(in, state, order);
        state.put(n, true);
        order.add(n);
    }

    /** Gives unnamed layers Keras' default names ({@code conv2d}, {@code conv2d_1}, …) and checks names are unique. */
    private void nameLayers() { nameDefaults(layers, name()); }

    static void nameDefaults(List<Layer> layers, String model) {
        Set<String> used = new HashSet<>();
        for (Layer l : layers) {
            if (l.name() != null && !used.add(l.name())) throw new IllegalArgumentException("Two layers are named '" + l.name()
                    + "' in model '" + model + "'; layer names must be unique.");
        }
        Map<String, Integer> counters = new HashMap<>();
        for (Layer l : layers) {
            if (l.name() != null) continue;
            String base = Layer.snakeCase(l.className());
            String n;
            do {
                int k = counters.merge(base, 1, Integer::sum) - 1;
                n = k == 0 ? base : base + "_" + k;
            } while (!used.add(n));
            l.name(n);
        }
    }

    /** Every layer once, in the model's order (inputs included), as Keras' {@code model.layers}. */
    public List<Layer> layers() { return layers; }

    public List<Call> calls() { return calls; }

    /** Indices into {@link #calls()} of the inputs and the output. */
    public List<Integer> inputIndices() { return inputs; }

    public int outputIndex() { return output; }

    public List<Shape> inputShapes() { return inputs.stream().map(i -> calls.get(i).output()).toList(); }

    /** The single input's shape (the image size the model takes). */
    public Shape inputShape() {
        if (inputs.size() != 1) throw new IllegalStateException("Model '" + name() + "' has " + inputs.size() + " inputs.");
        return calls.get(inputs.get(0)).output();
    }

    public Shape outputShape() { return calls.get(output).output(); }

    /** Number of classes: the length of the (flat) output. */
    public int classes() {
        Shape out = outputShape();
        if (out.dims().length != 1) throw new IllegalArgumentException("Model '" + name() + "' gives " + out.withBatch()
                + "; a classifier's output must be flat (one value per class). Add GlobalAveragePooling2D or Flatten and Dense.");
        return out.dims()[0];
    }

    public Layer layer(String layerName) {
        for (Layer l : layers) if (l.name().equals(layerName)) return l;
        throw new IllegalArgumentException("Model '" + name() + "' has no layer named '" + layerName + "'.");
    }

    /**
     * The model up to the (first) output of layer {@code layerName}, sharing its layers and so its weights: a
     * backbone cut below its top, or a way to look at an inner layer's output.
     */
    public Model upTo(String layerName) {
        int target = -1;
        for (int i = 0; i < calls.size() && target < 0; i++) if (calls.get(i).layer().name().equals(layerName)) target = i;
        if (target < 0) throw new IllegalArgumentException("Model '" + name() + "' has no layer named '" + layerName + "'.");
        boolean[] needed = new boolean[calls.size()];
        needed[target] = true;
        for (int i = target; i >= 0; i--) if (needed[i]) for (int j : calls.get(i).inputs()) needed[j] = true;
        int[] index = new int[calls.size()];
        List<Call> kept = new ArrayList<>();
        for (int i = 0; i <= target; i++) {
            if (!needed[i]) continue;
            Call c = calls.get(i);
            index[i] = kept.size();
            kept.add(new Call(c.layer(), c.inputs().stream().map(j -> index[j]).toList(), c.inputShapes(), c.output(), c.node()));
        }
        List<Integer> in = new ArrayList<>();
        for (int i : inputs) if (needed[i]) in.add(index[i]);
        List<Layer> ls = layers.stream().filter(l -> kept.stream().anyMatch(c -> c.layer() == l)).toList();
        return new Model(name() + "_to_" + layerName, trainable(), ls, kept, in, index[target]);
    }

    /** The input shapes of a layer's first call (what its weights were built for). */
    public List<Shape> inputsOf(Layer l) {
        for (Call c : calls) if (c.layer() == l) return c.inputShapes();
        throw new IllegalArgumentException("Layer '" + l.name() + "' is not called in model '" + name() + "'.");
    }

    /** As a layer, the model must be called on inputs of the shapes it was built for. */
    @Override public Shape outputShape(List<Shape> in) {
        if (!in.equals(inputShapes())) throw new IllegalArgumentException("Model '" + name() + "' expects inputs "
                + inputShapes().stream().map(Shape::withBatch).toList() + ", got " + in.stream().map(Shape::withBatch).toList() + ".");
        return outputShape();
    }

    @Override public List<Weight> weights(List<Shape> in) { return List.of(); }

    @Override public long parameterCount(List<Shape> in) { return parameterCount(); }

    @Override public long trainableCount(List<Shape> in) { return trainable() ? trainableCount() : 0; }

    public long parameterCount() {
        long n = 0;
        for (Layer l : layers) n += l.parameterCount(inputsOf(l));
        return n;
    }

    public long trainableCount() {
        long n = 0;
        for (Layer l : layers) n += l.trainableCount(inputsOf(l));
        return n;
    }

    /** Every weight by its path ({@code layer/weight}, {@code model/layer/weight} when nested), in layer order. */
    public Map<String, Weight> weightsByPath() {
        Map<String, Weight> out = new LinkedHashMap<>();
        for (Layer l : layers) {
            if (l instanceof Model m) m.weightsByPath().forEach((p, w) -> out.put(l.name() + "/" + p, w));
            else for (Weight w : l.weights(inputsOf(l))) out.put(l.name() + "/" + w.name(), w);
        }
        return out;
    }

    /** The paths of the weights an optimizer trains: trainable weights of trainable layers in trainable models. */
    public List<String> trainedPaths() {
        List<String> out = new ArrayList<>();
        if (!trainable()) return out;
        for (Layer l : layers) {
            if (!l.trainable()) continue;
            if (l instanceof Model m) m.trainedPaths().forEach(p -> out.add(l.name() + "/" + p));
            else for (Weight w : l.weights(inputsOf(l))) if (w.trainable()) out.add(l.name() + "/" + w.name());
        }
        return out;
    }

    /**
     * For several labels per image: the final softmax {@code Dense} made a sigmoid one, each class a yes or no of its own
     * (Keras' multi-label recipe). Changes this model, before any network is built from it, and returns it.
     */
    public Model sigmoidOutput() {
        Layer last = calls.get(output).layer();
        if (last instanceof Model inner) {
            inner.sigmoidOutput();
        } else if (last instanceof Dense d && d.activation() == Activation.SOFTMAX) {
            d.activation(Activation.SIGMOID);
        } else if (activation() != Activation.SIGMOID) {
            throw new IllegalArgumentException("Model '" + name() + "' ends in " + last.getClass().getSimpleName() + " ("
                    + activation().name().toLowerCase(java.util.Locale.ROOT) + "), not a softmax Dense that multi-label training "
                    + "could turn into a sigmoid one.");
        }
        return this;
    }

    /** The activation of the layer that gives the output (so the loss can take the logits before a softmax). */
    @Override public Activation activation() { return calls.get(output).layer().activation(); }

    @Override protected void writeConfig(ObjectNode c) { KerasConfig.writeModel(this, c); }

    /** Keras 3's JSON: {@code {"class_name": "Functional", "config": {...}}}, which Keras reads back. */
    public String toJson() { return KerasConfig.toJson(this); }

    public static Model fromJson(String json) { return KerasConfig.fromJson(json, null); }
}
