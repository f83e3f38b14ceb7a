package dev.lote.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.testing.Images;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir Path dir;

    @Test
    void numericClassFoldersAreOrderedAsNumbers() throws Exception {
        for (String c : List.of("10", "2", "0", "1")) Images.write(dir.resolve(c).resolve("a.jpg"), 4, 4, 0x808080, "jpg");
        ImageFolder f = ImageFolder.scan(dir);
        assertEquals(List.of("0", "1", "2", "10"), f.classes());
        assertEquals(3, f.samples().stream().filter(s -> s.file().getParent().getFileName().toString().equals("10")).findFirst().orElseThrow().label());
    }

    @Test
    void namedClassFoldersAreOrderedByName() throws Exception {
        for (String c : List.of("dogs", "cats", "10")) Images.write(dir.resolve(c).resolve("a.png"), 4, 4, 0, "png");
        assertEquals(List.of("10", "cats", "dogs"), ImageFolder.scan(dir).classes());
    }

    @Test
    void countsImageExtensionsCaseInsensitivelyAndSkipsHiddenAndOtherFiles() throws Exception {
        Images.write(dir.resolve("a/x.JPG"), 4, 4, 0, "jpg");
        Images.write(dir.resolve("a/y.Jpeg"), 4, 4, 0, "jpg");
        Images.write(dir.resolve("a/.hidden.jpg"), 4, 4, 0, "jpg");
        Files.writeString(dir.resolve("a/notes.txt"), "not an image");
        Images.write(dir.resolve("b/z.png"), 4, 4, 0, "png");
        Images.write(dir.resolve(".git/q.png"), 4, 4, 0, "png");
        ImageFolder f = ImageFolder.scan(dir);
        assertEquals(List.of("a", "b"), f.classes());
        assertEquals(2, f.count(0));
        assertEquals(1, f.count(1));
        assertTrue(f.describe().startsWith("Found 3 images in 2 classes"), f.describe());
        assertTrue(f.describe().contains("a: 2, b: 1"), f.describe());
    }

    @Test
    void missingEmptyAndSingleClassFoldersAreNamedInTheError() throws Exception {
        Path missing = dir.resolve("nope");
        assertTrue(assertThrows(DataException.class, () -> ImageFolder.scan(missing)).getMessage().contains(missing.toString()));
        assertTrue(assertThrows(DataException.class, () -> ImageFolder.scan(dir)).getMessage().startsWith("No class folders in " + dir));
        Images.write(dir.resolve("only/a.jpg"), 4, 4, 0, "jpg");
        assertTrue(assertThrows(DataException.class, () -> ImageFolder.scan(dir)).getMessage().contains("Only one class folder"));
        Files.createDirectories(dir.resolve("empty"));
        String m = assertThrows(DataException.class, () -> ImageFolder.scan(dir)).getMessage();
        assertTrue(m.startsWith("No images in " + dir.resolve("empty") + " (class 'empty')"), m);
    }
}
