package dev.lote.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.image.Pixels;
import dev.lote.nn.Shape;
import dev.lote.testing.Images;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchSequenceTest {
    private static final Shape SHAPE = Shape.image(2, 3, 3);

    /** 13 fake files whose pixels encode their index, so a test can see which file landed where. */
    private static List<Path> files(int n) {
        return IntStream.range(0, n).mapToObj(i -> Path.of("img" + i + ".jpg")).toList();
    }

    private static Pixels fake(Path p) {
        int i = Integer.parseInt(p.getFileName().toString().replaceAll("\\D", ""));
        byte[] rgb = new byte[18];
        java.util.Arrays.fill(rgb, (byte) i);
        return new Pixels(3, 2, rgb);
    }

    private static int[] labels(int n) { return IntStream.range(0, n).map(i -> i % 3).toArray(); }

    @Test
    void sizeFloorsByDefaultAndCanKeepTheLastPartialBatch() {
        BatchSequence s = new BatchSequence(files(13), labels(13), 5, SHAPE).source(BatchSequenceTest::fake);
        assertEquals(2, s.size());
        assertEquals(3, s.keepLast(true).size());
        assertEquals(3, s.keepLast(true).get(2).size());
        assertEquals(280, new BatchSequence(files(1400), labels(1400), 5, SHAPE).size());
        assertThrows(IndexOutOfBoundsException.class, () -> s.get(2));
    }

    @Test
    void getDecodesOnlyTheFilesOfItsBatch() {
        List<Path> decoded = new ArrayList<>();
        BatchSequence s = new BatchSequence(files(13), labels(13), 5, SHAPE)
                .source(p -> { decoded.add(p); return fake(p); }).forEpoch(0);
        Batch b = s.get(1);
        assertEquals(5, decoded.size());
        assertEquals(s.filesOf(1), decoded);
        assertEquals(b.files(), decoded);
        for (int k = 0; k < 5; k++) { // label and pixels belong to the same file
            int index = Integer.parseInt(b.files().get(k).getFileName().toString().replaceAll("\\D", ""));
            assertEquals(index % 3, b.labels()[k]);
            assertEquals(index / 255f, b.value(k * 18), 0f);
        }
    }

    @Test
    void sameSeedSameOrderOtherSeedOrEpochOtherOrder() {
        BatchSequence s = new BatchSequence(files(100), labels(100), 5, SHAPE).source(BatchSequenceTest::fake);
        List<Path> a = order(s.seed(1).forEpoch(0)), b = order(s.seed(1).forEpoch(0));
        assertEquals(a, b);
        assertNotEquals(a, order(s.seed(2).forEpoch(0)));
        assertNotEquals(a, order(s.seed(1).forEpoch(1)));
        assertEquals(new HashSet<>(files(100)), new HashSet<>(a), "a permutation: every file once");
    }

    private static List<Path> order(BatchSequence s) {
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) out.addAll(s.filesOf(i));
        return out;
    }

    @Test
    void pixelsAreScaledTo01FromRealJpegs(@TempDir Path dir) throws Exception {
        Path white = Images.write(dir.resolve("a/white.png"), 2, 3, 0xFFFFFF, "png");
        Path red = Images.write(dir.resolve("b/red.png"), 2, 3, 0xFF0000, "png");
        Batch b = new BatchSequence(List.of(white, red), new int[] {0, 1}, 2, SHAPE).get(0);
        assertArrayEquals(new int[] {0, 1}, b.labels());
        assertEquals(1f, b.value(0));
        assertEquals(1f, b.value(18));      // red: R = 1
        assertEquals(0f, b.value(18 + 1));  // G = 0
        assertArrayEquals(new float[] {1, 0}, b.oneHot(2)[0]);
    }

    @Test
    void imagesOfAnotherSizeAreResizedToTheSequencesShape(@TempDir Path dir) throws Exception {
        Path ok = Images.write(dir.resolve("a/ok.png"), 2, 3, 0xFFFFFF, "png");
        Path big = Images.write(dir.resolve("a/big.png"), 40, 30, 0xFFFFFF, "png");
        Batch b = new BatchSequence(List.of(ok, big), new int[] {0, 0}, 2, SHAPE).get(0);
        assertEquals(2, b.size());
        assertEquals(1f, b.value(18 + 17));
        Path wrong = Path.of("1.jpg");
        var e = assertThrows(DataException.class, () -> new BatchSequence(List.of(wrong), new int[] {0}, 1, SHAPE)
                .source(p -> new Pixels(1, 1, new byte[3])).get(0));
        assertTrue(e.getMessage().contains("1.jpg") && e.getMessage().contains("is 1x1 (HxW) but the model expects 2x3"), e.getMessage());
    }

    @Test
    void aCorruptImageIsNamedWithItsReason(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("a/bad.jpg");
        java.nio.file.Files.createDirectories(bad.getParent());
        java.nio.file.Files.writeString(bad, "this is text, not a JPEG");
        var e = assertThrows(DataException.class, () -> new BatchSequence(List.of(bad), new int[] {0}, 1, SHAPE).get(0));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    }
}
