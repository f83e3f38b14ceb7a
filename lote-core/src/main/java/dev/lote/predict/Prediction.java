package dev.lote.predict;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One image's prediction: every class with its probability, most probable first. {@link #json} is the one shape a
 * prediction has everywhere: {@code lote predict --format json}, {@code serve}'s {@code /predict} and the Java API.
 */
public record Prediction(String file, List<Ranked> ranked) {
    /** A class name with its probability. */
    public record Ranked(@JsonProperty("class") String className, @JsonProperty("probability") double probability) {}

    /** Ranks {@code probabilities} (in {@code classes}' order). */
    public static Prediction of(String file, List<String> classes, float[] probabilities) {
        List<Ranked> ranked = new ArrayList<>(probabilities.length);
        for (int i = 0; i < probabilities.length; i++) ranked.add(new Ranked(classes.get(i), probabilities[i]));
        ranked.sort(Comparator.comparingDouble(Ranked::probability).reversed()); // stable: ties keep the classes' order
        return new Prediction(file, List.copyOf(ranked));
    }

    public List<Ranked> top(int k) { return ranked.subList(0, Math.min(k, ranked.size())); }

    public Ranked best() { return ranked.get(0); }

    /** {@code {"file": …, "predictions": [{"class": …, "probability": …}, …]}} with the top {@code k}. */
    public Map<String, Object> json(int k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", file);
        m.put("predictions", top(k));
        return m;
    }
}
