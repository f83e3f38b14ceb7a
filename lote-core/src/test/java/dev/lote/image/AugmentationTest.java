package dev.lote.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AugmentationTest {
    /** Left half black, right half white. */
    private static Pixels halves() {
        byte[] rgb = new byte[20 * 10 * 3];
        for (int y = 0; y < 10; y++) for (int x = 10; x < 20; x++) Arrays.fill(rgb, (y * 20 + x) * 3, (y * 20 + x) * 3 + 3, (byte) 255);
        return new Pixels(20, 10, rgb);
    }

    @Test
    void flipMirrorsTheImageWhenItsCoinSaysSo() {
        Augmentation flip = Augmentation.parse("flip");
        int flipped = 0;
        for (int seed = 0; seed < 20; seed++) {
            Pixels out = flip.apply(halves(), new SplittableRandom(seed));
            int left = out.rgb()[(5 * 20 + 2) * 3] & 0xff;
            assertTrue(left == 0 || left == 255, "a pure mirror resamples nothing: " + left);
            if (left == 255) flipped++;
        }
        assertTrue(flipped > 3 && flipped < 17, "flipped " + flipped + " of 20");
    }

    @Test
    void sameRandomStreamSameImageAndSizeIsKept() {
        Augmentation all = Augmentation.parse("flip,crop,rotate,color,noise,blur");
        Pixels a = all.apply(halves(), new SplittableRandom(11)), b = all.apply(halves(), new SplittableRandom(11));
        assertArrayEquals(a.rgb(), b.rgb());
        assertEquals(20, a.width());
        assertEquals(10, a.height());
        assertFalse(Arrays.equals(a.rgb(), all.apply(halves(), new SplittableRandom(12)).rgb()));
    }

    @Test
    void parsesNamesAndRejectsUnknownOnes() {
        assertEquals("color,crop,flip,rotate", Augmentation.parse("default").label());
        assertTrue(Augmentation.parse("none").isNone());
        var e = assertThrows(IllegalArgumentException.class, () -> Augmentation.parse("flip,zoom"));
        assertTrue(e.getMessage().contains("Unknown augmentation 'zoom'"), e.getMessage());
    }
}
