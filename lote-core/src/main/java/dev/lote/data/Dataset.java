package dev.lote.data;

import dev.lote.data.ImageFolder.Sample;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The images of a run: either one folder of classes, split by the caller, or {@code train/} with {@code val/}
 * (or {@code validation/}) and {@code test/} beside it, detected automatically, the classes of each part checked
 * against {@code train/}'s; or the images a labels file names ({@link #withLabels}), its split column deciding the parts.
 *
 * @param labels the labels file the images' classes come from; null: their class folders
 */
public record Dataset(Path root, ImageFolder train, Optional<ImageFolder> validation, Optional<ImageFolder> test, Path labels) {
    public static Dataset open(Path root) {
        Path train = root.resolve("train");
        if (!Files.isDirectory(train)) return new Dataset(root, ImageFolder.scan(root), Optional.empty(), Optional.empty(), null);
        ImageFolder t = ImageFolder.scan(train);
        return new Dataset(root, t, part(root, t.classes(), "val", "validation"), part(root, t.classes(), "test"), null);
    }

    /**
     * The images under {@code root} that {@code labels} names, with its labels ({@link LabelFile}); rows with a split of
     * {@code val} or {@code test} are those parts. What is wrong with the file is named in one message on {@code warnings}
     * and left out, or, when {@code strict}, fails with that message.
     */
    public static Dataset withLabels(Path root, Path labels, boolean strict, PrintStream warnings) {
        if (!Files.isDirectory(root)) throw new DataException(root, "No such folder: " + root + ".");
        LabelFile.Read read = LabelFile.read(root, labels);
        if (!read.problems().isEmpty()) {
            if (strict) throw new DataException(labels, LabelFile.describe(labels, read.problems(), "--strict stops here"));
            if (warnings != null) warnings.println("lote: warning: " + LabelFile.describe(labels, read.problems(), "those rows and images are left out"));
        }
        if (read.splits().isEmpty()) throw new DataException(labels, "No usable rows in " + labels + ".");
        List<Sample> train = read.splits().getOrDefault("train", List.of()); // none: only an evaluation's test rows
        if (read.classes().size() < 2) throw new DataException(labels, "Only one class in " + labels + " (" + read.classes().get(0)
                + "). A classifier needs at least two classes.");
        return new Dataset(root, ImageFolder.of(root, read.classes(), train), part(root, read, "val"), part(root, read, "test"), labels);
    }

    /** Whether some image has several labels (a labels file's {@code a;b}): then the model's classes are the single labels. */
    public boolean multiLabel() { return LabelSets.any(train.classes()); }

    /** True when the validation images come from their own folder or split column, not from a random split. */
    public boolean hasValidationFolder() { return validation.isPresent(); }

    /** Every image of every part, train first. */
    public List<Sample> samples() {
        List<Sample> all = new java.util.ArrayList<>(train.samples());
        validation.ifPresent(v -> all.addAll(v.samples()));
        test.ifPresent(t -> all.addAll(t.samples()));
        return all;
    }

    /** What an evaluation of this data measures: its test images (a {@code test/} folder, a labels file's test rows), else all. */
    public List<Sample> testOrAll() { return test.map(ImageFolder::samples).orElse(samples()); }

    /** Each image's class name (with several labels, its set: {@code a;b}), by its absolute, normalized path. */
    public java.util.Map<Path, String> classesByFile() {
        java.util.Map<Path, String> out = new java.util.HashMap<>();
        for (Sample s : samples()) out.put(s.file().toAbsolutePath().normalize(), train.classes().get(s.label()));
        return out;
    }

    private static Optional<ImageFolder> part(Path root, List<String> classes, String... names) {
        for (String n : names) {
            Path p = root.resolve(n);
            if (Files.isDirectory(p)) return Optional.of(ImageFolder.scan(p, classes));
        }
        return Optional.empty();
    }

    private static Optional<ImageFolder> part(Path root, LabelFile.Read read, String split) {
        List<Sample> s = read.splits().get(split);
        return s == null || s.isEmpty() ? Optional.empty() : Optional.of(ImageFolder.of(root, read.classes(), s));
    }
}
