package dev.lote.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.Engines;
import dev.lote.LoteModel;
import dev.lote.image.Resize;
import dev.lote.nn.Activation;
import dev.lote.nn.Conv2D;
import dev.lote.nn.Dense;
import dev.lote.nn.GlobalAveragePooling2D;
import dev.lote.nn.Layer;
import dev.lote.nn.Padding;
import dev.lote.nn.Sequential;
import dev.lote.nn.Shape;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Grad-CAM through libtorch's autograd, on a network whose answer is known: brightness is the evidence for "bright". */
class ExplanationTest {
    @TempDir Path dir;

    /** conv (one 3x3 filter averaging the pixels, ReLU) → global average → dense: "bright" scores the mean brightness, "dark" its negative. */
    private static LoteModel brightness() {
        var arch = new Sequential("bright", Shape.image(32, 32, 3), List.<Layer>of(new Conv2D(1, 3).padding(Padding.SAME)
                .activation(Activation.RELU).<Conv2D>name("conv"), new GlobalAveragePooling2D().<GlobalAveragePooling2D>name("pool"),
                new Dense(2).activation(Activation.SOFTMAX).<Dense>name("dense")));
        LoteModel m = LoteModel.create(arch, List.of("bright", "dark"), Resize.STRETCH, 1);
        float[] kernel = new float[27];
        Arrays.fill(kernel, 1f / 27);
        Engines.of(m).setWeightValues(Map.of("conv/kernel", kernel, "conv/bias", new float[1], "dense/kernel", new float[] {4, -4},
                "dense/bias", new float[2]));
        return m;
    }

    @Test
    void theHeatIsWhereTheEvidenceIs() throws Exception {
        BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 2; y < 10; y++) for (int x = 20; x < 28; x++) img.setRGB(x, y, 0xffffff); // a white square, top right
        Path file = dir.resolve("square.png");
        ImageIO.write(img, "png", file.toFile());
        try (LoteModel m = brightness()) {
            Explanation e = m.explain(file, null, null);
            assertEquals("conv", e.layer(), "the last layer with an image-shaped output");
            assertEquals("bright", e.className());
            assertEquals(32 * 32, e.heat().length);
            double inside = 0, outside = 0;
            for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) {
                if (y >= 2 && y < 10 && x >= 20 && x < 28) inside += e.heat()[y * 32 + x] / 64; else outside += e.heat()[y * 32 + x] / (1024 - 64);
            }
            assertTrue(inside > 0.8 && outside < 0.05, "mean heat inside the square " + inside + ", outside " + outside);
            float max = 0;
            for (float v : e.heat()) max = Math.max(max, v);
            assertEquals(1f, max, 1e-6f);
            Explanation dark = m.explain(file, "conv", "dark");
            assertEquals(0, dark.heat()[5 * 32 + 24], 1e-6, "brightness is evidence against 'dark': ReLU leaves nothing");

            Path png = dir.resolve("out.png");
            e.png(png, 128);
            BufferedImage drawn = ImageIO.read(png.toFile());
            assertEquals(128, drawn.getWidth());
            int hot = drawn.getRGB(24 * 4, 5 * 4), cold = drawn.getRGB(4 * 4, 28 * 4);
            assertTrue(((hot >> 16) & 0xff) > ((hot >> 8) & 0xff) + 60 && ((cold >> 16) & 0xff) < 40 && (cold & 0xff) > ((cold >> 16) & 0xff),
                    "red over the square, blue elsewhere: "
                    + Integer.toHexString(hot) + " " + Integer.toHexString(cold));
            try (LoteModel fresh = brightness()) { // explaining leaves no gradient behind for the next training step
                var batch = new dev.lote.data.BatchSequence(List.of(file), new int[] {1}, 1, Shape.image(32, 32, 3)).get(0);
                Engines.of(m).trainStep(batch);
                Engines.of(fresh).trainStep(batch);
                assertArrayEquals(Engines.of(fresh).weightValues().get("dense/kernel"), Engines.of(m).weightValues().get("dense/kernel"));
            }
            assertThrows(IllegalArgumentException.class, () -> m.explain(file, "dense", null));
            assertThrows(IllegalArgumentException.class, () -> m.explain(file, "nope", null));
            assertThrows(IllegalArgumentException.class, () -> m.explain(file, null, "cat"));
        }
    }
}
