package dev.lote.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lote.LoteModel;
import dev.lote.TrainingRun;
import dev.lote.data.Dataset;
import dev.lote.nn.Shape;
import dev.lote.testing.Images;
import dev.lote.testing.Python;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run's TensorBoard logs, read back by TensorBoard's own event reader (pip's tensorboard, in CI's venv). */
class TensorBoardTest {
    @TempDir Path dir;

    @Test
    void tensorBoardReadsTheRunsMetricsLearningRateRecipeAndConfusionMatrix() throws Exception {
        Path python = Python.with("tensorboard");
        Path data = Images.sampleFolder(dir.resolve("data"), 3, 8, 24, 32);
        Path logs = dir.resolve("logs");
        Recipe recipe = Recipe.defaults().withImageSize(Shape.image(24, 32, 3)).withBatchSize(4).withEpochs(3).withSeed(5);
        History history;
        try (LoteModel m = TrainingRun.of(Dataset.open(data), recipe).tensorBoard(logs).run().model()) {
            history = m.history();
        }
        Python.Result r = Python.script(python, "read_tensorboard.py", logs.toString());
        assertEquals(0, r.exit(), r.output());
        JsonNode read = new ObjectMapper().readTree(r.output().lines().reduce((a, b) -> b).orElseThrow());
        for (String run : List.of("train", "validation")) {
            for (String metric : List.of("loss", "accuracy")) {
                List<Double> want = history.get(run.equals("train") ? metric : "val_" + metric);
                JsonNode got = read.path(run).path("scalars").path("epoch_" + metric);
                assertEquals(want.size(), got.size(), run + " epoch_" + metric + ": " + got);
                for (int e = 0; e < want.size(); e++) {
                    assertEquals(e, got.get(e).get(0).asInt(), "the step is the epoch");
                    assertEquals((float) (double) want.get(e), (float) got.get(e).get(1).asDouble(), run + " " + metric + " at epoch " + e);
                }
            }
        }
        JsonNode lr = read.path("train").path("scalars").path("epoch_learning_rate");
        assertEquals(3, lr.size());
        assertTrue(lr.get(2).get(1).asDouble() < lr.get(0).get(1).asDouble(), "cosine decay lowers the rate: " + lr);
        JsonNode image = read.path("validation").path("images").path("confusion_matrix").get(0);
        assertEquals("89504e470d0a1a0a", image.path("png").asText(), "a PNG");
        assertTrue(image.path("width").asInt() > 3 * 8 && image.path("height").asInt() == image.path("width").asInt(), image.toString());
        String text = read.path("train").path("text").path("recipe").get(0).asText();
        assertTrue(text.contains("\"batch_size\" : 4"), text);
    }
}
