package dev.lote.cli;

import static dev.lote.cli.CliTest.lote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.io.ModelFile;
import dev.lote.testing.Images;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train → model file → evaluate / predict / resume, through the CLI as a user runs them. */
class ModelCommandsTest {
    @TempDir static Path dir;
    static Path data;

    @BeforeAll
    static void data() {
        data = Images.sampleFolder(dir.resolve("data"), 3, 8, 24, 32);
    }

    @Test
    void aRunKilledAfterEpochTwoAndResumedEndsWithTheSameLoss() throws Exception {
        Path whole = dir.resolve("whole.lote"), ck = dir.resolve("ck");
        String[] common = {"--batch-size", "4", "--no-summary", "--validation-split", "0.25", "--seed", "5"};
        CliTest.Run r = lote(concat(new String[] {"train", data.toString(), "--epochs", "4", "-o", whole.toString(),
                "--checkpoint", ck.toString(), "--keep-checkpoints", "4"}, common));
        assertEquals(0, r.code(), r.err());
        // what a kill after epoch 2 leaves behind is ck/epoch-002.lote; resume it
        Path resumed = dir.resolve("resumed.lote");
        r = lote("train", "--resume", ck.resolve("epoch-002.lote").toString(), "-o", resumed.toString(), "--no-summary");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("at epoch 3 of 4"), r.out());
        var a = ModelFile.load(whole).info().training().history();
        var b = ModelFile.load(resumed).info().training().history();
        assertEquals(4, b.get("loss").size());
        assertEquals(a.get("loss").get(3), b.get("loss").get(3), 1e-5);
        assertEquals(a.get("val_loss").get(3), b.get("val_loss").get(3), 1e-5);
        assertTrue(Files.exists(ck.resolve("best.lote")));
        var info = ModelFile.load(whole).info();
        assertEquals(6, info.training().validationFiles().size());
        assertEquals(18, info.training().trainFiles().size());
        assertEquals(4, info.training().epochsDone());
        assertEquals(64, info.training().dataFingerprint().length());
    }

    @Test
    void theDefaultRecipeGivesTheSameValidationCurveWhateverTheNumberOfWorkers() throws Exception {
        List<List<Double>> curves = new java.util.ArrayList<>();
        for (String workers : List.of("1", "3")) {
            Path out = dir.resolve("workers" + workers + ".lote");
            CliTest.Run r = lote("train", data.toString(), "--epochs", "2", "--batch-size", "6", "--workers", workers,
                    "--no-summary", "-o", out.toString());
            assertEquals(0, r.code(), r.err());
            var info = ModelFile.load(out).info();
            assertEquals("small-cnn", info.training().recipe().model());
            assertEquals("color,crop,flip,rotate", info.training().recipe().augmentation().label());
            curves.add(info.training().history().get("val_loss"));
        }
        assertEquals(curves.get(0), curves.get(1));
    }

    /** The default recipe must validate well above chance on a small learnable set (batch-norm statistics settle). */
    @Test
    void theDefaultRecipeGeneralizesOnASmallSet() throws Exception {
        Path small = Images.sampleFolder(dir.resolve("small"), 4, 20, 48, 64);
        Path out = dir.resolve("small.lote");
        CliTest.Run r = lote("train", small.toString(), "--epochs", "15", "--batch-size", "8", "--early-stopping", "off",
                "--no-summary", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        List<Double> val = ModelFile.load(out).info().training().history().get("val_accuracy");
        assertTrue(val.get(val.size() - 1) >= 0.6, "chance is 0.25; val_accuracy per epoch " + val);
    }

    /** The sample set's images relabelled by a CSV (class folders ignored), trained, resumed without --labels, evaluated on its test rows. */
    @Test
    void labelsFromACsvTrainResumeAndEvaluate() throws Exception {
        StringBuilder rows = new StringBuilder("file,label,split\n");
        try (var files = Files.walk(data)) {
            int[] i = {0};
            files.filter(Files::isRegularFile).sorted().forEach(f -> {
                String cls = f.getParent().getFileName().toString(), split = i[0]++ % 4 == 0 ? "test" : i[0] % 4 == 2 ? "val" : "train";
                rows.append(data.relativize(f)).append(",class ").append(cls).append(',').append(split).append('\n');
            });
        }
        rows.append("0/missing.jpg,class 0,train\n");
        Path csv = Files.writeString(dir.resolve("relabelled.csv"), rows), ck = dir.resolve("csv-ck");
        CliTest.Run r = lote("train", data.toString(), "--labels", csv.toString(), "--epochs", "2", "--batch-size", "4", "--no-summary",
                "--no-report", "--checkpoint", ck.toString(), "-o", dir.resolve("csv.lote").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains(csv + ": 1 problem (those rows and images are left out): line 26: 0/missing.jpg: no such file in "), r.err());
        assertTrue(r.out().contains("Using 6 validation images from " + csv + "'s split column"), r.out());
        var info = ModelFile.load(dir.resolve("csv.lote")).info();
        assertEquals(List.of("class 0", "class 1", "class 2"), info.classes());
        r = lote("train", "--resume", ck.resolve("epoch-001.lote").toString(), "-o", dir.resolve("csv-resumed.lote").toString(), "--no-summary", "--no-report");
        assertEquals(0, r.code(), r.err());
        assertEquals(info.training().history().get("loss").get(1), ModelFile.load(dir.resolve("csv-resumed.lote")).info().training()
                .history().get("loss").get(1), 1e-5, "the resumed run reads the recorded labels file");
        r = lote("report", dir.resolve("csv.lote").toString(), "--out", dir.resolve("csv-report.html").toString());
        assertEquals(0, r.code(), r.err());
        String page = Files.readString(dir.resolve("csv-report.html"));
        assertTrue(page.contains("On the run&#39;s 6 validation images:"), "the labels file's classes: " + page.replaceAll("(?s).*?(On the[^<]*|Not evaluated[^<]*).*", "$1"));
        r = lote("report", dir.resolve("csv.lote").toString(), "--data", data.toString(), "--labels", csv.toString(), "--out",
                dir.resolve("csv-test.html").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(dir.resolve("csv-test.html")).contains("On the test images of " + csv + ":"), "its test rows");
        r = lote("evaluate", dir.resolve("csv.lote").toString(), data.toString(), "--labels", csv.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("6 images: "), r.out());
        assertTrue(r.err().contains("Evaluating the 6 test rows of " + csv), r.err());

        r = lote("train", data.toString(), "--labels", csv.toString(), "--strict", "--epochs", "1", "--no-summary", "--no-report");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("lote: " + csv + ": 1 problem (--strict stops here): line 26"), r.err());
    }

    @Test
    void severalLabelsPerImageTrainEvaluatePredictAndServeAsLabelSets() throws Exception {
        Path tagged = dir.resolve("tagged");
        CliTest.Run r = lote("sample-data", tagged.toString(), "--multi-label", "160", "--classes", "3", "--size", "32x32", "--seed", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(tagged.resolve("labels.csv")).contains(";"), "some rows have several labels");
        Path model = dir.resolve("tagged.lote"), csv = tagged.resolve("labels.csv");
        r = lote("train", tagged.toString(), "--labels", csv.toString(), "--epochs", "3", "--batch-size", "16", "--no-summary", "--no-report",
                "-o", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*Thresholds chosen on \\d+ validation images \\(best F1 per class\\): 0 [0-9.]+, 1 [0-9.]+, 2 [0-9.]+\n.*"), r.out());
        assertEquals(3, ModelFile.load(model).info().thresholds().size(), "the thresholds are in the model file");
        r = lote("evaluate", model.toString(), tagged.toString(), "--labels", csv.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s)\\d+ images: micro F1 [0-9.]+ \\(precision [0-9.]+, recall [0-9.]+\\), macro F1 [0-9.]+, mAP [0-9.]+, exact match.*"), r.out());
        assertTrue(r.out().contains("class  threshold  precision     recall      f1      AP  support"), r.out());
        r = lote("evaluate", model.toString(), tagged.toString(), "--labels", csv.toString(), "--format", "json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"micro_f1\"") && r.out().contains("\"average_precision\""), r.out());
        r = lote("predict", model.toString(), tagged.resolve("images/00000.jpg").toString(), "--format", "json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"labels\" : ["), r.out());
        r = lote("train", tagged.toString(), "--labels", csv.toString(), "--backbone", model.toString(), "--cut", "global_average_pooling2d",
                "--head-epochs", "3", "--epochs", "1", "--batch-size", "16", "--no-summary", "--no-report", "-o", dir.resolve("tagged-ft.lote").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("phase 1 trains a new head") && r.out().contains("Thresholds chosen on"), "fine-tuning too: " + r.out());
        assertEquals(3, ModelFile.load(dir.resolve("tagged-ft.lote")).info().thresholds().size());
        r = lote("evaluate", model.toString(), tagged.toString(), "--labels", csv.toString(), "--suspects", "5");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("lote: --folds, --suspects and --unknown-below are for a model that answers one class per image"), r.err());
        r = lote("train", tagged.toString(), "--labels", csv.toString(), "--class-weight", "balanced", "--epochs", "1", "--no-summary", "--no-report");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("lote: Class weights are for one label per image"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void predictExplainDrawsWhatTheModelLookedAt() throws Exception {
        Path model = trained("eval.lote"), a = data.resolve("0/0_0.jpg"), b = data.resolve("1/1_0.jpg"), png = dir.resolve("why.png");
        CliTest.Run r = lote("predict", model.toString(), a.toString(), "--explain", png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("lote: " + a + ": what the model looked at for "), r.err());
        var drawn = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(256, Math.min(drawn.getWidth(), drawn.getHeight()), "a 24x32 input drawn large enough to see");
        r = lote("predict", model.toString(), a.toString(), b.toString(), "--explain", dir.resolve("why").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(dir.resolve("why/0_0.png")) && Files.exists(dir.resolve("why/1_0.png")));
        assertEquals(2, lote("predict", model.toString(), a.toString(), "--layer", "x").code(), "--layer without --explain");
        r = lote("predict", model.toString(), a.toString(), "--explain", png.toString(), "--layer", "nope");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("has no layer 'nope'"), r.err());
    }

    @Test
    void evaluateListsSuspectLabelsInSampleWithANoteAndOutOfFold() {
        Path model = trained("eval.lote");
        CliTest.Run r = lote("evaluate", model.toString(), data.toString(), "--suspects", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\nSuspect labels ("), r.out());
        assertTrue(r.err().matches("(?s).*lote: note: \\d+ of these images trained the model.*--folds 5 gives out-of-fold ones.*"), r.err());
        r = lote("evaluate", model.toString(), data.toString(), "--suspects", "3", "--folds", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("Out of fold: training 2 models by " + model + "'s recipe (small-cnn, 2 epochs)") && r.err().contains("Fold 2/2: trained on 12 images"), r.err());
        assertTrue(r.out().startsWith("24 images: ") && r.out().contains(", out of fold; the least likely label first)"), r.out());
        assertEquals(2, lote("evaluate", model.toString(), data.toString(), "--folds", "1").code());
    }

    /** A re-encoded copy of a training image filed under another class in val/: identical bytes elsewhere, and the near copy. */
    @Test
    void inspectFindsNearDuplicatesAndNamesWhatTheyCross() throws Exception {
        Path set = dir.resolve("dups");
        Images.sampleFolder(set.resolve("train"), 2, 5, 48, 64);
        Images.sampleFolder(set.resolve("val"), 2, 1, 48, 64);
        Files.delete(set.resolve("val/1").toFile().listFiles()[0].toPath());
        Path original = set.resolve("train/0").toFile().listFiles()[0].toPath();
        Path copy = Images.resizedCopy(original, set.resolve("val/1/copy.jpg"), 1.0);
        Files.copy(original, set.resolve("train/1/same.jpg"));
        CliTest.Run r = lote("inspect", set.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains(original + " = " + set.resolve("train/1/same.jpg") + "  [contradictory labels: 0, 1]"), r.out());
        assertTrue(!r.out().contains("Near-duplicates"), "only with --duplicates");
        r = lote("inspect", set.toString(), "--duplicates");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("Near-duplicates (1 groups; cosine similarity of 32x32 colours (whole, centre 90 % and 80 %) at least 0.988):"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains(original.toString()) && l.contains(copy.toString())
                && l.endsWith("[contradictory labels: 0, 1; leaks across train and val]")), r.out());
        r = lote("inspect", set.toString(), "--duplicates", "--model", trained("eval.lote").toString(), "--similarity", "0.999", "--format", "json");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.out().contains("\"nearDuplicates\"") && r.out().contains(copy.toString()), r.out());
        assertEquals(2, lote("inspect", set.toString(), "--duplicates", "--similarity", "1.5").code());
        assertEquals(2, lote("inspect", set.toString(), "--model", "m.lote").code(), "--model without --duplicates");
    }

    /** 24 images of one class, 4 of the other: a warning, then Keras' class weights and a balanced sampler as flags. */
    @Test
    void anImbalancedSetIsNamedAndCounteredByClassWeightsOrTheSampler() throws Exception {
        Path skewed = Images.sampleFolder(dir.resolve("skewed"), 2, 24, 24, 32);
        try (var files = Files.list(skewed.resolve("1"))) {
            files.sorted().skip(4).forEach(f -> f.toFile().delete());
        }
        String[] common = {"--epochs", "1", "--batch-size", "4", "--no-summary", "--no-report", "--validation-split", "0"};
        CliTest.Run r = lote(concat(new String[] {"train", skewed.toString(), "-o", dir.resolve("skewed.lote").toString()}, common));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("lote: warning: the classes are imbalanced: '0' has 24 training images, '1' 4; --class-weight balanced"), r.err());

        Path weighted = dir.resolve("weighted.lote");
        r = lote(concat(new String[] {"train", skewed.toString(), "-o", weighted.toString(), "--class-weight", "balanced", "--sampler", "balanced"}, common));
        assertEquals(0, r.code(), r.err());
        assertTrue(!r.err().contains("imbalanced"), "countered: no warning; " + r.err());
        var recipe = ModelFile.load(weighted).info().training().recipe();
        assertEquals(dev.lote.train.ClassWeight.BALANCED, recipe.classWeight());
        assertEquals(dev.lote.train.Recipe.Sampler.BALANCED, recipe.sampler());
        assertTrue(lote("evaluate", weighted.toString(), skewed.toString()).out().contains("balanced accuracy"));

        Path file = Files.writeString(dir.resolve("weights.csv"), "class,weight\n1,6\n");
        r = lote(concat(new String[] {"train", skewed.toString(), "-o", dir.resolve("fromfile.lote").toString(), "--class-weight", file.toString()}, common));
        assertEquals(0, r.code(), r.err());
        assertEquals("1 6.0", ModelFile.load(dir.resolve("fromfile.lote")).info().training().recipe().classWeight().label(),
                "the file's weights are kept in the model, so a resumed run weighs the same");

        r = lote(concat(new String[] {"train", skewed.toString(), "--sampler", "weighted"}, common));
        assertEquals(2, r.code());
        assertEquals("lote: Unknown sampler 'weighted'. Expected shuffle or balanced.", r.err().strip());
        r = lote(concat(new String[] {"train", skewed.toString(), "--class-weight", dir.resolve("nope.csv").toString()}, common));
        assertEquals(2, r.code());
        assertTrue(r.err().strip().startsWith("lote: No class-weight file " + dir.resolve("nope.csv")), r.err());
        Path wrong = Files.writeString(dir.resolve("wrong.csv"), "cat,2\n");
        r = lote(concat(new String[] {"train", skewed.toString(), "--class-weight", wrong.toString()}, common));
        assertEquals(2, r.code());
        assertEquals("lote: The class weights name 'cat', not a class here (the classes: 0, 1).", r.err().strip());
    }

    @Test
    void evaluateReportsMetricsConfusionAndHardestFiles() {
        Path model = trained("eval.lote");
        CliTest.Run r = lote("evaluate", model.toString(), data.toString(), "--worst", "3", "--top-k", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s)24 images: loss \\d+\\.\\d{4}, accuracy \\d\\.\\d{4}, balanced accuracy \\d\\.\\d{4}, top-2 accuracy \\d\\.\\d{4}.*"), r.out());
        assertTrue(r.out().contains("Confusion matrix (rows: true class, columns: predicted)"), r.out());
        assertTrue(r.out().contains("Highest loss"), r.out());
        assertEquals(3, r.out().lines().filter(l -> l.contains(", loss ") && l.contains("true ")).count(), r.out());
        r = lote("evaluate", model.toString(), data.toString(), "--tta", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("24 images: "), r.out());
        r = lote("predict", model.toString(), data.resolve("0").toString(), "--tta", "9");
        assertEquals(2, r.code());
        assertEquals("lote: Test-time augmentation takes 1 to 7 views, got 9.", r.err().strip());
        r = lote("evaluate", model.toString(), data.toString(), "--json");
        assertTrue(r.out().contains("\"confusion\"") && r.out().contains("\"balancedAccuracy\""), r.out());
        assertEquals(r.out(), lote("evaluate", model.toString(), data.toString(), "--format", "json").out(), "--json is --format json");
        r = lote("evaluate", model.toString(), data.toString(), "--csv");
        assertEquals("class,precision,recall,f1,support", r.out().lines().findFirst().orElse(""));
        assertEquals(4, r.out().lines().count());
    }

    @Test
    void evaluateOnOtherClassesListsTheDifferences() throws Exception {
        Path model = trained("eval2.lote");
        Path other = Images.sampleFolder(dir.resolve("other"), 2, 2, 24, 32);
        Images.write(other.resolve("cats/x.png"), 24, 32, 0, "png");
        CliTest.Run r = lote("evaluate", model.toString(), other.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("missing [2]") && r.err().contains("unexpected [cats]"), r.err());
    }

    @Test
    void embedWritesOneRowPerImageWithItsClassAndSkipsABadOneByName() throws Exception {
        Path model = trained("embed.lote"), out = dir.resolve("embeddings.csv");
        Path folder = Files.createDirectories(dir.resolve("mixed"));
        Files.copy(data.resolve("0/0_0.jpg"), folder.resolve("a.jpg"));
        Files.copy(data.resolve("1/1_0.jpg"), folder.resolve("b.jpg"));
        Files.writeString(folder.resolve("c.jpg"), "nope");
        CliTest.Run r = lote("embed", model.toString(), folder.toString(), "-o", out.toString(), "--batch-size", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Wrote 2 embeddings of "), r.out());
        assertTrue(r.out().contains("skipped " + folder.resolve("c.jpg")), r.out());
        List<String> rows = Files.readAllLines(out);
        assertEquals(3, rows.size(), rows.toString());
        int width = rows.get(0).split(",").length - 2;
        assertTrue(rows.get(0).startsWith("file,class,f0,") && width > 1, rows.get(0));
        assertTrue(rows.get(1).startsWith(folder.resolve("a.jpg") + ",,") && rows.get(1).split(",").length == width + 2, rows.get(1));
        r = lote("embed", model.toString(), data.toString(), "-o", out.toString());
        assertEquals(24, Files.readAllLines(out).stream().skip(1).filter(l -> l.split(",")[1].matches("[012]")).count(), "class folders give the class");
        r = lote("embed", "--backbone", model.toString(), "--cut", "global_average_pooling2d", folder.toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(rows, Files.readAllLines(out), "a model file cut at its pooling as a backbone: the same features");
        r = lote("embed", model.toString());
        assertEquals(2, r.code());
        assertEquals("lote: Give a MODEL and a DIR, or --backbone NAME and a DIR.", r.err().strip());
    }

    @Test
    void lrFindWritesItsCurveAndTrainAutoTrainsAtTheSuggestedRate() throws Exception {
        Path plot = dir.resolve("lr.html"), out = dir.resolve("auto.lote");
        CliTest.Run r = lote("lr-find", data.toString(), "--batch-size", "6", "--steps", "30", "--plot", plot.toString());
        assertEquals(0, r.code(), r.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Suggested learning rate: (\\S+) ").matcher(r.out());
        assertTrue(m.find(), r.out());
        double suggested = Double.parseDouble(m.group(1));
        assertTrue(suggested > 1e-7 && suggested < 10, r.out());
        String page = Files.readString(plot);
        assertTrue(page.contains("<polyline class=\"loss\"") && page.contains("class=\"suggested\""), page);
        r = lote("train", data.toString(), "--learning-rate", "auto", "--batch-size", "6", "--epochs", "1", "--no-summary", "--no-report",
                "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        m = java.util.regex.Pattern.compile("Learning-rate finder: (\\S+) ").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertEquals(Double.parseDouble(m.group(1)), ModelFile.load(out).info().training().recipe().learningRate(), 0.01 * suggested + 1e-12);
        for (String[] bad : List.of(new String[] {"train", data.toString(), "--learning-rate", "fast"},
                new String[] {"lr-find", data.toString(), "--start-lr", "1", "--end-lr", "0.1"}, new String[] {"lr-find", data.toString(), "--steps", "3"})) {
            r = lote(bad);
            assertEquals(2, r.code(), String.join(" ", bad) + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
        }
    }

    @Test
    void predictGivesTopKPerImageAndAnErrorLineForABadOne() throws Exception {
        Path model = trained("predict.lote");
        Path bad = Files.writeString(dir.resolve("bad.jpg"), "nope");
        CliTest.Run r = lote("predict", model.toString(), data.resolve("0").toString(), bad.toString(), "--top-k", "2");
        assertEquals(3, r.code());
        assertEquals(8, r.out().lines().count(), r.out());
        assertTrue(r.out().lines().allMatch(l -> l.matches(".*\\.jpg   \\d \\d\\.\\d{3} \\d \\d\\.\\d{3}")), r.out());
        assertEquals("lote: cannot classify " + bad + ": not an image this decoder knows", r.err().strip());
        r = lote("predict", model.toString(), data.resolve("1/1_0.jpg").toString(), "--format", "json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"predictions\"") && r.out().contains("\"class\""), r.out()); // as serve's /predict
        r = lote("predict", dir.resolve("missing.lote").toString(), data.resolve("1/1_0.jpg").toString());
        assertEquals(3, r.code());
        assertTrue(r.err().contains("missing.lote: no such file"), r.err());
    }

    @Test
    void bf16TrainsEvaluatesAndExplainsAndPredictsAsFloat32Does() throws Exception {
        CliTest.Run r = lote("predict", dir.resolve("any.lote").toString(), "x.jpg", "--precision", "fp16");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("Unknown precision 'fp16'. Expected float32 or bf16."), r.err());
        String why = dev.lote.torch.Precision.unsupported(dev.lote.torch.Precision.BF16);
        org.junit.jupiter.api.Assumptions.assumeTrue(why == null, "skipped: " + why);
        try {
            Path model = dir.resolve("bf16.lote");
            r = lote("train", data.toString(), "--epochs", "2", "--batch-size", "4", "--no-summary", "--no-report", "--precision", "bf16",
                    "-o", model.toString());
            assertEquals(0, r.code(), r.err());
            List<String> exact = lote("predict", model.toString(), data.resolve("0").toString(), "--top-k", "1").out().lines().toList();
            List<String> fast = lote("predict", model.toString(), data.resolve("0").toString(), "--top-k", "1", "--precision", "bf16").out().lines().toList();
            assertEquals(8, exact.size(), String.join("\n", exact));
            for (int i = 0; i < exact.size(); i++) { // "path   class probability"
                String[] a = exact.get(i).trim().split("\\s+"), b = fast.get(i).trim().split("\\s+");
                assertEquals(a[0], b[0]);
                assertEquals(Double.parseDouble(a[2]), Double.parseDouble(b[2]), 0.03, exact.get(i) + " | " + fast.get(i));
            }
            r = lote("evaluate", model.toString(), data.toString(), "--precision", "bf16");
            assertEquals(0, r.code(), r.err());
            Path png = dir.resolve("bf16-why.png");
            r = lote("predict", model.toString(), data.resolve("1/1_0.jpg").toString(), "--explain", png.toString(), "--precision", "bf16");
            assertEquals(0, r.code(), r.err());
            assertTrue(Files.size(png) > 0);
        } finally {
            dev.lote.torch.Engine.start(dev.lote.torch.Engine.options().precision(dev.lote.torch.Precision.FLOAT32));
        }
    }

    @Test
    void calibrateStoresATemperatureThatPredictAndEvaluateUse() throws Exception {
        Path model = trained("calibrate.lote"), calibrated = dir.resolve("calibrated.lote");
        CliTest.Run r = lote("calibrate", model.toString(), "-o", calibrated.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s)Temperature \\d+\\.\\d{3} fitted on 6 images: expected calibration error \\d\\.\\d{4} -> \\d\\.\\d{4}.*"),
                "the run's validation split: 6 of 24 images (2 per class). " + r.out());
        var c = ModelFile.load(calibrated).info().calibration();
        assertTrue(c.eceAfter() <= c.eceBefore() + 1e-9 && c.nllAfter() <= c.nllBefore() + 1e-9, c.toString());
        assertEquals(null, ModelFile.load(model).info().calibration(), "-o leaves the original as it was");
        r = lote("calibrate", model.toString(), data.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("fitted on 24 images"), r.out());
        assertTrue(lote("evaluate", model.toString(), data.toString()).out().contains("calibrated at temperature"));

        r = lote("predict", model.toString(), data.resolve("0").toString(), "--unknown-below", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().lines().allMatch(l -> l.contains(" unknown, best:")), r.out());
        r = lote("predict", model.toString(), data.resolve("0").toString(), "--unknown-below", "0", "--format", "csv");
        assertTrue(r.out().startsWith("file,rank,class,probability,answer") && !r.out().contains(",unknown"), r.out());
        r = lote("evaluate", model.toString(), data.toString(), "--unknown-below", "1");
        assertTrue(r.out().contains("\"unknown\": 0 of 24 images answered"), r.out());

        r = lote("predict", model.toString(), data.resolve("0").toString(), "--unknown-below", "1.5");
        assertEquals(2, r.code());
        assertEquals("lote: --unknown-below is a probability from 0 to 1, got 1.5. (see 'lote predict --help')", r.err().strip());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        r = lote("calibrate", calibrated.toString(), empty.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().strip().lines().count() == 1 && r.err().contains(empty.toString()), r.err());
        assertEquals(c, ModelFile.load(calibrated).info().calibration(), "a failed calibration leaves the model as it was");
    }

    @Test
    void reportEvaluatesOnAFolderAndWritesWhereAsked() throws Exception {
        Path model = trained("report.lote");
        assertTrue(Files.isRegularFile(dir.resolve("report-report.html")), "train writes the report beside the model");
        Path out = Files.createDirectories(dir.resolve("reports"));
        CliTest.Run r = lote("report", model.toString(), "--out", out.toString(), "--data", data.toString());
        assertEquals(0, r.code(), r.err());
        String html = Files.readString(out.resolve("report-report.html"));
        assertTrue(html.contains("On the images in " + data + ":"), "evaluated on the folder asked for");
        assertEquals(9, html.split("<rect class=\"cell\"", -1).length - 1, "3 classes: a 3x3 heat map");
        assertTrue(html.contains("what the model looked at for its prediction (Grad-CAM") && html.contains("src=\"data:image/png;base64,"),
                "the hardest images are drawn with their Grad-CAM");
        r = lote("report", dir.resolve("missing.lote").toString());
        assertEquals(3, r.code());
        assertTrue(r.err().contains("missing.lote: no such file"), r.err());
        r = lote("serve", model.toString(), "--port", "70000");
        assertEquals(2, r.code());
        assertEquals("lote: --port must be 0 to 65535, got 70000. (see 'lote serve --help')", r.err().strip());
    }

    private static Path trained(String name) {
        Path model = dir.resolve(name);
        if (!Files.exists(model)) {
            CliTest.Run r = lote("train", data.toString(), "--epochs", "2", "--batch-size", "4", "--no-summary", "-o", model.toString());
            assertEquals(0, r.code(), r.err());
        }
        return model;
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

}
