package dev.lote.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lote.data.BatchSequence;
import dev.lote.eval.Evaluation;
import dev.lote.nn.Activation;
import dev.lote.nn.Adam;
import dev.lote.nn.Dense;
import dev.lote.nn.Layer;
import dev.lote.nn.Sequential;
import dev.lote.nn.Shape;
import dev.lote.torch.Network;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Imbalanced classes: Keras' class weights on the loss, a balanced sampler, and balanced accuracy. */
class ClassBalanceTest {
    @TempDir Path dir;

    private static Network linear(int inputs, int classes) {
        return Network.build(new Sequential("linear", new Shape(inputs), List.<Layer>of(new Dense(classes).activation(Activation.SOFTMAX))), 3);
    }

    @Test
    void theWeightedLossIsKerasSumOfWeightedLossesOverTheBatchSize() {
        float[] x = {0.1f, -0.4f, 0.9f, 1.2f, 0.3f, -0.7f, -0.2f, 0.5f, 0.05f, 0.8f, -1.1f, 0.6f};
        int[] y = {0, 1, 1, 2};
        float[] w = {1f, 3f, 0.5f};
        try (Network net = linear(3, 3).optimizer(new Adam(1e-3))) {
            double[] each = new double[4];
            for (int i = 0; i < 4; i++) each[i] = net.test(java.util.Arrays.copyOfRange(x, 3 * i, 3 * i + 3), new int[] {y[i]}).lossSum();
            double expected = 0, plain = 0;
            for (int i = 0; i < 4; i++) {
                expected += w[y[i]] * each[i] / 4; // Keras: sum over the batch of w·loss, divided by the batch size
                plain += each[i];
            }
            net.classWeights(w);
            assertEquals(plain, net.test(x, y).lossSum(), 1e-5, "evaluation stays unweighted, as Keras' evaluate");
            assertEquals(expected, net.trainStep(x, y).lossSum() / 4, 1e-6);
            assertThrows(IllegalArgumentException.class, () -> net.classWeights(new float[] {1, 2}));
        }
    }

    /** Two overlapping clouds of 2-D points, 9 to 1: unweighted, the rare class is mostly predicted as the common one. */
    @Test
    void balancedWeightsRaiseTheRareClassesRecall() {
        Random r = new Random(5);
        int common = 450, rare = 50;
        float[] x = new float[2 * (common + rare)], rareOnly = new float[2 * rare];
        int[] y = new int[common + rare];
        for (int i = 0; i < common + rare; i++) {
            boolean isRare = i >= common;
            x[2 * i] = (float) (r.nextGaussian() + (isRare ? 1.2 : 0));
            x[2 * i + 1] = (float) (r.nextGaussian() + (isRare ? 1.2 : 0));
            y[i] = isRare ? 1 : 0;
        }
        System.arraycopy(x, 2 * common, rareOnly, 0, 2 * rare);
        float[] weights = ClassWeight.BALANCED.resolve(List.of("common", "rare"), y);
        assertArrayEquals(new float[] {500f / (2 * 450), 500f / (2 * 50)}, weights, 1e-6f);
        double[] recall = new double[2];
        for (int weighted = 0; weighted < 2; weighted++) {
            try (Network net = linear(2, 2).optimizer(new Adam(0.05)).classWeights(weighted == 1 ? weights : null)) {
                for (int step = 0; step < 300; step++) net.trainStep(x, y);
                int[] rareLabels = new int[rare];
                java.util.Arrays.fill(rareLabels, 1);
                recall[weighted] = net.test(rareOnly, rareLabels).correct() / (double) rare;
            }
        }
        assertTrue(recall[0] < 0.35 && recall[1] > recall[0] + 0.3, "the rare class's recall without and with weights: "
                + recall[0] + ", " + recall[1]);
    }

    @Test
    void theBalancedSamplerDrawsEveryClassEquallyOftenAndRepeatsItsDraw() {
        List<Path> files = new ArrayList<>();
        int[] labels = new int[1000];
        for (int i = 0; i < labels.length; i++) {
            files.add(Path.of("img-" + i + ".jpg"));
            labels[i] = i < 900 ? 0 : i < 980 ? 1 : 2; // 900 : 80 : 20
        }
        BatchSequence plain = new BatchSequence(files, labels, 10, Shape.image(8, 8, 3)).seed(4);
        BatchSequence balanced = plain.balancedSampling(true);
        int[] counts = new int[3];
        java.util.Set<Path> seen = new java.util.HashSet<>();
        for (int b = 0; b < balanced.size(); b++) {
            for (Path f : balanced.forEpoch(0).filesOf(b)) {
                counts[labels[files.indexOf(f)]]++;
                seen.add(f);
            }
        }
        for (int c = 0; c < 3; c++) assertTrue(counts[c] > 280 && counts[c] < 390, "images drawn per class: " + java.util.Arrays.toString(counts));
        assertTrue(seen.containsAll(files.subList(980, 1000)), "every image of the rarest class is drawn");
        assertEquals(balanced.forEpoch(3).filesOf(7), balanced.forEpoch(3).filesOf(7), "the draw depends only on seed and epoch");
        assertFalse(balanced.forEpoch(3).filesOf(7).equals(balanced.forEpoch(4).filesOf(7)));
        java.util.Set<Path> once = new java.util.HashSet<>();
        for (int b = 0; b < plain.size(); b++) once.addAll(plain.forEpoch(0).filesOf(b));
        assertEquals(1000, once.size(), "the shuffle still takes every image once");
    }

    @Test
    void classWeightsAreReadFromCsvOrJsonAndNamedErrorsSayWhere() throws Exception {
        Path csv = Files.writeString(dir.resolve("w.csv"), "class,weight\n# the rare one counts more\ncat, 1\ndog,4.5\n");
        assertArrayEquals(new float[] {1, 4.5f, 1}, ClassWeight.parse(csv.toString()).resolve(List.of("cat", "dog", "owl"), new int[] {0, 1, 2}));
        Path json = Files.writeString(dir.resolve("w.json"), "{\"dog\": 2}");
        assertArrayEquals(new float[] {1, 2}, ClassWeight.parse(json.toString()).resolve(List.of("cat", "dog"), new int[] {0, 1}));
        assertEquals(null, ClassWeight.parse("none"));
        assertEquals(ClassWeight.BALANCED, ClassWeight.parse("Balanced"));

        Path bad = Files.writeString(dir.resolve("bad.csv"), "cat,1\ndog,lots\n");
        var e = assertThrows(IllegalArgumentException.class, () -> ClassWeight.parse(bad.toString()));
        assertEquals(bad + " line 2: 'lots' is not a weight.", e.getMessage());
        Path twice = Files.writeString(dir.resolve("twice.csv"), "cat,1\ncat,2\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ClassWeight.parse(twice.toString())).getMessage()
                .contains("line 2: class 'cat' is given twice"));
        Path negative = Files.writeString(dir.resolve("neg.json"), "{\"cat\": -1}");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ClassWeight.parse(negative.toString())).getMessage()
                .startsWith(negative + ": The weight of class 'cat' must be a number 0 or more"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ClassWeight.parse(dir.resolve("nope.csv").toString()))
                .getMessage().startsWith("No class-weight file " + dir.resolve("nope.csv")));
        var unknown = assertThrows(IllegalArgumentException.class, () -> ClassWeight.parse(csv.toString()).resolve(List.of("cat", "cow"), new int[] {0}));
        assertEquals("The class weights name 'dog', not a class here (the classes: cat, cow).", unknown.getMessage());
    }

    @Test
    void theRecipeRecordsWeightsAndSamplerAndReadsThemBack() throws Exception {
        ObjectMapper json = new ObjectMapper().disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES); // as model files
        for (ClassWeight w : List.of(ClassWeight.BALANCED, ClassWeight.of(Map.of("cat", 2.0)))) {
            Recipe r = Recipe.defaults().withClassWeight(w).withSampler(Recipe.Sampler.BALANCED);
            Recipe back = json.readValue(json.writeValueAsString(r), Recipe.class);
            assertEquals(r, back);
            assertEquals("balanced", back.describe().get("sampler"));
        }
        assertTrue(json.writeValueAsString(Recipe.defaults().withClassWeight(ClassWeight.BALANCED)).contains("\"class_weight\":\"balanced\""));
        Recipe old = json.readValue(json.writeValueAsString(Recipe.defaults()).replace(",\"sampler\":\"shuffle\"", ""), Recipe.class);
        assertEquals(Recipe.Sampler.SHUFFLE, old.sampler(), "a recipe recorded before samplers shuffles");
        assertThrows(IllegalArgumentException.class, () -> Recipe.Sampler.parse("weighted"));
    }

    @Test
    void balancedAccuracyIsTheMeanOfTheClassesRecalls() {
        List<Evaluation.Sample> samples = new ArrayList<>();
        for (int i = 0; i < 8; i++) samples.add(new Evaluation.Sample("c" + i, 0, new float[] {0.9f, 0.1f, 0f}));
        for (int i = 0; i < 2; i++) samples.add(new Evaluation.Sample("r" + i, 1, new float[] {0.6f, 0.4f, 0f}));
        Evaluation e = Evaluation.of(List.of("common", "rare", "absent"), samples, 1, 0, List.of());
        assertEquals(0.8, e.accuracy(), 1e-12);
        assertEquals(0.5, e.balancedAccuracy(), 1e-12, "an absent class does not count");
    }
}
