package dev.lote.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.LoteModel;
import dev.lote.image.Resize;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Test-time augmentation: two views are exactly the mean of the image's and its mirror's probabilities. */
class TestTimeAugmentationTest {
    @TempDir Path dir;

    @Test
    void twoViewsAreTheMeanOfTheImageAndItsMirror() throws Exception {
        BufferedImage img = new BufferedImage(32, 24, BufferedImage.TYPE_INT_RGB), mirror = new BufferedImage(32, 24, BufferedImage.TYPE_INT_RGB);
        SplittableRandom r = new SplittableRandom(3);
        for (int y = 0; y < 24; y++) for (int x = 0; x < 32; x++) {
            int rgb = r.nextInt(1 << 24) | (x < 10 ? 0xff0000 : 0);
            img.setRGB(x, y, rgb);
            mirror.setRGB(31 - x, y, rgb);
        }
        Path a = dir.resolve("a.png"), b = dir.resolve("mirror.png");
        ImageIO.write(img, "png", a.toFile());
        ImageIO.write(mirror, "png", b.toFile());
        Shape input = Shape.image(24, 32, 3);
        try (LoteModel m = LoteModel.create(Presets.resolve("small-cnn", input, 3), List.of("x", "y", "z"), Resize.STRETCH, 7)) {
            float[] pa = m.classifier().probabilities(a), pb = m.classifier().probabilities(b), mean = new float[3];
            for (int i = 0; i < 3; i++) mean[i] = (pa[i] + pb[i]) / 2;
            assertTrue(Math.abs(pa[0] - pb[0]) > 1e-4, "the untrained model must tell an image from its mirror for the test to mean anything");
            assertArrayEquals(mean, m.testTimeAugmentation(2).classifier().probabilities(a), 1e-5f);
            float[] seven = m.testTimeAugmentation(7).classifier().probabilities(a);
            assertTrue(Math.abs(seven[0] - mean[0]) > 1e-6, "crops are views too");
            assertThrows(IllegalArgumentException.class, () -> m.testTimeAugmentation(8));
            assertThrows(IllegalArgumentException.class, () -> m.testTimeAugmentation(0));
        }
    }
}
