package dev.lote.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.data.BatchSequence;
import dev.lote.data.ImageFolder;
import dev.lote.data.Split;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import dev.lote.testing.Images;
import dev.lote.torch.Network;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LearningRateFinderTest {
    /** A loss flat, then falling fastest at 1e-3, lowest at 1e-1, then diverging: the suggestion is the steep part. */
    @Test
    void theSuggestionIsWhereTheLossFallsFastestBeforeItsLowest() {
        List<LearningRateFinder.Point> curve = new ArrayList<>();
        for (int i = 0; i <= 70; i++) {
            double lr = Math.pow(10, -7 + i / 10.0), x = Math.log10(lr);
            double loss = x < -1 ? 2 - 1.5 / (1 + Math.exp(-3 * (x + 3))) : 0.5 + 2 * (x + 1) * (x + 1);
            curve.add(new LearningRateFinder.Point(lr, loss, loss));
        }
        LearningRateFinder.Result r = LearningRateFinder.suggest(curve);
        assertEquals(-3, Math.log10(r.suggested()), 0.11);
        assertEquals(-1, Math.log10(r.lowest()), 0.11);
    }

    /** On real batches: the rate rises step by step, the loss first falls, and the network is put back as it was. */
    @Test
    void aRangeTestOnRealImagesLeavesTheNetworkAsItWas(@TempDir Path dir) {
        Shape in = Shape.image(24, 32, 3);
        ImageFolder folder = ImageFolder.scan(Images.sampleFolder(dir, 3, 10, in.height(), in.width()));
        BatchSequence data = new BatchSequence(Split.files(folder.samples()), Split.labels(folder.samples()), 6, in).seed(1);
        try (Network net = Network.build(Presets.smallCnn(in, 3), 1)) {
            Map<String, float[]> before = net.weightValues();
            LearningRateFinder.Result r = LearningRateFinder.run(net, data, 1e-6, 10, 40, 1);
            List<LearningRateFinder.Point> c = r.curve();
            assertTrue(c.size() >= 10 && c.size() <= 40, c.size() + " steps");
            for (int i = 1; i < c.size(); i++) assertTrue(c.get(i).learningRate() > c.get(i - 1).learningRate());
            assertTrue(r.suggested() >= 1e-6 && r.suggested() <= r.lowest(), r.suggested() + " against lowest " + r.lowest());
            double lowest = c.stream().mapToDouble(LearningRateFinder.Point::smoothed).min().orElseThrow();
            assertTrue(lowest < c.get(c.size() / 10).smoothed(), "the loss falls somewhere: " + c);
            net.weightValues().forEach((k, v) -> assertArrayEquals(before.get(k), v, k)); // batch-norm statistics too
            assertEquals(0, net.optimizerState().steps());
            assertEquals(1e-3, net.optimizer().learningRate());
        }
        assertThrows(IllegalArgumentException.class, () -> LearningRateFinder.run(null, data, 1, 0.1, 40, 1));
    }
}
