package dev.lote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.data.Dataset;
import dev.lote.image.Augmentation;
import dev.lote.nn.Shape;
import dev.lote.testing.Images;
import dev.lote.train.Recipe;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training from the Java API: a recipe decides the run, and the run's record says so. */
class TrainingRunTest {
    @TempDir Path dir;

    /** Two classes of pure noise: nothing to learn, so val_loss wanders and its best epoch is not the last. */
    static Path noise(Path root, int perClass) throws Exception {
        SplittableRandom r = new SplittableRandom(3);
        for (String c : List.of("a", "b")) {
            Files.createDirectories(root.resolve(c));
            for (int i = 0; i < perClass; i++) {
                BufferedImage im = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 16; y++) for (int x = 0; x < 16; x++) im.setRGB(x, y, r.nextInt(1 << 24));
                ImageIO.write(im, "png", root.resolve(c).resolve(i + ".png").toFile());
            }
        }
        return root;
    }

    @Test
    void earlyStoppingRestoresTheBestEpochsWeightsExactly() throws Exception {
        Recipe recipe = Recipe.defaults().withImageSize(Shape.image(16, 16, 3)).withBatchSize(4).withEpochs(6).withLearningRate(0.01)
                .withAugmentation(Augmentation.parse("none")).withSchedule(Recipe.Schedule.CONSTANT).withEarlyStopping(100); // never stops
        Path checkpoints = dir.resolve("cp");
        TrainingRun.Result run = TrainingRun.of(Dataset.open(noise(dir.resolve("data"), 10)), recipe).checkpoints(checkpoints, 10).run();
        try (LoteModel trained = run.model()) {
            List<Double> val = run.history().get("val_loss");
            assertEquals(6, val.size());
            int best = 0;
            for (int e = 1; e < val.size(); e++) if (val.get(e) < val.get(best)) best = e;
            assertTrue(best < 5, "the test needs a best epoch before the last; val_loss " + val);
            Map<String, float[]> restored = trained.weights();
            try (LoteModel atBest = LoteModel.load(checkpoints.resolve(String.format("epoch-%03d.lote", best + 1)));
                 LoteModel last = LoteModel.load(checkpoints.resolve("epoch-006.lote"))) {
                atBest.weights().forEach((k, v) -> assertArrayEquals(v, restored.get(k), k));
                assertFalse(last.weights().entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), restored.get(e.getKey()))),
                        "the last epoch's weights are not the best epoch's");
            }
        }
    }

    @Test
    void aRunFromTheJavaApiRecordsItsRecipeAndResumesFromIt() throws Exception {
        Path data = Images.sampleFolder(dir.resolve("data"), 2, 6, 24, 32);
        Recipe recipe = Recipe.defaults().withBatchSize(3).withEpochs(2).withSeed(7);
        Path file = dir.resolve("m.lote");
        try (LoteModel m = TrainingRun.of(Dataset.open(data), recipe).output(file).run().model()) {
            assertEquals(recipe, m.recipe());
        }
        try (LoteModel saved = LoteModel.load(file)) {
            assertEquals(recipe, saved.recipe(), "the recipe survives the model file");
            assertEquals(Shape.image(24, 32, 3), saved.architecture().inputShape(), "the first image's size");
            var again = TrainingRun.resume(saved, Dataset.open(data), saved.recipe().withEpochs(3)).run();
            assertEquals(1, again.epochsRun());
            assertEquals(3, again.history().epochs());
            assertThrows(IllegalArgumentException.class, () -> TrainingRun.resume(saved, Dataset.open(data), saved.recipe().withSeed(8)));
        }
    }

    /** The decoded-image cache is on by itself where it pays (more than one epoch) and fits its budget. */
    @Test
    void theCacheIsUsedWhenTheImagesFitItsBudgetAndNotOtherwise() throws Exception {
        Path data = Images.sampleFolder(dir.resolve("data"), 2, 6, 24, 32), cache = dir.resolve("cache");
        Recipe recipe = Recipe.defaults().withBatchSize(3).withEpochs(2);
        long bytes = (24 * 32 * 3 + 4) * 12L;
        String fits = console(TrainingRun.of(Dataset.open(data), recipe).cacheUpTo(cache, bytes));
        assertTrue(fits.contains("Caching decoded images in " + cache), fits);
        String over = console(TrainingRun.of(Dataset.open(data), recipe).cacheUpTo(cache, bytes - 1));
        assertTrue(over.contains("Decoding every image every epoch: the resized images take 0.0 GB, over the cache's 0.0 GB"), over);
        assertFalse(over.contains("Caching"), over);
        String once = console(TrainingRun.of(Dataset.open(data), recipe.withEpochs(1)).cacheUpTo(cache, bytes));
        assertFalse(once.contains("Caching"), "one epoch would only pay for writing it: " + once);
    }

    private static String console(TrainingRun run) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        run.console(new java.io.PrintStream(out, true)).run().model().close();
        return out.toString();
    }

    @Test
    void recipesAreCheckedWhenMadeNotWhenTheyRun() {
        var e = assertThrows(IllegalArgumentException.class, () -> Recipe.defaults().withBatchSize(0));
        assertTrue(e.getMessage().contains("batch size"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Recipe.defaults().withValidationSplit(1));
        assertEquals(Recipe.notebook(), Recipe.forModel("seed-cnn"));
        assertEquals(5, Recipe.notebook().batchSize());
        assertEquals(null, Recipe.notebook().earlyStopping());
    }
}
