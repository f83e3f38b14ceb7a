package dev.lote.predict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.Engines;
import dev.lote.LoteModel;
import dev.lote.data.Batch;
import dev.lote.data.ImageFolder;
import dev.lote.data.SkippedFiles;
import dev.lote.image.Resize;
import dev.lote.nn.Model;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import dev.lote.testing.Images;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbedderTest {
    /** A model's embedding is what its last layer reads: that layer applied to it gives the model's own prediction. */
    @Test
    void theLastLayerOnTheEmbeddingGivesThePrediction(@TempDir Path dir) throws Exception {
        Shape in = Shape.image(48, 64, 3);
        Path data = Images.sampleFolder(dir.resolve("data"), 3, 3, in.height(), in.width());
        List<Path> files = new ArrayList<>(ImageFolder.scan(data).files());
        Path broken = Files.write(dir.resolve("broken.jpg"), new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2, 3});
        files.add(1, broken);
        try (LoteModel m = LoteModel.create(Presets.smallCnn(in, 3), List.of("a", "b", "c"), Resize.STRETCH, 4)) {
            byte[] px = new byte[Math.toIntExact(in.size() * 6)];
            new SplittableRandom(9).nextBytes(px);
            for (int i = 0; i < 3; i++) Engines.of(m).trainStep(new Batch(px, new int[] {0, 1, 2, 0, 1, 2}, in, Collections.nCopies(6, null)));
            SkippedFiles skipped = new SkippedFiles(null);
            List<Embedder.Embedding> rows = m.embed(files, 4, skipped);
            assertEquals(files.size() - 1, rows.size(), "the broken file is left out");
            assertTrue(skipped.lines().get(0).contains(broken.toString()), skipped.lines().toString());
            List<Prediction> predicted = m.predict(files, 4, new SkippedFiles(null));
            Model arch = m.architecture();
            String head = arch.calls().get(arch.outputIndex()).layer().name();
            float[] kernel = m.weights().get(head + "/kernel"), bias = m.weights().get(head + "/bias");
            int width = rows.get(0).features().length;
            assertEquals(kernel.length / 3, width, "the last layer's fan-in");
            for (int i = 0; i < rows.size(); i++) {
                assertEquals(files.get(i < 1 ? i : i + 1), rows.get(i).file(), "in the files' order");
                double[] logits = new double[3];
                for (int c = 0; c < 3; c++) {
                    logits[c] = bias[c];
                    for (int k = 0; k < width; k++) logits[c] += rows.get(i).features()[k] * kernel[k * 3 + c];
                }
                double max = Math.max(logits[0], Math.max(logits[1], logits[2])), sum = 0;
                for (double l : logits) sum += Math.exp(l - max);
                Prediction p = predicted.get(i);
                for (Prediction.Ranked r : p.ranked())
                    assertEquals(Math.exp(logits[m.classes().indexOf(r.className())] - max) / sum, r.probability(), 1e-5, p.toString());
            }
        }
    }
}
