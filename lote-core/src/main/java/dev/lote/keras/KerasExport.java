package dev.lote.keras;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lote.io.AtomicFile;
import dev.lote.nn.KerasConfig;
import dev.lote.nn.Layer;
import dev.lote.nn.Model;
import dev.lote.nn.Weight;
import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableGroup;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a Keras 3 {@code .keras} file as Keras does: {@code config.json} (the model's Keras config),
 * {@code metadata.json}, and {@code model.weights.h5} with each layer's variables at Keras' own paths
 * ({@code layers/conv2d/vars/0}, nested models under {@code layers/functional/layers/…}). Written atomically.
 */
public final class KerasExport {
    private KerasExport() {}

    /** The Keras version whose file layout this follows. */
    static final String KERAS_VERSION = "3.15.1";

    public static void write(Model model, Map<String, float[]> weights, Path target) throws IOException {
        Path h5 = Files.createTempFile("lote-", ".weights.h5");
        try {
            weightsFile(model, weights, h5);
            ObjectMapper json = new ObjectMapper();
            ObjectNode meta = json.createObjectNode();
            meta.put("keras_version", KERAS_VERSION);
            meta.put("date_saved", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd@HH:mm:ss")));
            byte[] config = json.writeValueAsBytes(KerasConfig.toTree(model));
            AtomicFile.write(target, out -> {
                ZipOutputStream zip = new ZipOutputStream(out);
                zip.putNextEntry(new ZipEntry("metadata.json"));
                zip.write(json.writeValueAsBytes(meta));
                zip.putNextEntry(new ZipEntry("config.json"));
                zip.write(config);
                zip.putNextEntry(new ZipEntry("model.weights.h5"));
                Files.copy(h5, zip);
                zip.closeEntry();
                zip.finish();
            });
        } finally {
            Files.deleteIfExists(h5);
        }
    }

    private static void weightsFile(Model model, Map<String, float[]> weights, Path file) {
        Map<String, String> paths = new HashMap<>();
        KerasImport.kerasPaths(model, "layers", "", paths);
        try (WritableHdfFile h5 = HdfFile.write(file)) {
            Map<String, WritableGroup> groups = new HashMap<>();
            groups.put("", h5);
            write(model, "", weights, paths, groups);
        }
    }

    private static void write(Model model, String prefix, Map<String, float[]> weights, Map<String, String> paths,
                              Map<String, WritableGroup> groups) {
        for (Layer l : model.layers()) {
            String vars = paths.get(prefix + l.name());
            if (l instanceof Model sub) {
                write(sub, prefix + l.name() + "/", weights, paths, groups);
                continue;
            }
            List<Weight> ws = l.weights(model.inputsOf(l));
            // a layer without weights gets no group (Keras reads a missing one as empty): jhdf 0.9 cannot write empty groups
            if (vars == null || ws.isEmpty()) continue;
            WritableGroup g = group(groups, vars);
            for (int i = 0; i < ws.size(); i++) {
                String key = prefix + l.name() + "/" + ws.get(i).name();
                float[] v = weights.get(key);
                if (v == null) throw new IllegalArgumentException("weight " + key + " is missing.");
                g.putDataset(Integer.toString(i), shaped(v, ws.get(i).shape()));
            }
        }
    }

    /** Groups are made once, parents first. */
    private static WritableGroup group(Map<String, WritableGroup> groups, String path) {
        WritableGroup g = groups.get(path);
        if (g != null) return g;
        int slash = path.lastIndexOf('/');
        WritableGroup parent = group(groups, slash < 0 ? "" : path.substring(0, slash));
        g = parent.putGroup(path.substring(slash + 1));
        groups.put(path, g);
        return g;
    }

    /** A flat array as the nested Java array jhdf writes as a dataset of that shape. */
    private static Object shaped(float[] flat, int[] shape) {
        if (shape.length == 0) return flat[0];
        if (shape.length == 1) return flat.clone();
        Object out = Array.newInstance(float.class, shape);
        int[] at = {0};
        fill(out, flat, shape, 0, at);
        return out;
    }

    private static void fill(Object array, float[] flat, int[] shape, int depth, int[] at) {
        if (depth == shape.length - 1) {
            float[] row = (float[]) array;
            System.arraycopy(flat, at[0], row, 0, row.length);
            at[0] += row.length;
            return;
        }
        for (int i = 0; i < shape[depth]; i++) fill(Array.get(array, i), flat, shape, depth + 1, at);
    }
}
