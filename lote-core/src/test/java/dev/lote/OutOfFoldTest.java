package dev.lote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lote.data.Dataset;
import dev.lote.eval.Evaluation;
import dev.lote.nn.Shape;
import dev.lote.testing.Images;
import dev.lote.train.Recipe;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wrong labels found as cleanlab finds them: out-of-fold probabilities, then confident learning. */
class OutOfFoldTest {
    @TempDir Path dir;

    @Test
    void twoRedPhotosFiledAsBlueAreTheSuspects() throws Exception {
        for (int i = 0; i < 10; i++) {
            Images.write(dir.resolve("red/r" + i + ".png"), 16, 16, 0xd02020 + i * 0x000300, "png");
            Images.write(dir.resolve("blue/b" + i + ".png"), 16, 16, 0x2020d0 + i * 0x000300, "png");
        }
        Path wrong1 = Images.write(dir.resolve("blue/x1.png"), 16, 16, 0xd82424, "png"), wrong2 = Images.write(dir.resolve("blue/x2.png"), 16, 16, 0xc81c1c, "png");
        Recipe recipe = Recipe.notebook().withImageSize(Shape.image(16, 16, 3)).withBatchSize(4).withEpochs(10).withValidationSplit(0);
        Evaluation e = OutOfFold.evaluate(Dataset.open(dir), recipe, 3, 8, 1, 5, new PrintStream(OutputStream.nullOutputStream()));
        assertEquals(22, e.images(), "every image predicted once, by the model that did not train on it");
        assertEquals(Set.of(wrong1.toString(), wrong2.toString()), e.suspects().stream().map(Evaluation.Suspect::file).collect(Collectors.toSet()),
                "suspects " + e.suspects() + "; highest loss " + e.highestLoss());
        assertThrows(IllegalArgumentException.class, () -> OutOfFold.evaluate(Dataset.open(dir), recipe, 1, 8, 1, 0, System.out));
    }
}
