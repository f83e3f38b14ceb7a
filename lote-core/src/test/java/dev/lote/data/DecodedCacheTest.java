package dev.lote.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.image.Decoder;
import dev.lote.image.Pixels;
import dev.lote.image.Resize;
import dev.lote.nn.Shape;
import dev.lote.testing.Images;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecodedCacheTest {
    @TempDir Path dir;
    private static final Shape SHAPE = Shape.image(8, 12, 3);

    @Test
    void theSecondReadDecodesNothingAndGivesTheSamePixels() throws Exception {
        Path a = Images.write(dir.resolve("data/x/a.png"), 16, 24, 0x336699, "png");
        Path b = Images.write(dir.resolve("data/y/b.png"), 16, 24, 0x993366, "png");
        AtomicInteger decodes = new AtomicInteger();
        Decoder decoder = new Decoder();
        BatchSequence.ImageSource counting = p -> { decodes.incrementAndGet(); return decoder.read(p, 8, 12, Resize.STRETCH); };
        Pixels first;
        try (DecodedCache c = DecodedCache.open(dir.resolve("cache"), List.of(a, b), SHAPE, Resize.STRETCH, counting)) {
            first = c.read(a);
            c.read(b);
        }
        try (DecodedCache c = DecodedCache.open(dir.resolve("cache"), List.of(a, b), SHAPE, Resize.STRETCH, counting)) {
            assertArrayEquals(first.rgb(), c.read(a).rgb());
            c.read(b);
        }
        assertEquals(2, decodes.get(), "second run served from the cache");
    }

    @Test
    void aChangedFileOrPolicyMakesAFreshCache() throws Exception {
        Path a = Images.write(dir.resolve("data/x/a.png"), 16, 24, 0x336699, "png");
        Path b = Images.write(dir.resolve("data/y/b.png"), 16, 24, 0x993366, "png");
        Decoder decoder = new Decoder();
        BatchSequence.ImageSource source = p -> decoder.read(p, 8, 12, Resize.STRETCH);
        Path first;
        try (DecodedCache c = DecodedCache.open(dir.resolve("cache"), List.of(a, b), SHAPE, Resize.STRETCH, source)) {
            first = c.file();
            c.read(a);
        }
        Images.write(a, 16, 24, 0xFFFFFF, "png");
        Files.setLastModifiedTime(a, FileTime.fromMillis(System.currentTimeMillis() + 5000));
        try (DecodedCache c = DecodedCache.open(dir.resolve("cache"), List.of(a, b), SHAPE, Resize.STRETCH, source)) {
            assertNotEquals(first, c.file());
            assertEquals(-1, c.read(a).rgb()[0], "the new white pixels, not the cached blue ones");
            assertTrue(Files.notExists(first), "the stale cache is deleted");
        }
        try (DecodedCache c = DecodedCache.open(dir.resolve("cache"), List.of(a, b), SHAPE, Resize.CROP, source)) {
            assertTrue(c.file().getFileName().toString().endsWith(".pixels"));
        }
    }

    /** Issue 13: a slot whose bytes no longer match its checksum (a crash mid-write, a bad disk) is decoded again. */
    @Test
    void aDamagedSlotIsDecodedAgainNotTrusted() throws Exception {
        Path a = Images.write(dir.resolve("data/x/a.png"), 16, 24, 0x336699, "png");
        AtomicInteger decodes = new AtomicInteger();
        Decoder decoder = new Decoder();
        BatchSequence.ImageSource counting = p -> { decodes.incrementAndGet(); return decoder.read(p, 8, 12, Resize.STRETCH); };
        Path file;
        Pixels first;
        try (DecodedCache c = DecodedCache.open(dir.resolve("cache"), List.of(a), SHAPE, Resize.STRETCH, counting)) {
            first = c.read(a);
            file = c.file();
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[10] ^= 0x55;
        Files.write(file, bytes);
        try (DecodedCache c = DecodedCache.open(dir.resolve("cache"), List.of(a), SHAPE, Resize.STRETCH, counting)) {
            assertArrayEquals(first.rgb(), c.read(a).rgb(), "the right pixels, decoded again");
        }
        assertEquals(2, decodes.get());
    }

    /** Issue 13: a run with another input size or policy keeps its own cache of the same folder. */
    @Test
    void anotherRunsCacheOfTheSameFolderIsKept() throws Exception {
        Path a = Images.write(dir.resolve("data/x/a.png"), 16, 24, 0x336699, "png");
        Decoder decoder = new Decoder();
        Path stretch, crop;
        try (DecodedCache c = DecodedCache.open(dir.resolve("cache"), List.of(a), SHAPE, Resize.STRETCH, p -> decoder.read(p, 8, 12, Resize.STRETCH))) {
            stretch = c.file();
            c.read(a);
        }
        try (DecodedCache c = DecodedCache.open(dir.resolve("cache"), List.of(a), SHAPE, Resize.CROP, p -> decoder.read(p, 8, 12, Resize.CROP))) {
            crop = c.file();
            c.read(a);
        }
        assertNotEquals(stretch, crop);
        assertTrue(Files.exists(stretch) && Files.exists(crop), "both runs' caches are there");
    }

    @Test
    void refusesToStartWhenTheDiskLacksRoom() throws Exception {
        Path a = Images.write(dir.resolve("data/x/a.png"), 4, 4, 0, "png");
        Shape huge = Shape.image(1 << 15, 1 << 15, 3); // 3.2 GB a slot
        List<Path> many = java.util.Collections.nCopies(100_000, a);
        DataException e = assertThrows(DataException.class,
                () -> DecodedCache.open(dir.resolve("cache"), many, huge, Resize.STRETCH, p -> null));
        assertTrue(e.getMessage().contains("needs") && e.getMessage().contains("GB"), e.getMessage());
    }
}
