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

    /** libtorch's layout → Keras' (a transposition; sizes are checked by the caller). */
    private static float[] keras(Path file, Weight w, float[] t) throws ModelFileException {
        if (t.length != w.size()) throw new ModelFileException(file, "damaged: weight " + w.name() + " has " + t.length
                + " values; the architecture needs " + w.size());
        int[] s = w.shape();
        float[] k = new float[t.length];
        switch (w.layout()) {
            case VECTOR -> System.arraycopy(t, 0, k, 0, t.length);
            case DENSE_KERNEL -> { // (out, in) → (in, out)
                int in = s[0], out = s[1];
                for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) k[i * out + o] = t[o * in + i];
            }
            case CONV_KERNEL -> { // (out, in, kh, kw) → (kh, kw, in, out)
                int kh = s[0], kw = s[1], in = s[2], out = s[3];
                for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) for (int y = 0; y < kh; y++) for (int x = 0; x < kw; x++)
                    k[((y * kw + x) * in + i) * out + o] = t[((o * in + i) * kh + y) * kw + x];
            }
            case DEPTHWISE_KERNEL -> { // (C·M, 1, kh, kw) → (kh, kw, C, M), channel c·M + m
                int kh = s[0], kw = s[1], c = s[2], m = s[3];
                for (int ch = 0; ch < c; ch++) for (int j = 0; j < m; j++) for (int y = 0; y < kh; y++) for (int x = 0; x < kw; x++)
                    k[((y * kw + x) * c + ch) * m + j] = t[((ch * m + j) * kh + y) * kw + x];
            }
        }
        return k;
    }
}
