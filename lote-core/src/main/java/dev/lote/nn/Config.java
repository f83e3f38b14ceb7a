package dev.lote.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;

/**
 * A layer's Keras config ({@code {"name": "conv2d", "filters": 8, "kernel_size": [3, 3], ...}}), read with Keras'
 * defaults and written back in Keras' form. Arguments Keras writes that change nothing at inference (dtype,
 * initializers, regularizers, constraints) are accepted and ignored.
 */
public final class Config {
    static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode node;
    private final String layer;

    public Config(String className, JsonNode node) {
        this.layer = className + (node != null && node.hasNonNull("name") ? " '" + node.get("name").asText() + "'" : "");
        this.node = node instanceof ObjectNode o ? o : JSON.createObjectNode();
        String format = text("data_format", "channels_last");
        if (!format.equals("channels_last")) throw bad("data_format", format, "'channels_last' (the only layout Lote runs)");
    }

    public static Config empty(String className) { return new Config(className, null); }

    public ObjectNode node() { return node; }

    public boolean has(String key) { return node.hasNonNull(key); }

    public String text(String key, String fallback) {
        JsonNode v = node.get(key);
        return v == null || v.isNull() ? fallback : v.asText();
    }

    public double number(String key, double fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isNumber()) throw bad(key, v.toString(), "a number");
        return v.asDouble();
    }

    public int integer(String key, int fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.canConvertToInt()) throw bad(key, v.toString(), "an integer");
        return v.asInt();
    }

    /**
     * Checks that {@code key} (default -1) names the channels: -1, or 3 of an image, as an integer or a list of one
     * (keras.applications' EfficientNet and ConvNeXt write {@code [3]} and {@code [-1]}).
     */
    public void requireChannelsAxis(String key) {
        JsonNode v = node.get(key);
        if (v != null && v.isArray() && v.size() == 1) v = v.get(0);
        int axis = v == null || v.isNull() ? -1 : v.canConvertToInt() ? v.asInt() : 0;
        if (axis != -1 && axis != 3) throw bad(key, String.valueOf(node.get(key)), "-1 (channels last)");
    }

    public boolean bool(String key, boolean fallback) {
        JsonNode v = node.get(key);
        return v == null || v.isNull() ? fallback : v.asBoolean();
    }

    /** An int or a list of ints (Keras accepts {@code 3} for {@code [3, 3]}), as {@code n} values. */
    public int[] ints(String key, int n, int[] fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return fallback == null ? null : fallback.clone();
        if (v.canConvertToInt()) {
            int[] out = new int[n];
            Arrays.fill(out, v.asInt());
            return out;
        }
        if (!v.isArray() || (n > 0 && v.size() != n)) throw bad(key, v.toString(), n + " integers");
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i).asInt();
        return out;
    }

    /** A list of numbers or one number. */
    /** As floats. */
    static float[] floats(double[] v) { return floats(v, v.length); }

    /** As {@code n} floats, one value repeated where there is one. */
    static float[] floats(double[] v, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) v[v.length == 1 ? 0 : i];
        return f;
    }

    public double[] numbers(String key, double[] fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return fallback;
        if (v.isNumber()) return new double[] {v.asDouble()};
        if (!v.isArray()) throw bad(key, v.toString(), "a number or a list of numbers");
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i).asDouble();
        return out;
    }

    public Activation activation(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return Activation.LINEAR;
        // Keras 3 may write {"class_name": "function", "config": "relu"} or a registered object
        if (v.isObject()) v = v.path("config").isTextual() ? v.get("config") : v.path("class_name");
        return Activation.parse(v.asText());
    }

    public Padding padding(String key) { return Padding.parse(text(key, "valid")); }

    public IllegalArgumentException bad(String key, String value, String expected) {
        return new IllegalArgumentException(layer + ": " + key + " is " + value + "; expected " + expected + ".");
    }

    /** Checks a positive value, naming the layer and the argument. */
    public static int positive(String name, int value) {
        if (value <= 0) throw new IllegalArgumentException(name + " must be positive, got " + value + ".");
        return value;
    }

    static ArrayNode array(int... values) {
        ArrayNode a = JSON.createArrayNode();
        for (int v : values) a.add(v);
        return a;
    }

    static ArrayNode array(double... values) {
        ArrayNode a = JSON.createArrayNode();
        for (double v : values) a.add(v);
        return a;
    }
}
