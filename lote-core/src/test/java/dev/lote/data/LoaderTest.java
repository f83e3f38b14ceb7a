package dev.lote.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.image.BadImageException;
import dev.lote.image.Pixels;
import dev.lote.nn.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LoaderTest {
    private static final Shape SHAPE = Shape.image(4, 4, 3);

    private static BatchSequence sequence(int n, BatchSequence.ImageSource source) {
        List<Path> files = IntStream.range(0, n).mapToObj(i -> Path.of(i + ".jpg")).toList();
        return new BatchSequence(files, IntStream.range(0, n).map(i -> i % 2).toArray(), 5, SHAPE).source(source);
    }

    /** Pixels carry the file's number; a random delay makes workers finish out of order. */
    private static Pixels slow(Path p) {
        int i = Integer.parseInt(p.getFileName().toString().replace(".jpg", ""));
        try {
            Thread.sleep((i * 7919) % 5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        byte[] rgb = new byte[48];
        Arrays.fill(rgb, (byte) i);
        return new Pixels(4, 4, rgb);
    }

    private static List<List<Path>> drain(BatchSequence s, int workers, int prefetch) {
        List<List<Path>> out = new ArrayList<>();
        try (Loader l = new Loader(s, workers, prefetch)) {
            while (l.hasNext()) {
                Batch b = l.next();
                for (int k = 0; k < b.size(); k++) { // pixels still belong to their file when handed out
                    int i = Integer.parseInt(b.files().get(k).getFileName().toString().replace(".jpg", ""));
                    assertEquals((byte) i, b.pixels()[k * 48]);
                }
                out.add(b.files());
            }
        }
        return out;
    }

    @Test
    void batchesComeOutInTheSameOrderWhateverTheNumberOfWorkers() {
        BatchSequence s = sequence(100, LoaderTest::slow).seed(3).forEpoch(2);
        List<List<Path>> one = drain(s, 1, 1);
        assertEquals(20, one.size());
        assertEquals(one, drain(s, 2, 4));
        assertEquals(one, drain(s, 4, 8));
        for (int i = 0; i < 20; i++) assertEquals(s.filesOf(i), one.get(i));
    }

    @Test
    void decodesAtMostPrefetchBatchesAhead() {
        AtomicInteger decoded = new AtomicInteger();
        BatchSequence s = sequence(200, p -> { decoded.incrementAndGet(); return slow(p); });
        try (Loader l = new Loader(s, 2, 3)) {
            l.next();
            sleep(200);
            // the batch in hand, plus at most 3 ahead, whatever the 40 batches of the sequence
            assertTrue(decoded.get() <= 4 * 5, "decoded " + decoded.get());
        }
    }

    @Test
    void badFilesAreSkippedAndReportedOnceOrStopTheRunWhenStrict() {
        BatchSequence.ImageSource source = p -> {
            if (p.toString().equals("7.jpg")) throw new BadImageException(p, "corrupt data");
            return slow(p);
        };
        SkippedFiles skipped = new SkippedFiles(null);
        BatchSequence lenient = sequence(10, source).skipBadFiles(skipped);
        int seen = 0;
        for (int epoch = 0; epoch < 2; epoch++) {
            for (List<Path> batch : drain(lenient.forEpoch(epoch), 2, 2)) seen += batch.size();
        }
        assertEquals(18, seen, "the bad file is not counted as seen");
        assertEquals(List.of("7.jpg: corrupt data"), skipped.lines());
        DataException e = assertThrows(DataException.class, () -> drain(sequence(10, source), 2, 2));
        assertTrue(e.getMessage().contains("7.jpg: corrupt data"), e.getMessage());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
