package dev.lote.data;

import dev.lote.data.ImageFolder.Sample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Training and validation samples. {@link #stratified} holds out the same fraction of every class, chosen by the
 * seed, so no class is missing from either part and no file is in both.
 */
public record Split(List<Sample> train, List<Sample> validation) {
    public Split {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
    }

    /** Holds out {@code fraction} of each class (at least one image of a class with two or more). */
    public static Split stratified(List<Sample> samples, int classes, double fraction, long seed) {
        if (!(fraction >= 0 && fraction < 1)) throw new IllegalArgumentException("validation split must be in [0, 1), got " + fraction + ".");
        List<List<Sample>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) byClass.add(new ArrayList<>());
        for (Sample s : samples) byClass.get(s.label()).add(s);
        List<Sample> train = new ArrayList<>(), val = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            List<Sample> mine = byClass.get(c);
            Collections.shuffle(mine, new Random(seed * 31 + c));
            int held = fraction == 0 || mine.size() < 2 ? 0 : Math.max(1, (int) Math.round(mine.size() * fraction));
            val.addAll(mine.subList(0, held));
            train.addAll(mine.subList(held, mine.size()));
        }
        return new Split(train, val);
    }

    public static List<Path> files(List<Sample> samples) { return samples.stream().map(Sample::file).toList(); }

    public static int[] labels(List<Sample> samples) { return samples.stream().mapToInt(Sample::label).toArray(); }
}
