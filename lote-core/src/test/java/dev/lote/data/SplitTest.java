package dev.lote.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.data.ImageFolder.Sample;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SplitTest {
    /** 3 classes of 10, 25 and 4 images. */
    private static final List<Sample> SAMPLES = IntStream.range(0, 39)
            .mapToObj(i -> new Sample(Path.of("f" + i + ".jpg"), i < 10 ? 0 : i < 35 ? 1 : 2)).toList();

    @Test
    void everyClassIsInBothPartsAndNoFileInBoth() {
        Split s = Split.stratified(SAMPLES, 3, 0.2, 7);
        for (int c = 0; c < 3; c++) {
            final int k = c;
            assertTrue(s.train().stream().anyMatch(x -> x.label() == k), "class " + c + " in training");
            assertTrue(s.validation().stream().anyMatch(x -> x.label() == k), "class " + c + " in validation");
        }
        Set<Sample> train = new HashSet<>(s.train());
        assertTrue(s.validation().stream().noneMatch(train::contains));
        assertEquals(SAMPLES.size(), s.train().size() + s.validation().size());
        assertEquals(2 + 5 + 1, s.validation().size()); // 20 % of 10, 25 and 4, rounded, at least one
    }

    @Test
    void sameSeedSameSplitOtherSeedOtherSplit() {
        assertEquals(Split.stratified(SAMPLES, 3, 0.2, 7), Split.stratified(SAMPLES, 3, 0.2, 7));
        assertNotEquals(Split.stratified(SAMPLES, 3, 0.2, 7).validation(), Split.stratified(SAMPLES, 3, 0.2, 8).validation());
        assertEquals(0, Split.stratified(SAMPLES, 3, 0, 7).validation().size());
    }
}
