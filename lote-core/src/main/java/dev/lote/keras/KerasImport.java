package dev.lote.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lote.io.ModelFileException;
import dev.lote.nn.InputLayer;
import dev.lote.nn.KerasConfig;
import dev.lote.nn.Layer;
import dev.lote.nn.Model;
import dev.lote.nn.Sequential;
import dev.lote.nn.Shape;
import dev.lote.nn.Weight;
import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Node;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads Keras models: Keras 3 {@code .keras} files (a zip of {@code config.json} and {@code model.weights.h5}),
 * legacy {@code .h5} files ({@code model_config} attribute, {@code model_weights} group), and TensorFlow.js layers
 * models ({@code model.json} with binary shards, or bundled as JS modules as nsfwjs does), with uint8/uint16
 * quantised weights. The result is a {@link Model} and its weights by path, in Keras' layout.
 */
public final class KerasImport {
    private KerasImport() {}

    /** The architecture, its weights by path ({@code conv2d/kernel}), and which kind of file it came from. */
    public record Imported(Model model, Map<String, float[]> weights, String format) {}

    private static final long MAX_JSON = 64L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A weight's values and Keras shape as stored, or null when the file has no such weight. */
    private interface Source {
        Stored find(String layerPath, Layer layer, Weight w, int index) throws IOException;
    }

    private record Stored(int[] shape, float[] values) {}

    /** {@code fallbackInput} fills an input size the file leaves open ({@code [null, null, null, 3]}). */
    public static Imported read(Path path, Shape fallbackInput) throws ModelFileException {
        try {
            if (Files.isDirectory(path)) return tfjs(tfjsTopology(path), path, fallbackInput);
            String name = path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            byte[] head = new byte[8];
            try (var in = Files.newInputStream(path)) {
                in.readNBytes(head, 0, 8);
            }
            if (head[0] == 'P' && head[1] == 'K') return keras3(path, fallbackInput);
            if ((head[0] & 0xff) == 0x89 && head[1] == 'H' && head[2] == 'D' && head[3] == 'F') return legacyH5(path, fallbackInput);
            if (name.endsWith(".json") || name.endsWith(".js")) return tfjs(path, path.getParent(), fallbackInput);
            throw new ModelFileException(path, "not a Keras model: expected a .keras file, an .h5 file, or a TensorFlow.js model.json");
        } catch (NoSuchFileException e) {
            throw new ModelFileException(path, "no such file (" + e.getMessage() + ")");
        } catch (ZipException e) {
            throw new ModelFileException(path, "damaged zip (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new ModelFileException(path, "cannot read (" + e.getMessage() + ")");
        } catch (io.jhdf.exceptions.HdfException e) {
            throw new ModelFileException(path, "damaged HDF5 (" + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(path, e.getMessage());
        }
    }

    // ---- Keras 3 .keras --------------------------------------------------------------------------------------

    private static Imported keras3(Path file, Shape fallbackInput) throws IOException, ModelFileException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String config = new String(entry(zip, file, "config.json"), StandardCharsets.UTF_8);
            Model model = KerasConfig.fromJson(config, fallbackInput);
            try (HdfFile h5 = HdfFile.fromBytes(entry(zip, file, "model.weights.h5"))) {
                Map<String, String> groups = new HashMap<>();
                kerasPaths(model, "layers", "", groups);
                Source source = (layerPath, layer, w, index) -> {
                    String group = groups.get(layerPath);
                    return group == null ? null : dataset(h5, group + "/" + index);
                };
                return new Imported(model, collect(file, model, "", source), "keras");
            }
        }
    }

    private static byte[] entry(ZipFile zip, Path file, String name) throws IOException, ModelFileException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) throw new ModelFileException(file, "not a Keras 3 model file: " + name + " is missing inside");
        if (e.getSize() > (name.endsWith(".json") ? MAX_JSON : 4L << 30)) throw new ModelFileException(file, name + " is too large");
        try (var in = zip.getInputStream(e)) {
            return in.readAllBytes();
        }
    }

    /**
     * Where Keras 3 keeps each layer's variables: {@code layers/<snake_case(class)>[_N]/vars}, numbered per class in the
     * order of {@code model.layers} (which, for a Sequential, leaves out the input), nested models under theirs.
     */
    static void kerasPaths(Model m, String h5Prefix, String ourPrefix, Map<String, String> out) {
        Map<String, Integer> counters = new HashMap<>();
        for (Layer l : m.layers()) {
            if (m instanceof Sequential && l instanceof InputLayer) continue;
            String cls = l instanceof Model ? (l instanceof Sequential ? "Sequential" : "Functional") : l.className();
            String base = Layer.snakeCase(cls);
            int k = counters.merge(base, 1, Integer::sum) - 1;
            String group = h5Prefix + "/" + (k == 0 ? base : base + "_" + k);
            if (l instanceof Model sub) kerasPaths(sub, group + "/layers", ourPrefix + l.name() + "/", out);
            out.put(ourPrefix + l.name(), group + "/vars");
        }
    }

    // ---- legacy .h5 ------------------------------------------------------------------------------------------

    private static Imported legacyH5(Path file, Shape fallbackInput) throws IOException, ModelFileException {
        try (HdfFile h5 = new HdfFile(file)) {
            Attribute config = h5.getAttribute("model_config");
            if (config == null) throw new ModelFileException(file, "an HDF5 file without a model_config attribute: only weights? "
                    + "Save the whole model (model.save('model.h5')) or as .keras");
            Model model = KerasConfig.fromJson(text(config), fallbackInput);
            Node root = h5.getChild("model_weights");
            String base = root == null ? "" : "model_weights/"; // save_weights files keep the layers at the top
            // each top-level layer's group lists its datasets in "weight_names" ("conv2d/kernel", "seed_cnn/conv2d/kernel",
            // a nested model's "Conv1/kernel"); find them by inner layer and weight name
            Map<String, Map<String, String>> groups = new HashMap<>();
            Source source = (layerPath, layer, w, index) -> {
                String[] parts = layerPath.split("/");
                Map<String, String> byName = groups.computeIfAbsent(parts[0], top -> weightNames(h5, base + top));
                for (String n : names(w)) {
                    String path = byName.get(parts[parts.length - 1] + "/" + n);
                    if (path != null) return dataset(h5, path);
                }
                return null;
            };
            return new Imported(model, collect(file, model, "", source), "h5");
        }
    }

    /** "inner layer/weight" → the dataset's path, from a layer group's {@code weight_names} attribute. */
    private static Map<String, String> weightNames(HdfFile h5, String group) {
        Map<String, String> out = new HashMap<>();
        Node g;
        try {
            g = h5.getByPath(group);
        } catch (io.jhdf.exceptions.HdfInvalidPathException e) {
            return out;
        }
        Attribute a = g.getAttribute("weight_names");
        if (a == null || !(a.getData() instanceof String[] names)) return out;
        for (String n : names) {
            String[] p = n.replaceAll(":0$", "").split("/");
            if (p.length >= 2) out.put(p[p.length - 2] + "/" + p[p.length - 1], group + "/" + n);
        }
        return out;
    }

    private static String text(Attribute a) {
        Object d = a.getData();
        if (d instanceof String s) return s;
        if (d instanceof String[] arr && arr.length > 0) return arr[0];
        return String.valueOf(d);
    }

    /** Keras 3 calls DepthwiseConv2D's kernel "kernel"; Keras 2 and tfjs "depthwise_kernel". */
    private static List<String> names(Weight w) {
        return w.name().equals("depthwise_kernel") ? List.of("depthwise_kernel", "kernel") : List.of(w.name());
    }

    private static Stored dataset(HdfFile h5, String path) {
        Node n;
        try {
            n = h5.getByPath(path);
        } catch (io.jhdf.exceptions.HdfInvalidPathException e) {
            return null;
        }
        if (!(n instanceof Dataset d)) return null;
        Object flat = d.getDataFlat();
        float[] v;
        if (flat instanceof float[] f) v = f;
        else if (flat instanceof double[] dd) {
            v = new float[dd.length];
            for (int i = 0; i < v.length; i++) v[i] = (float) dd[i];
        } else if (d.getDimensions().length == 0 && d.getData() instanceof Number num) v = new float[] {num.floatValue()};
        else throw new IllegalArgumentException(path + " holds " + d.getJavaType().getSimpleName() + " values, not floats");
        return new Stored(d.getDimensions(), v);
    }

    // ---- TensorFlow.js ---------------------------------------------------------------------------------------

    private static Path tfjsTopology(Path dir) throws ModelFileException {
        for (String n : List.of("model.json", "model.min.js", "model.js")) if (Files.isRegularFile(dir.resolve(n))) return dir.resolve(n);
        throw new ModelFileException(dir, "a folder without model.json: expected a TensorFlow.js layers model");
    }

    private static final Pattern EXPORTS = Pattern.compile("exports\\s*=\\s*([{\"'])");

    /** The literal a CommonJS module exports ({@code module.exports = {...}} or {@code = "base64"}). */
    private static JsonNode exported(Path file) throws IOException {
        String js = Files.readString(file);
        Matcher m = EXPORTS.matcher(js);
        if (!m.find()) throw new IllegalArgumentException("no 'exports = ' literal in this JavaScript module");
        return JsLiteral.parse(js, m.start(1));
    }

    private static Imported tfjs(Path file, Path dir, Shape fallbackInput) throws IOException, ModelFileException {
        if (Files.isDirectory(file)) file = tfjsTopology(file);
        if (Files.size(file) > MAX_JSON) throw new ModelFileException(file, "too large for a model.json");
        JsonNode root = file.toString().endsWith(".js") ? exported(file) : JSON.readTree(file.toFile());
        JsonNode topology = root.path("modelTopology");
        if (topology.isMissingNode()) throw new ModelFileException(file, "not a TensorFlow.js layers model (no modelTopology)");
        Model model = KerasConfig.fromTree(topology, fallbackInput);
        Map<String, Stored> byName = new HashMap<>();
        for (JsonNode group : root.path("weightsManifest")) {
            ByteBuffer data = shards(file, dir, group.path("paths"));
            for (JsonNode w : group.path("weights")) {
                String name = w.path("name").asText();
                int[] shape = new int[w.path("shape").size()];
                long n = 1;
                for (int i = 0; i < shape.length; i++) n *= shape[i] = w.path("shape").get(i).asInt();
                byName.put(name.replaceAll(":0$", ""), new Stored(shape, values(file, name, data, Math.toIntExact(n), w)));
            }
        }
        // names are "<layer>/<weight>"; a nested model's inner layers keep their own names
        Source source = (layerPath, layer, w, index) -> {
            String layerName = layerPath.substring(layerPath.lastIndexOf('/') + 1);
            for (String n : names(w)) {
                Stored s = byName.get(layerName + "/" + n);
                if (s == null) s = byName.get(layerPath + "/" + n);
                if (s != null) return s;
            }
            return null;
        };
        return new Imported(model, collect(file, model, "", source), "tfjs");
    }

    /** The group's shard files, one after the other: {@code name}, or the bundled {@code name.min.js} / {@code name.js}. */
    private static ByteBuffer shards(Path file, Path dir, JsonNode paths) throws IOException, ModelFileException {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (JsonNode p : paths) {
            String name = p.asText();
            if (name.contains("..") || name.startsWith("/")) throw new ModelFileException(file, "shard path '" + name + "' leaves the model's folder");
            Path bin = dir.resolve(name);
            if (Files.isRegularFile(bin)) all.write(Files.readAllBytes(bin));
            else {
                Path js = Files.isRegularFile(dir.resolve(name + ".min.js")) ? dir.resolve(name + ".min.js") : dir.resolve(name + ".js");
                if (!Files.isRegularFile(js)) throw new ModelFileException(file, "weight shard " + name + " is missing (looked for "
                        + bin + " and " + js + ")");
                all.write(Base64.getDecoder().decode(exported(js).asText().replaceAll("\\s", "")));
            }
        }
        return ByteBuffer.wrap(all.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** float32, or uint8/uint16 quantised as {@code min + scale · q} (tfjs' affine quantisation). */
    private static float[] values(Path file, String name, ByteBuffer data, int n, JsonNode w) throws ModelFileException {
        JsonNode q = w.path("quantization");
        String dtype = q.isMissingNode() ? w.path("dtype").asText("float32") : q.path("dtype").asText();
        int bytes = switch (dtype) {
            case "float32" -> 4;
            case "uint8" -> 1;
            case "uint16" -> 2;
            default -> throw new ModelFileException(file, "weight " + name + " is stored as " + dtype + "; Lote reads float32, uint8 and uint16");
        };
        if (data.remaining() < (long) n * bytes) throw new ModelFileException(file, "the weight shards end before weight " + name);
        float[] v = new float[n];
        if (bytes == 4) {
            data.asFloatBuffer().get(v);
            data.position(data.position() + 4 * n);
            return v;
        }
        if (!q.has("scale")) throw new ModelFileException(file, "weight " + name + " is " + dtype + " without min and scale");
        double min = q.path("min").asDouble(), scale = q.path("scale").asDouble();
        for (int i = 0; i < n; i++) v[i] = (float) (min + scale * (bytes == 1 ? data.get() & 0xff : data.getShort() & 0xffff));
        return v;
    }

    // ---- all formats -----------------------------------------------------------------------------------------

    /** Every weight the architecture needs, found and shape-checked, by path. */
    private static Map<String, float[]> collect(Path file, Model model, String prefix, Source source) throws IOException, ModelFileException {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Layer l : model.layers()) {
            if (l instanceof Model sub) {
                out.putAll(collect(file, sub, prefix + l.name() + "/", source));
                continue;
            }
            List<Weight> weights = l.weights(model.inputsOf(l));
            for (int i = 0; i < weights.size(); i++) {
                Weight w = weights.get(i);
                String path = prefix + l.name() + "/" + w.name();
                Stored s = source.find(prefix + l.name(), l, w, i);
                if (s == null) throw new ModelFileException(file, "weight " + path + " (" + java.util.Arrays.toString(w.shape())
                        + ") of layer '" + l.name() + "' (" + l.className() + ") is missing");
                if (!java.util.Arrays.equals(s.shape(), w.shape())) throw new ModelFileException(file, "weight " + path + " has shape "
                        + java.util.Arrays.toString(s.shape()) + "; layer '" + l.name() + "' needs " + java.util.Arrays.toString(w.shape()));
                out.put(path, s.values());
            }
        }
        return out;
    }
}
