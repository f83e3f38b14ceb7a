package dev.lote.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.LoteModel;
import dev.lote.TrainingRun;
import dev.lote.image.Augmentation;
import dev.lote.nn.Shape;
import dev.lote.testing.Images;
import dev.lote.train.Recipe;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Labels from a CSV or JSON-lines file: every row checked, named by line, the split column obeyed. */
class LabelFileTest {
    @TempDir Path dir;

    /** {@code photos/} with n red and n blue images in one flat folder: only the labels file says which is which. */
    private Path photos(int n) throws Exception {
        Path root = dir.resolve("photos");
        for (int i = 0; i < n; i++) {
            Images.write(root.resolve("img/r" + i + ".png"), 16, 16, 0xdd2222, "png");
            Images.write(root.resolve("img/b" + i + ".png"), 16, 16, 0x2222dd, "png");
        }
        return root;
    }

    @Test
    void everyWrongRowIsNamedWithItsLineAndTheRestIsRead() throws Exception {
        Path root = photos(3);
        Images.write(root.resolve("img/a, b.png"), 16, 16, 0x22dd22, "png");
        Images.write(root.resolve("extra/unlisted.png"), 16, 16, 0, "png");
        Path csv = Files.writeString(dir.resolve("labels.csv"), "\uFEFFsplit,label,filename\n"
                + "train,red,img/r0.png\n"
                + ",red,img/r1.png\n"
                + "val,red,img/r2.png\n"
                + "train,blue,img/b0.png\n"
                + "test,blue,img/b1.png\n"
                + "train,,img/b2.png\n"          // line 7: empty label
                + "train,red,img/missing.png\n"  // line 8
                + "train,blue,img/b0.png\n"      // line 9: again
                + "holdout,blue,img/b2.png\n"    // line 10
                + "train, red ,img/b2.png\n"  // line 11: stripped
                + "train,green,\"img/a, b.png\"\n");
        LabelFile.Read read = LabelFile.read(root, csv);
        assertEquals(List.of("blue", "green", "red"), read.classes());
        assertEquals(List.of(
                "line 7: img/b2.png: empty label",
                "line 8: img/missing.png: no such file in " + root,
                "line 9: img/b0.png: listed again (first on line 5)",
                "line 10: img/b2.png: unknown split 'holdout' (expected train, val or test)",
                "extra/unlisted.png: in " + root + " but not in labels.csv"), read.problems().stream().map(Object::toString).toList());
        assertEquals(5, read.splits().get("train").size(), "rows without a split train");
        assertEquals(List.of(root.resolve("img/r2.png")), Split.files(read.splits().get("val")));
        assertEquals(root.resolve("img/a, b.png"), read.splits().get("train").get(4).file(), "a quoted name keeps its comma");

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Dataset d = Dataset.withLabels(root, csv, false, new PrintStream(err, true));
        assertTrue(err.toString().startsWith("lote: warning: " + csv + ": 5 problems (those rows and images are left out): line 7: "), err.toString());
        assertEquals(1, err.toString().lines().count(), "one message");
        assertTrue(d.hasValidationFolder());
        assertEquals(1, d.test().orElseThrow().samples().size());
        var strict = assertThrows(DataException.class, () -> Dataset.withLabels(root, csv, true, null));
        assertTrue(strict.getMessage().contains("(--strict stops here)"), strict.getMessage());
    }

    @Test
    void severalLabelsInACellAreASetAndWithThemAnEmptyCellIsAnImageWithNone() throws Exception {
        Path root = photos(2);
        Path csv = Files.writeString(dir.resolve("tags.csv"), "img/r0.png, red ;blue;red\nimg/b0.png,blue\nimg/r1.png,\nimg/b1.png,red\n");
        LabelFile.Read read = LabelFile.read(root, csv);
        assertEquals(List.of("", "blue", "blue;red", "red"), read.classes(), "sets named in order, without repeats; the empty set too");
        assertEquals(List.of(), read.problems(), "an empty cell is no problem where images have several labels");
        assertEquals(List.of("blue", "red"), LabelSets.classes(read.classes()));
        assertEquals(List.of(List.of(0f, 0f), List.of(1f, 0f), List.of(1f, 1f), List.of(0f, 1f)), java.util.Arrays.stream(
                LabelSets.table(read.classes(), List.of("blue", "red"))).map(r -> List.of(r[0], r[1])).toList());
    }

    @Test
    void jsonLinesAndHeaderlessCsvReadTheSame() throws Exception {
        Path root = photos(1);
        Images.write(root.resolve("img/both.png"), 16, 16, 0xdd22dd, "png");
        Path jsonl = Files.writeString(dir.resolve("labels.jsonl"), "{\"file\": \"img/r0.png\", \"label\": \"red\"}\n\n"
                + "{\"image\": \"img/b0.png\", \"label\": \"blue\", \"split\": \"val\"}\n{\"file\": \"img/both.png\", \"label\": [\"red\", \"blue\"]}\n"
                + "{\"file\": \"img/b0.png\", \"label\": \"red\"}\n");
        Path csv = Files.writeString(dir.resolve("plain.csv"), "img/r0.png,red\nimg/b0.png,blue,val\nimg/both.png,red;blue\nimg/b0.png,red\n");
        for (Path f : List.of(jsonl, csv)) {
            LabelFile.Read r = LabelFile.read(root, f);
            assertEquals(List.of("blue", "blue;red", "red"), r.classes(), f.toString());
            assertEquals(List.of(root.resolve("img/b0.png")), Split.files(r.splits().get("val")));
            assertEquals(List.of("line " + (f == jsonl ? 5 : 4) + ": img/b0.png: listed again (first on line " + (f == jsonl ? 3 : 2) + ")"),
                    r.problems().stream().map(Object::toString).toList());
        }
        Path broken = Files.writeString(dir.resolve("broken.jsonl"), "{\"file\": \"img/r0.png\"}\n[1, 2]\n");
        assertEquals(broken + " line 2: not a JSON object.", assertThrows(DataException.class, () -> LabelFile.read(root, broken)).getMessage());
        Path quote = Files.writeString(dir.resolve("quote.csv"), "\"img/r0.png,red\n");
        assertEquals(quote + " line 1: a quote is not closed.", assertThrows(DataException.class, () -> LabelFile.read(root, quote)).getMessage());
        assertEquals("No labels file " + dir.resolve("none.csv") + ".", assertThrows(DataException.class,
                () -> LabelFile.read(root, dir.resolve("none.csv"))).getMessage());
    }

    @Test
    void aRunTrainsOnTheFilesLabelsItsSplitColumnAndRecordsTheFile() throws Exception {
        Path root = photos(6);
        StringBuilder rows = new StringBuilder("file,label,split\n");
        for (int i = 0; i < 6; i++) {
            rows.append("img/r").append(i).append(".png,red,").append(i < 2 ? "val" : "train").append('\n');
            rows.append("img/b").append(i).append(".png,blue,").append(i < 2 ? "val" : "train").append('\n');
        }
        Path csv = Files.writeString(dir.resolve("labels.csv"), rows);
        Recipe recipe = Recipe.defaults().withImageSize(Shape.image(16, 16, 3)).withBatchSize(4).withEpochs(8).withLearningRate(0.01)
                .withAugmentation(Augmentation.parse("none")).withEarlyStopping(null);
        TrainingRun.Result r = TrainingRun.of(Dataset.withLabels(root, csv, true, null), recipe).run();
        try (LoteModel m = r.model()) {
            assertEquals(List.of("blue", "red"), m.classes());
            var t = m.info().training();
            assertEquals(4, t.validationFiles().size(), "the split column's val rows, not a random 20 %");
            assertTrue(t.validationFiles().stream().allMatch(f -> f.endsWith("0.png") || f.endsWith("1.png")), t.validationFiles().toString());
            assertEquals(csv.toAbsolutePath().toString(), t.labels());
            assertEquals(1.0, r.history().last("val_accuracy"), "red against blue is learnable: " + r.history().get("val_accuracy"));
            String before = t.dataFingerprint();
            Files.writeString(csv, rows.toString().replace("img/r5.png,red", "img/r5.png,blue"));
            try (LoteModel again = TrainingRun.of(Dataset.withLabels(root, csv, true, null), recipe.withEpochs(1)).run().model()) {
                assertTrue(!before.equals(again.info().training().dataFingerprint()), "the fingerprint covers the labels file");
            }
        }
    }
}
