package dev.lote.predict;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One image's prediction: every class with its probability, most probable first, and for a multi-label model the
 * classes at or above their thresholds ({@code labels}; null for a model that answers one class). {@link #json} is the
 * one shape a prediction has everywhere: {@code lote predict --format json}, {@code serve}'s {@code /predict} and the
 * Java API.
 */
public record Prediction(String file, List<Ranked> ranked, List<String> labels) {
    /** A class name with its probability. */
    public record Ranked(@JsonProperty("class") String className, @JsonProperty("probability") double probability) {}

    /** Ranks {@code probabilities} (in {@code classes}' order). */
    public static Prediction of(String file, List<String> classes, float[] probabilities) { return of(file, classes, probabilities, null); }

    /** As above; with {@code thresholds} (multi-label, else null) also the labels: every class at or above its own. */
    public static Prediction of(String file, List<String> classes, float[] probabilities, double[] thresholds) {
        List<Ranked> ranked = new ArrayList<>(probabilities.length);
        List<String> labels = thresholds == null ? null : new ArrayList<>();
        for (int i = 0; i < probabilities.length; i++) {
            ranked.add(new Ranked(classes.get(i), probabilities[i]));
            if (labels != null && probabilities[i] >= thresholds[i]) labels.add(classes.get(i));
        }
        ranked.sort(Comparator.comparingDouble(Ranked::probability).reversed()); // stable: ties keep the classes' order
        return new Prediction(file, List.copyOf(ranked), labels == null ? null : List.copyOf(labels));
    }

    public List<Ranked> top(int k) { return ranked.subList(0, Math.min(k, ranked.size())); }

    public Ranked best() { return ranked.get(0); }

    /** What {@link #answer} says when the best class is less probable than the threshold. */
    public static final String UNKNOWN = "unknown";

    /**
     * The best class, or {@link #UNKNOWN} when its probability is below {@code threshold} (0 to 1; 0 always answers):
     * "none of these" for a photo of something the model was not trained on. A calibrated model
     * ({@code lote calibrate}) makes the threshold mean what it says.
     */
    public String answer(double threshold) {
        checkThreshold(threshold);
        return best().probability() < threshold ? UNKNOWN : best().className();
    }

    /** A threshold is a probability: 0 to 1. */
    public static double checkThreshold(double threshold) {
        if (!(threshold >= 0 && threshold <= 1)) throw new IllegalArgumentException("The unknown-below threshold is a probability "
                + "from 0 to 1, got " + threshold + ".");
        return threshold;
    }

    /**
     * {@code {"file": …, "predictions": [{"class": …, "probability": …}, …]}} with the top {@code k}, and a multi-label
     * model's {@code "labels": [...]}.
     */
    public Map<String, Object> json(int k) { return json(k, Double.NaN); }

    /**
     * As {@link #json(int)}, and with a threshold (not NaN) also {@code "class"}: the {@link #answer}, and
     * {@code "unknown"}: whether it is "unknown" (so a class that happens to be named "unknown" stays distinguishable).
     */
    public Map<String, Object> json(int k, double unknownBelow) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", file);
        if (!Double.isNaN(unknownBelow)) {
            boolean unknown = best().probability() < checkThreshold(unknownBelow);
            m.put("class", unknown ? UNKNOWN : best().className());
            m.put("unknown", unknown);
        }
        if (labels != null) m.put("labels", labels);
        m.put("predictions", top(k));
        return m;
    }
}
