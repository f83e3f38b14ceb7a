package dev.lote.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The folders of a run: either one folder of classes, split by the caller, or {@code train/} with {@code val/}
 * (or {@code validation/}) and {@code test/} beside it, detected automatically, the classes of each part checked
 * against {@code train/}'s.
 */
public record Dataset(Path root, ImageFolder train, Optional<ImageFolder> validation, Optional<ImageFolder> test) {
    public static Dataset open(Path root) {
        Path train = root.resolve("train");
        if (!Files.isDirectory(train)) return new Dataset(root, ImageFolder.scan(root), Optional.empty(), Optional.empty());
        ImageFolder t = ImageFolder.scan(train);
        return new Dataset(root, t, part(root, t.classes(), "val", "validation"), part(root, t.classes(), "test"));
    }

    /** True when the validation images come from their own folder, not from a split. */
    public boolean hasValidationFolder() { return validation.isPresent(); }

    private static Optional<ImageFolder> part(Path root, List<String> classes, String... names) {
        for (String n : names) {
            Path p = root.resolve(n);
            if (Files.isDirectory(p)) return Optional.of(ImageFolder.scan(p, classes));
        }
        return Optional.empty();
    }
}
