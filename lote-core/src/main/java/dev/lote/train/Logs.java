package dev.lote.train;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Metric values by Keras' key names ({@code loss}, {@code accuracy}, {@code val_loss}, …), sorted by name. */
public final class Logs {
    private final TreeMap<String, Double> values = new TreeMap<>();

    public Logs put(String key, double value) {
        values.put(key, value);
        return this;
    }

    public boolean has(String key) { return values.containsKey(key); }

    /** The value, or an error listing the keys that exist. */
    public double require(String key) {
        Double v = values.get(key);
        if (v == null) throw new IllegalArgumentException("No metric '" + key + "' in the logs. Available metrics are: " + values.keySet() + ".");
        return v;
    }

    public Map<String, Double> asMap() { return Collections.unmodifiableMap(values); }

    @Override public String toString() { return values.toString(); }
}
