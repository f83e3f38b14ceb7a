package dev.lote.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link Trainer#fit} returns: every metric per epoch, as Keras' {@code History.history}. Like Keras' it is a
 * callback, always the first of the run's {@link CallbackList}.
 */
public final class History implements Callback {
    private final Map<String, List<Double>> history = new LinkedHashMap<>();

    /** A history restored from a model file, to continue a run. */
    public static History of(Map<String, List<Double>> values) {
        History h = new History();
        values.forEach((k, v) -> h.history.put(k, new ArrayList<>(v)));
        return h;
    }

    @Override public void onEpochEnd(int epoch, Logs logs) { record(logs); }

    public void record(Logs logs) {
        logs.asMap().forEach((k, v) -> history.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    }

    public List<Double> get(String key) {
        List<Double> values = history.get(key);
        if (values == null) throw new IllegalArgumentException("No metric '" + key + "' in the history. Available metrics are: " + history.keySet() + ".");
        return List.copyOf(values);
    }

    /** The last epoch's value of {@code key}. */
    public double last(String key) {
        List<Double> values = get(key);
        return values.get(values.size() - 1);
    }

    public int epochs() { return history.isEmpty() ? 0 : history.values().iterator().next().size(); }

    public Map<String, List<Double>> asMap() { return java.util.Collections.unmodifiableMap(history); }
}
