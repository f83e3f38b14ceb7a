package dev.lote.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.image.Decoder;
import dev.lote.image.Pixels;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PastedPhotosTest {
    @TempDir Path dir;

    @Test
    void testImagesShowOnlyObjectsAndBackgroundsThatTrainingNeverSees() throws Exception {
        for (String c : new String[] {"apples", "keys"}) {
            for (int o = 0; o < 4; o++) {
                BufferedImage obj = new BufferedImage(40, 30, BufferedImage.TYPE_INT_ARGB); // a disc on a transparent square
                Graphics2D g = obj.createGraphics();
                g.setColor(new Color(40 + 50 * o, c.equals("apples") ? 200 : 20, 90));
                g.fillOval(0, 0, 40, 30);
                g.dispose();
                Files.createDirectories(dir.resolve("objects").resolve(c));
                ImageIO.write(obj, "png", dir.resolve("objects").resolve(c).resolve(c + o + ".png").toFile());
            }
        }
        for (int b = 0; b < 4; b++) dev.lote.testing.Images.write(dir.resolve("bg").resolve("b" + b + ".jpg"), 90, 120, 0x102030 * (b + 1), "jpeg");
        var s = PastedPhotos.write(dir.resolve("objects"), dir.resolve("bg"), dir.resolve("out"), 5, 3, 0.3, 48, 64, 1);

        Set<String> train = new HashSet<>(s.trainObjects()), test = new HashSet<>(s.testObjects());
        assertEquals(8, train.size() + test.size());
        train.retainAll(test);
        assertTrue(train.isEmpty(), "no object is in both parts: " + train);
        assertTrue(s.testObjects().stream().anyMatch(o -> o.startsWith("apples/")) && s.testObjects().stream().anyMatch(o -> o.startsWith("keys/")));
        assertEquals(3, s.trainBackgrounds());
        assertEquals(1, s.testBackgrounds());
        try (Stream<Path> files = Files.walk(dir.resolve("out"))) {
            var jpgs = files.filter(p -> p.toString().endsWith(".jpg")).toList();
            assertEquals(2 * 5 + 2 * 3, jpgs.size());
            Pixels px = new Decoder().read(jpgs.get(0));
            assertEquals(48, px.height());
            assertEquals(64, px.width());
        }
        assertTrue(Files.isDirectory(dir.resolve("out/train/keys")) && Files.isDirectory(dir.resolve("out/test/apples")));
    }
}
