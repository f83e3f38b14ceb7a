package dev.lote.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.data.BatchSequence;
import dev.lote.data.ImageFolder;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import dev.lote.testing.Images;
import dev.lote.torch.Network;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    @Test
    void accuracyRisesWellAboveChanceOnLearnableImages(@TempDir Path dir) {
        ImageFolder folder = ImageFolder.scan(Images.sampleFolder(dir, 4, 20, 48, 64));
        Shape input = Shape.image(48, 64, 3);
        BatchSequence data = new BatchSequence(folder.files(), folder.labels(), 5, input).seed(1);
        int[] batches = new int[1], epochs = new int[1];
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        History h;
        try (Network net = Network.build(Presets.seedCnn(input, 4), 1)) {
            h = new Trainer(net)
                    .callback(new ProgressBar(new PrintStream(log, true), false))
                    .callback(new Callback() {
                        @Override public void onBatchEnd(int batch, Logs logs) { batches[0]++; }
                        @Override public void onEpochEnd(int epoch, Logs logs) { epochs[0]++; }
                    })
                    .fit(data, 30);
        }
        assertEquals(30, h.epochs());
        assertEquals(30, epochs[0]);
        assertEquals(30 * 16, batches[0]);
        List<Double> acc = h.get("accuracy");
        assertTrue(acc.get(29) >= 0.6 && acc.get(29) > acc.get(0) + 0.3, "chance is 0.25; accuracy per epoch " + acc);
        assertTrue(h.get("loss").get(29) < h.get("loss").get(0) * 0.6, "loss " + h.get("loss"));
        String out = log.toString();
        assertTrue(out.contains("Epoch 30/30"), out);
        assertTrue(out.lines().anyMatch(l -> l.matches("16/16 - \\d+s \\d+ms/step - accuracy: \\d\\.\\d{4} - loss: \\d\\.\\d{4}")), out);
    }

    @Test
    void validationMetricsAreRecordedEachEpoch(@TempDir Path dir) {
        ImageFolder folder = ImageFolder.scan(Images.sampleFolder(dir, 2, 6, 24, 32));
        Shape input = Shape.image(24, 32, 3);
        BatchSequence data = new BatchSequence(folder.files(), folder.labels(), 4, input);
        try (Network net = Network.build(Presets.seedCnn(input, 2), 1)) {
            History h = new Trainer(net).fit(data, data, 2);
            assertEquals(List.of("accuracy", "loss", "val_accuracy", "val_loss"), List.copyOf(h.asMap().keySet()));
            assertEquals(2, h.get("val_loss").size());
        }
    }

    @Test
    void progressShowsKerasDurations() {
        assertEquals("1:45", ProgressBar.duration(105));
        assertEquals("45s", ProgressBar.duration(45));
        assertEquals(" - accuracy: 0.4100 - loss: 1.9000", ProgressBar.metrics(new Logs().put("loss", 1.9).put("accuracy", 0.41)));
    }
}
