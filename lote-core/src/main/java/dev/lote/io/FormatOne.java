package dev.lote.io;

import dev.lote.nn.Weight;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Model files of format version 1 (Lote 0.1): arrays by position ({@code weights/N.f32}) in the architecture's weight
 * order and libtorch's layout (conv kernels OIHW, depthwise (C·M, 1, kh, kw), dense (out, in)). Read into names and
 * Keras' layout, so old files load and predict as they did.
 */
final class FormatOne {
    private FormatOne() {}

    static Map<String, float[]> weights(Path file, Map<String, float[]> all, Map<String, Weight> specs) throws ModelFileException {
        Map<String, float[]> out = new LinkedHashMap<>();
        int i = 0;
        for (var e : specs.entrySet()) out.put(e.getKey(), keras(file, e.getValue(), require(file, all, "weights/" + i++ + ".f32")));
        return out;
    }

    /** Adam's moments, one per trained weight in order; null when the file has none. */
    static Map<String, float[]> optimizer(Path file, Map<String, float[]> all, String prefix, List<String> trained,
                                          Map<String, Weight> specs) throws ModelFileException {
        if (!all.containsKey(prefix + "0.f32")) return null;
        Map<String, float[]> out = new LinkedHashMap<>();
        for (int i = 0; i < trained.size(); i++) {
            out.put(trained.get(i), keras(file, specs.get(trained.get(i)), require(file, all, prefix + i + ".f32")));
        }
        return out;
    }

    private static float[] require(Path file, Map<String, float[]> all, String name) throws ModelFileException {
        float[] a = all.get(name);
        if (a == null) throw new ModelFileException(file, "damaged: " + name + " is missing");
        return a;
    }

    private static float[] keras(Path file, Weight w, float[] t) throws ModelFileException {
        try {
            return w.fromTorchLayout(t);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(file, "damaged: weight " + e.getMessage());
        }
    }
}
