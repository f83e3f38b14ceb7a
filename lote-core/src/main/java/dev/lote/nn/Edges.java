package dev.lote.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Keras' per-edge amounts: {@code n}, {@code (h, w)} or {@code ((top, bottom), (left, right))}, as top, bottom, left, right. */
final class Edges {
    private Edges() {}

    static int[] read(Config c, String key, int fallback) {
        JsonNode v = c.node().get(key);
        if (v == null || v.isNull()) return new int[] {fallback, fallback, fallback, fallback};
        if (v.canConvertToInt()) return check(key, new int[] {v.asInt(), v.asInt(), v.asInt(), v.asInt()});
        if (v.isArray() && v.size() == 2 && v.get(0).canConvertToInt() && v.get(1).canConvertToInt()) {
            return check(key, new int[] {v.get(0).asInt(), v.get(0).asInt(), v.get(1).asInt(), v.get(1).asInt()});
        }
        if (v.isArray() && v.size() == 2 && v.get(0).size() == 2 && v.get(1).size() == 2) {
            return check(key, new int[] {v.get(0).get(0).asInt(), v.get(0).get(1).asInt(), v.get(1).get(0).asInt(), v.get(1).get(1).asInt()});
        }
        throw c.bad(key, v.toString(), "n, [h, w] or [[top, bottom], [left, right]]");
    }

    static int[] check(String key, int[] a) {
        for (int x : a) if (x < 0) throw new IllegalArgumentException(key + " must not be negative, got " + java.util.Arrays.toString(a) + ".");
        return a;
    }

    static void write(ObjectNode c, String key, int[] a) {
        ArrayNode outer = c.putArray(key);
        outer.add(Config.array(a[0], a[1]));
        outer.add(Config.array(a[2], a[3]));
        c.put("data_format", "channels_last");
    }
}
