package dev.lote.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.eval.Evaluation;
import dev.lote.io.ModelInfo;
import dev.lote.nn.Adam;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import dev.lote.train.Recipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    @TempDir Path dir;

    static ModelInfo info(List<String> classes, Map<String, List<Double>> history) {
        var training = new ModelInfo.Training("/data", "f".repeat(64), 42, 32, 10, history.get("loss").size(), Recipe.defaults().withEpochs(10),
                1, 0, Map.of("java", "17"), null, history, List.of("/data/" + classes.get(0) + "/a.jpg", "/data/" + classes.get(1) + "/b.jpg"),
                List.of("/data/" + classes.get(1) + "/c.jpg"), Map.of("/data/x/bad.jpg", "truncated JPEG"), null);
        return new ModelInfo("lote-model", 1, "0.1", "2.10", "2026-11-27T00:00:00Z", classes, new ModelInfo.Preprocessing(64, 64, "stretch", "1/255"),
                Presets.resolve("small-cnn", Shape.image(64, 64, 3), classes.size()), new Adam(), 10, training, null, null);
    }

    @Test
    void suspectLabelsAreShownWithWhatTheyLookLike() {
        List<String> classes = List.of("cats", "dogs");
        var e = Evaluation.of(classes, List.of(new Evaluation.Sample("/data/cats/a.jpg", 0, new float[] {0.9f, 0.1f}),
                new Evaluation.Sample("/data/dogs/b.jpg", 1, new float[] {0.2f, 0.8f}),
                new Evaluation.Sample("/data/cats/dog.jpg", 0, new float[] {0.05f, 0.95f})), 1, 5, List.of());
        String html = Report.html(info(classes, Map.of("loss", List.of(1.0))), e, "3 images", Map.of());
        assertTrue(html.contains("<h3>Suspect labels</h3>"), html);
        assertTrue(html.contains("<b>labelled</b> cats (0.05)<br><b>looks like</b> dogs (0.95)"), html);
    }

    @Test
    void curvesHaveOnePointPerEpochAndTheHeatMapOneCellPerPair() {
        var history = Map.of("loss", List.of(2.0, 1.5, 1.0), "accuracy", List.of(0.3, 0.5, 0.7),
                "val_loss", List.of(2.1, 1.7, 1.8), "val_accuracy", List.of(0.3, 0.4, 0.45));
        List<String> classes = List.of("cats", "dogs");
        var e = Evaluation.of(classes, List.of(new Evaluation.Sample("/data/dogs/c.jpg", 1, new float[] {0.9f, 0.1f})), 1, 5, List.of());
        String html = Report.html(info(classes, history), e, "the run's 1 validation images", Map.of());
        var polyline = Pattern.compile("<polyline class=\"line (train|validation)\" points=\"([^\"]*)\"").matcher(html);
        int lines = 0;
        while (polyline.find()) {
            assertEquals(3, polyline.group(2).split(" ").length, polyline.group());
            lines++;
        }
        assertEquals(4, lines);
        assertTrue(html.contains("best validation epoch: 2"), "val_loss is lowest at epoch 2");
        assertEquals(4, Pattern.compile("<rect class=\"cell\"").matcher(html).results().count());
        assertTrue(html.contains("data-count=\"1\"><title>true dogs, predicted cats: 1"));
        assertTrue(html.contains("truncated JPEG"), "skipped files are listed");
        assertTrue(html.contains("<figure class=\"wrong\"><div class=\"missing\">unreadable</div>"));
    }

    @Test
    void classNamesArePrintedAsTextNotMarkupAndNothingIsFetched() throws Exception {
        List<String> classes = List.of("<script>alert(1)</script>", "a&b");
        String html = Report.html(info(classes, Map.of("loss", List.of(1.0), "accuracy", List.of(0.5))), null, null, Map.of());
        assertFalse(html.contains("<script>"));
        assertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assertTrue(html.contains("a&amp;b"));
        assertFalse(Pattern.compile("(src|href)=\"https?:").matcher(html).find());
        assertTrue(html.contains("Not evaluated"));
        Path file = dir.resolve("r.html");
        Report.write(file, html);
        assertEquals(html, Files.readString(file));
    }

    @Test
    void ticksAreRoundAndCoverTheRange() {
        double[] t = Charts.ticks(0.23, 0.91, 5);
        assertEquals(0.3, t[0], 1e-9);
        assertEquals(0.9, t[t.length - 1], 1e-9);
        assertEquals(0.1, t[1] - t[0], 1e-9);
    }
}
