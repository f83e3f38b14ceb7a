package dev.lote.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Keras' {@code class_weight}: how much each class's samples weigh in the training loss, so a rare class is not
 * drowned by a common one. {@link #BALANCED} gives class c the weight n / (k · n_c) over the training images (scikit-learn's
 * and Keras' tutorials' "balanced"); {@link #of} takes weights by class name, and a class not named weighs 1.
 * In a recipe's JSON it is {@code "balanced"} or {@code {"cat": 1.0, "dog": 4.0}}.
 */
public final class ClassWeight {
    public static final ClassWeight BALANCED = new ClassWeight(null);

    private final Map<String, Double> given; // null: balanced

    private ClassWeight(Map<String, Double> given) { this.given = given; }

    /** Weights by class name: each finite and 0 or more, not all 0. */
    public static ClassWeight of(Map<String, Double> weights) {
        if (weights.isEmpty()) throw new IllegalArgumentException("No class weights given.");
        weights.forEach((name, w) -> {
            if (w == null || !(w >= 0) || Double.isInfinite(w)) throw new IllegalArgumentException("The weight of class '" + name
                    + "' must be a number 0 or more, got " + w + ".");
        });
        if (weights.values().stream().allMatch(w -> w == 0)) throw new IllegalArgumentException("Every class weight is 0: nothing would train.");
        return new ClassWeight(new LinkedHashMap<>(weights));
    }

    /** {@code balanced}, {@code none} (null) or a file of weights ({@link #read}), as {@code --class-weight} takes them. */
    public static ClassWeight parse(String s) throws IOException {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "balanced" -> BALANCED;
            case "none" -> null;
            default -> read(Path.of(s.trim()));
        };
    }

    /** A JSON object of class name to weight ({@code .json}), or CSV rows {@code class,weight} with an optional header. */
    public static ClassWeight read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("No class-weight file " + file
                + " (expected balanced, none, or a .json/.csv file of class,weight).");
        if (file.toString().toLowerCase(Locale.ROOT).endsWith(".json")) {
            try {
                return of(new ObjectMapper().readValue(file.toFile(), new TypeReference<LinkedHashMap<String, Double>>() {}));
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                throw new IllegalArgumentException(file + " is not a JSON object of class name to weight: " + e.getOriginalMessage() + ".");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
            }
        }
        Map<String, Double> weights = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] cells = line.split("\\s*,\\s*");
            if (cells.length != 2) throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected class,weight, got '" + line + "'.");
            double w;
            try {
                w = Double.parseDouble(cells[1]);
            } catch (NumberFormatException e) {
                if (weights.isEmpty()) continue; // a header row
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": '" + cells[1] + "' is not a weight.");
            }
            if (weights.put(cells[0], w) != null) throw new IllegalArgumentException(file + " line " + (i + 1) + ": class '" + cells[0]
                    + "' is given twice.");
        }
        try {
            return of(weights);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Each class's weight, in class order, for a training set with these labels; a name that is not a class is refused. */
    public float[] resolve(List<String> classes, int[] trainLabels) {
        float[] w = new float[classes.size()];
        if (given != null) {
            List<String> unknown = new ArrayList<>(given.keySet());
            unknown.removeAll(classes);
            if (!unknown.isEmpty()) throw new IllegalArgumentException("The class weights name " + unknown.stream().map(u -> "'" + u + "'")
                    .collect(Collectors.joining(", ")) + ", not a class here (the classes: " + String.join(", ", classes) + ").");
            for (int c = 0; c < w.length; c++) w[c] = given.getOrDefault(classes.get(c), 1.0).floatValue();
            return w;
        }
        int[] counts = counts(trainLabels, classes.size());
        int present = (int) java.util.Arrays.stream(counts).filter(n -> n > 0).count();
        for (int c = 0; c < w.length; c++) w[c] = counts[c] == 0 ? 1 : (float) (trainLabels.length / ((double) present * counts[c]));
        return w;
    }

    /** Images per class. */
    public static int[] counts(int[] labels, int classes) {
        int[] n = new int[classes];
        for (int y : labels) n[y]++;
        return n;
    }

    /** For people: {@code balanced}, or the weights given. */
    public String label() {
        return given == null ? "balanced" : given.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    @JsonValue Object json() { return given == null ? "balanced" : given; }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static ClassWeight fromJson(Object v) {
        if ("balanced".equals(v)) return BALANCED;
        if (v instanceof Map<?, ?> m) {
            Map<String, Double> w = new LinkedHashMap<>();
            m.forEach((k, x) -> w.put(String.valueOf(k), x instanceof Number n ? n.doubleValue() : null));
            return of(w);
        }
        throw new IllegalArgumentException("class_weight must be \"balanced\" or an object of class name to weight, got " + v + ".");
    }

    @Override public boolean equals(Object o) { return o instanceof ClassWeight c && java.util.Objects.equals(given, c.given); }

    @Override public int hashCode() { return java.util.Objects.hashCode(given); }

    @Override public String toString() { return label(); }
}
