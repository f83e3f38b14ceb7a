package dev.lote.data;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A folder of class folders: {@code DIR/<class>/<image>}. Classes are ordered numerically when every name is an
 * integer ({@code 0, 1, 2, …, 10}, as the notebook's {@code int(folder)} labels) and by name otherwise; a label is
 * the class's index. Hidden files and files without an image extension are ignored.
 */
public final class ImageFolder {
    public static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif", "webp", "tif", "tiff");

    /** One image and its class index. */
    public record Sample(Path file, int label) {}

    private final Path root;
    private final List<String> classes;
    private final List<Sample> samples;
    private final int[] counts;

    private ImageFolder(Path root, List<String> classes, List<Sample> samples, int[] counts) {
        this.root = root;
        this.classes = List.copyOf(classes);
        this.samples = List.copyOf(samples);
        this.counts = counts;
    }

    public static ImageFolder scan(Path root) { return scan(root, null); }

    /** Images labelled elsewhere (a labels file): {@code samples}' labels index {@code classes}. */
    public static ImageFolder of(Path root, List<String> classes, List<Sample> samples) {
        int[] counts = new int[classes.size()];
        for (Sample s : samples) counts[s.label()]++;
        return new ImageFolder(root, classes, samples, counts);
    }

    /**
     * Scans {@code root} for exactly {@code expected} classes, in that order (the model's classes, or a training
     * folder's); a class folder that is missing or extra is an error that lists the differences. Null: any classes.
     */
    public static ImageFolder scan(Path root, List<String> expected) {
        if (!Files.exists(root)) throw new DataException(root, "No such folder: " + root + ". Expected a folder of class folders, e.g. DIR/cats/*.jpg.");
        if (!Files.isDirectory(root)) throw new DataException(root, root + " is a file, not a folder. Expected a folder of class folders, e.g. DIR/cats/*.jpg.");
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(root)) {
            classDirs = s.filter(Files::isDirectory).filter(p -> !hidden(p)).toList();
        } catch (IOException e) {
            throw new DataException(root, "Cannot list " + root + ": " + e.getMessage());
        }
        if (classDirs.isEmpty()) throw new DataException(root, "No class folders in " + root
                + ". Expected one sub-folder per class, e.g. " + root.resolve("cats") + "/*.jpg.");
        if (classDirs.size() == 1 && expected == null) throw new DataException(root, "Only one class folder in " + root + " ("
                + classDirs.get(0).getFileName() + "). A classifier needs at least two classes.");
        List<String> names = new ArrayList<>(classDirs.stream().map(p -> p.getFileName().toString()).toList());
        names.sort(classOrder(names));
        if (expected != null && !names.equals(expected)) {
            List<String> missing = expected.stream().filter(n -> !names.contains(n)).toList();
            List<String> extra = names.stream().filter(n -> !expected.contains(n)).toList();
            if (!missing.isEmpty() || !extra.isEmpty()) throw new DataException(root, "The classes in " + root
                    + " differ from the expected " + expected.size() + ": " + (missing.isEmpty() ? "" : "missing " + missing)
                    + (missing.isEmpty() || extra.isEmpty() ? "" : ", ") + (extra.isEmpty() ? "" : "unexpected " + extra) + ".");
            names.clear();
            names.addAll(expected);
        }
        List<Sample> samples = new ArrayList<>();
        int[] counts = new int[names.size()];
        for (int label = 0; label < names.size(); label++) {
            Path dir = root.resolve(names.get(label));
            List<Path> files;
            try (Stream<Path> s = Files.list(dir)) {
                files = s.filter(p -> !hidden(p) && Files.isRegularFile(p) && isImageName(p)).sorted().toList();
            } catch (IOException e) {
                throw new DataException(dir, "Cannot list " + dir + ": " + e.getMessage());
            }
            if (files.isEmpty()) throw new DataException(dir, "No images in " + dir + " (class '" + names.get(label)
                    + "'). Expected " + String.join("/", EXTENSIONS.stream().sorted().map(e -> "." + e).toList()) + " files in each class folder.");
            for (Path f : files) samples.add(new Sample(f, label));
            counts[label] = files.size();
        }
        return new ImageFolder(root, names, samples, counts);
    }

    /** Numeric order when every name is an integer, else by name. */
    static Comparator<String> classOrder(List<String> names) {
        boolean numeric = names.stream().allMatch(n -> n.matches("\\d+"));
        return numeric ? Comparator.comparing(BigInteger::new) : Comparator.naturalOrder();
    }

    public static boolean isImageName(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static boolean hidden(Path p) { return p.getFileName().toString().startsWith("."); }

    public Path root() { return root; }
    public List<String> classes() { return classes; }
    public List<Sample> samples() { return samples; }
    public int count(int label) { return counts[label]; }

    public List<Path> files() { return samples.stream().map(Sample::file).toList(); }
    public int[] labels() { return samples.stream().mapToInt(Sample::label).toArray(); }

    /** {@code Found 1400 images in 14 classes} and the count per class. */
    /** The size of the first image whose header reads, as the notebook sizes its input; a bad one before it is skipped, or fails when {@code strict}. */
    public dev.lote.nn.Shape firstImageShape(dev.lote.image.Decoder decoder, boolean strict) {
        dev.lote.image.BadImageException last = null;
        for (Sample s : samples()) {
            try {
                dev.lote.image.Header h = decoder.header(s.file());
                return dev.lote.nn.Shape.image(h.height(), h.width(), 3);
            } catch (dev.lote.image.BadImageException e) {
                if (strict) throw new BadDataException("Bad image " + e.getMessage(), e);
                last = e;
            }
        }
        throw new BadDataException("No readable image in " + root() + (last == null ? "" : "; last error: " + last.getMessage()), last);
    }

    public String describe() {
        StringBuilder s = new StringBuilder("Found " + samples.size() + " images in " + classes.size() + " classes");
        s.append("\n  ");
        for (int i = 0; i < classes.size(); i++) {
            if (i > 0) s.append(i % 8 == 0 ? "\n  " : ", ");
            s.append(classes.get(i).isEmpty() ? "(no label)" : classes.get(i)).append(": ").append(counts[i]); // a multi-label negative
        }
        return s.toString();
    }
}
