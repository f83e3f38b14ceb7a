package dev.lote.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * Images with several labels, kept as one int per image like any other: a class of the data is a set of labels,
 * named by its labels in order joined by {@code ;} ({@code cat;dog}), so splits, shuffles, samplers and caches work on
 * them unchanged. The model's classes are the single labels; {@link #table} says which of them each set holds.
 */
public final class LabelSets {
    private LabelSets() {}

    public static final String SEPARATOR = ";";

    /** A set's name: its labels stripped, without repeats or empty ones, sorted, joined by {@code ;}. */
    public static String name(String labels) {
        TreeSet<String> set = new TreeSet<>();
        for (String l : labels.split(SEPARATOR)) if (!l.isBlank()) set.add(l.strip());
        return String.join(SEPARATOR, set);
    }

    /** The labels of a set's name; none for the empty set (an image with none of the labels). */
    public static List<String> labels(String set) { return set.isEmpty() ? List.of() : Arrays.asList(set.split(SEPARATOR)); }

    /** Whether any of the data's classes is a set of several labels. */
    public static boolean any(List<String> dataClasses) { return dataClasses.stream().anyMatch(c -> c.contains(SEPARATOR)); }

    /** The single labels of the data's classes, in class order (numeric when every label is an integer). */
    public static List<String> classes(List<String> dataClasses) {
        List<String> out = new ArrayList<>(new TreeSet<>(dataClasses.stream().flatMap(c -> labels(c).stream()).toList()));
        out.sort(ImageFolder.classOrder(out));
        return out;
    }

    /** For each of the data's classes, 1 for each of {@code classes} it holds, else 0; a label not among them is refused. */
    public static float[][] table(List<String> dataClasses, List<String> classes) {
        float[][] t = new float[dataClasses.size()][classes.size()];
        for (int i = 0; i < t.length; i++) {
            for (String l : labels(dataClasses.get(i))) {
                int k = classes.indexOf(l);
                if (k < 0) throw new IllegalArgumentException("The label '" + l + "' is not one of the model's classes " + classes + ".");
                t[i][k] = 1;
            }
        }
        return t;
    }
}
