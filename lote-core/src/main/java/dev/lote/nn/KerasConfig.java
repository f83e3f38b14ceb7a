package dev.lote.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Models to and from Keras' JSON: Keras 3's {@code config.json} (inbound nodes as {@code __keras_tensor__} args),
 * Keras 2 and TensorFlow.js topologies (inbound nodes as {@code [layer, node, tensor, kwargs]} lists), and Lote's
 * own first spec form ({@code {"layers": [{"type": "Conv2D", ...}]}}). Layer kinds are found in {@link Layers}.
 */
public final class KerasConfig {
    private KerasConfig() {}

    /** Every layer class name Lote reads, for error messages. */
    public static List<String> supported() {
        TreeSet<String> s = new TreeSet<>(Layers.names());
        s.addAll(List.of("InputLayer", "Functional", "Sequential"));
        return List.copyOf(s);
    }

    /** Thrown for a layer kind Lote does not have; names the layer and what is supported. */
    public static final class UnsupportedLayerException extends IllegalArgumentException {
        public UnsupportedLayerException(String className, String name) {
            super("Layer '" + name + "' is a " + className + ", which Lote does not support. Supported layers: "
                    + String.join(", ", supported()) + ".");
        }
    }

    public static String toJson(Model m) {
        try {
            return Config.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toTree(m));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code {"module", "class_name", "config", "build_config"}} as Keras 3 writes a model. */
    public static ObjectNode toTree(Model m) {
        ObjectNode t = Config.JSON.createObjectNode();
        t.put("module", m instanceof Sequential ? "keras.src.models.sequential" : "keras.src.models.functional");
        t.put("class_name", m instanceof Sequential ? "Sequential" : "Functional");
        t.set("config", m.config());
        t.putNull("registered_name");
        if (m.inputShapes().size() == 1) t.putObject("build_config").set("input_shape", batchShape(m.inputShape()));
        return t;
    }

    public static Model fromJson(String json, Shape fallbackInput) {
        JsonNode tree;
        try {
            tree = Config.JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("Invalid model JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        return fromTree(tree, fallbackInput);
    }

    public static Model fromTree(JsonNode tree, Shape fallbackInput) {
        if (tree == null || !tree.isObject()) throw new IllegalArgumentException("Invalid model spec: expected a JSON object.");
        if (tree.has("layers") && !tree.has("class_name")) return fromLoteSpec(tree, fallbackInput);
        if (tree.has("model_config")) tree = tree.get("model_config"); // a tfjs modelTopology or a legacy h5 attribute
        Layer l = layer(tree, fallbackInput);
        if (!(l instanceof Model m)) throw new IllegalArgumentException("Expected a model (Functional or Sequential), got a "
                + tree.path("class_name").asText() + ".");
        return m;
    }

    /** Lote 0.1's spec: {@code {"input_shape": [h, w, c], "layers": [{"type": "Conv2D", "filters": 16, ...}]}}. */
    private static Model fromLoteSpec(JsonNode tree, Shape fallbackInput) {
        Shape input = fallbackInput;
        if (tree.hasNonNull("input_shape")) {
            JsonNode s = tree.get("input_shape");
            int[] d = new int[s.size()];
            for (int i = 0; i < d.length; i++) d[i] = s.get(i).asInt();
            input = new Shape(d);
        }
        List<Layer> layers = new ArrayList<>();
        for (JsonNode spec : tree.get("layers")) {
            if (!spec.hasNonNull("type")) throw new IllegalArgumentException("Invalid model spec: a layer has no \"type\": " + spec);
            ObjectNode c = ((ObjectNode) spec).deepCopy();
            String type = c.remove("type").asText();
            layers.add(kind(type, c));
        }
        return new Sequential(input, layers);
    }

    private static Layer kind(String className, JsonNode config) {
        Function<Config, Layer> make = Layers.reader(className);
        if (make == null) throw new UnsupportedLayerException(className, config == null ? "?" : config.path("name").asText("?"));
        return make.apply(new Config(className, config));
    }

    private static Layer layer(JsonNode t, Shape fallbackInput) {
        String cls = t.path("class_name").asText("");
        JsonNode config = t.get("config");
        return switch (cls) {
            case "Functional", "Model" -> functional(config, fallbackInput);
            case "Sequential" -> sequential(config, fallbackInput);
            case "InputLayer" -> input(config, fallbackInput);
            default -> kind(cls, config);
        };
    }

    private static InputLayer input(JsonNode config, Shape fallbackInput) {
        ObjectNode c = config.deepCopy();
        String key = c.has("batch_shape") ? "batch_shape" : "batch_input_shape";
        JsonNode s = c.get(key);
        if (fallbackInput != null && s != null && s.isArray()) {
            ArrayNode fixed = c.putArray(key);
            fixed.addNull();
            for (int i = 1; i < s.size(); i++) {
                boolean spatial = i - 1 < 2 && fallbackInput.dims().length == 3;
                fixed.add(s.get(i).isNull() && spatial ? fallbackInput.dims()[i - 1] : s.get(i).asInt());
            }
        }
        return new InputLayer(new Config("InputLayer", c));
    }

    private static Model sequential(JsonNode config, Shape fallbackInput) {
        List<Layer> layers = new ArrayList<>();
        Shape input = null;
        for (JsonNode l : config.path("layers")) {
            if (l.path("class_name").asText().equals("InputLayer")) {
                input = input(l.get("config"), fallbackInput).shape();
                continue;
            }
            JsonNode c = l.path("config");
            if (input == null && (c.has("batch_input_shape") || c.has("batch_shape"))) input = input(c, fallbackInput).shape();
            layers.add(layer(l, fallbackInput));
        }
        if (input == null && config.has("build_input_shape")) input = input(Config.JSON.createObjectNode()
                .set("batch_shape", config.get("build_input_shape")), fallbackInput).shape();
        if (input == null) input = fallbackInput;
        Sequential s = new Sequential(config.path("name").asText("sequential"), input, layers);
        s.trainable(config.path("trainable").asBoolean(true));
        return s;
    }

    /** A reference to a tensor: the layer, which of its calls, which output. */
    private record Ref(String layer, int node, int tensor) {}

    private static Model functional(JsonNode config, Shape fallbackInput) {
        String name = config.path("name").asText("functional");
        Map<String, Layer> byName = new LinkedHashMap<>();
        Map<String, List<List<Ref>>> inbound = new HashMap<>();
        for (JsonNode l : config.path("layers")) {
            Layer withNumber = arithmeticWithNumber(l);
            Layer layer = withNumber != null ? withNumber : layer(l, fallbackInput);
            String n = l.hasNonNull("name") ? l.get("name").asText() : layer.name();
            layer.name(n);
            if (byName.put(n, layer) != null) throw new IllegalArgumentException("Two layers are named '" + n + "' in model '" + name + "'.");
            List<List<Ref>> calls = new ArrayList<>();
            for (JsonNode node : l.path("inbound_nodes")) calls.add(refs(node));
            inbound.put(n, calls);
        }
        // Calls in an order where every input exists already (Keras' own config order usually is one).
        List<Model.Call> calls = new ArrayList<>();
        Map<Ref, Integer> made = new HashMap<>();
        List<Layer> order = new ArrayList<>(byName.values());
        for (Layer l : order) if (l instanceof InputLayer in) {
            made.put(new Ref(l.name(), 0, 0), calls.size());
            calls.add(new Model.Call(l, List.of(), List.of(), in.shape(), 0));
        }
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Layer l : order) {
                List<List<Ref>> pending = inbound.get(l.name());
                for (int k = 0; k < pending.size(); k++) {
                    Ref self = new Ref(l.name(), k + Model.firstNode(l), 0);
                    if (made.containsKey(self) || pending.get(k) == null) continue;
                    List<Integer> ins = new ArrayList<>();
                    for (Ref r : pending.get(k)) {
                        Integer i = made.get(new Ref(r.layer(), r.node(), 0));
                        if (r.tensor() != 0) throw new IllegalArgumentException("Layer '" + l.name() + "' takes output " + r.tensor()
                                + " of '" + r.layer() + "'; Lote's layers have one output each.");
                        if (i == null) { ins = null; break; }
                        ins.add(i);
                    }
                    if (ins == null) continue;
                    List<Shape> shapes = ins.stream().map(i -> calls.get(i).output()).toList();
                    Shape out;
                    try {
                        out = l.outputShape(shapes);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("Layer '" + l.name() + "' (" + l.className() + ") on input "
                                + shapes.stream().map(Shape::withBatch).toList() + ": " + e.getMessage(), e);
                    }
                    made.put(self, calls.size());
                    calls.add(new Model.Call(l, ins, shapes, out, self.node()));
                    progress = true;
                }
            }
        }
        List<Integer> inputs = new ArrayList<>();
        for (Ref r : refList(config.get("input_layers"))) inputs.add(resolve(made, r, name));
        List<Ref> outs = refList(config.get("output_layers"));
        if (outs.size() != 1) throw new IllegalArgumentException("Model '" + name + "' has " + outs.size() + " outputs; Lote "
                + "classifies with models of one output.");
        int output = resolve(made, outs.get(0), name);
        // keep only the layers that are called (Keras lists every layer once)
        List<Layer> used = order.stream().filter(l -> calls.stream().anyMatch(c -> c.layer() == l)).toList();
        return new Model(name, config.path("trainable").asBoolean(true), used, calls, inputs, output);
    }

    /**
     * Keras 3 writes arithmetic with a number on a tensor ({@code x + 3.0}, {@code x * (1 / 6)} in MobileNetV3's
     * hard sigmoid) as a {@code keras.src.ops.numpy} node whose args hold the number: that is a Rescaling
     * ({@code x · scale + offset}). Null for anything else.
     */
    private static Layer arithmeticWithNumber(JsonNode l) {
        JsonNode nodes = l.path("inbound_nodes");
        if (!"keras.src.ops.numpy".equals(l.path("module").asText()) || nodes.size() != 1) return null;
        JsonNode args = nodes.get(0).path("args");
        if (args.size() != 2 || args.get(0).isNumber() == args.get(1).isNumber()) return null;
        boolean numberFirst = args.get(0).isNumber();
        double c = args.get(numberFirst ? 0 : 1).asDouble();
        return switch (l.path("class_name").asText()) {
            case "Add" -> new Rescaling(1, c);
            case "Subtract" -> numberFirst ? new Rescaling(-1, c) : new Rescaling(1, -c);
            case "Multiply" -> new Rescaling(c, 0);
            case "Divide", "TrueDivide" -> numberFirst ? null : new Rescaling(1 / c, 0);
            default -> null;
        };
    }

    private static int resolve(Map<Ref, Integer> made, Ref r, String model) {
        Integer i = made.get(new Ref(r.layer(), r.node(), 0));
        if (i == null) throw new IllegalArgumentException("Model '" + model + "' refers to " + r.layer() + "[" + r.node()
                + "], which no inbound node produces.");
        return i;
    }

    /** {@code ["name", 0, 0]} or {@code [["name", 0, 0], ...]}. */
    private static List<Ref> refList(JsonNode n) {
        List<Ref> out = new ArrayList<>();
        if (n == null || !n.isArray() || n.isEmpty()) return out;
        if (n.get(0).isTextual()) out.add(new Ref(n.get(0).asText(), n.get(1).asInt(), n.get(2).asInt()));
        else for (JsonNode r : n) out.add(new Ref(r.get(0).asText(), r.get(1).asInt(), r.get(2).asInt()));
        return out;
    }

    /** The tensors one inbound node takes: Keras 3's {@code {"args": [...]}} or Keras 2's {@code [[name, node, tensor, {}], ...]}. */
    private static List<Ref> refs(JsonNode node) {
        List<Ref> out = new ArrayList<>();
        if (node.isObject()) collect(node.get("args"), out);
        else for (JsonNode r : node) out.add(new Ref(r.get(0).asText(), r.get(1).asInt(), r.get(2).asInt()));
        return out;
    }

    private static void collect(JsonNode arg, List<Ref> out) {
        if (arg == null) return;
        if (arg.isObject() && "__keras_tensor__".equals(arg.path("class_name").asText())) {
            JsonNode h = arg.path("config").path("keras_history");
            out.add(new Ref(h.get(0).asText(), h.get(1).asInt(), h.get(2).asInt()));
        } else if (arg.isArray()) {
            for (JsonNode a : arg) collect(a, out);
        }
    }

    // ---- writing ------------------------------------------------------------------------------------------

    static ArrayNode batchShape(Shape s) {
        ArrayNode a = Config.JSON.createArrayNode().addNull();
        for (int d : s.dims()) a.add(d);
        return a;
    }

    static void writeModel(Model m, ObjectNode c) {
        ArrayNode layers = c.putArray("layers");
        boolean sequential = m instanceof Sequential;
        for (Layer l : m.layers()) {
            ObjectNode e = layers.addObject();
            if (l instanceof Model nested) {
                ObjectNode t = toTree(nested);
                e.setAll(t);
            } else {
                e.put("module", l.kerasModule());
                e.put("class_name", l.className());
                e.set("config", l.config());
                e.putNull("registered_name");
                if (!(l instanceof InputLayer)) {
                    List<Shape> in = m.inputsOf(l);
                    ArrayNode shapes = Config.JSON.createArrayNode();
                    for (Shape s : in) shapes.add(batchShape(s));
                    e.putObject("build_config").set("input_shape", in.size() > 1 ? shapes : shapes.get(0)); // a layer of several inputs takes a list
                }
            }
            if (sequential) continue;
            e.put("name", l.name());
            ArrayNode nodes = e.putArray("inbound_nodes");
            for (Model.Call call : m.calls()) {
                if (call.layer() != l || l instanceof InputLayer) continue;
                ObjectNode node = nodes.addObject();
                ArrayNode args = node.putArray("args");
                ArrayNode target = call.inputs().size() > 1 ? args.addArray() : args;
                for (int i : call.inputs()) target.add(tensor(m.calls().get(i)));
                node.putObject("kwargs");
            }
        }
        if (sequential) {
            c.set("build_input_shape", batchShape(m.inputShape()));
            return;
        }
        ArrayNode ins = Config.JSON.createArrayNode();
        for (int i : m.inputIndices()) ins.add(ref(m.calls().get(i)));
        c.set("input_layers", ins.size() == 1 ? ins.get(0) : ins);
        c.set("output_layers", ref(m.calls().get(m.outputIndex())));
    }

    private static ArrayNode ref(Model.Call call) {
        return Config.JSON.createArrayNode().add(call.layer().name()).add(call.node()).add(0);
    }

    private static ObjectNode tensor(Model.Call from) {
        ObjectNode t = Config.JSON.createObjectNode();
        t.put("class_name", "__keras_tensor__");
        ObjectNode c = t.putObject("config");
        c.set("shape", batchShape(from.output()));
        c.put("dtype", "float32");
        c.set("keras_history", ref(from));
        return t;
    }

    /** Jackson: a model is written and read as its Keras JSON (so a model file's architecture is Keras' config). */
    static final class Writer extends com.fasterxml.jackson.databind.ser.std.StdSerializer<Model> {
        Writer() { super(Model.class); }

        @Override public void serialize(Model m, com.fasterxml.jackson.core.JsonGenerator g,
                                        com.fasterxml.jackson.databind.SerializerProvider p) throws IOException {
            g.writeTree(toTree(m));
        }
    }

    static final class Reader extends com.fasterxml.jackson.databind.deser.std.StdDeserializer<Model> {
        Reader() { super(Model.class); }

        @Override public Model deserialize(com.fasterxml.jackson.core.JsonParser p,
                                           com.fasterxml.jackson.databind.DeserializationContext c) throws IOException {
            return fromTree(p.getCodec().readTree(p), null);
        }
    }
}
