package dev.lote.transfer;

import dev.lote.data.Batch;
import dev.lote.data.BatchSequence;
import dev.lote.data.Loader;
import dev.lote.nn.Adam;
import dev.lote.nn.Model;
import dev.lote.torch.Network;
import dev.lote.train.History;
import dev.lote.train.Logs;
import dev.lote.train.Recipe;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Fine-tuning's phase 1: the frozen backbone's features of every image are computed once (of each training image
 * under several augmented views), then the head alone trains on them for a few epochs, in seconds (fastai's
 * {@code fine_tune} and Keras' transfer-learning guide start so). The epoch with the lowest validation loss (or
 * training loss without validation) is kept.
 */
public final class HeadTraining {
    private HeadTraining() {}

    /** Feature vectors of a sequence's images, with their labels (bad files left out). */
    public record Features(float[][] rows, int[] labels) {
        int width() { return rows.length == 0 ? 0 : rows[0].length; }

        /** These rows, then {@code more}'s. */
        Features and(Features more) {
            float[][] r = java.util.Arrays.copyOf(rows, rows.length + more.rows.length);
            System.arraycopy(more.rows, 0, r, rows.length, more.rows.length);
            int[] l = java.util.Arrays.copyOf(labels, labels.length + more.labels.length);
            System.arraycopy(more.labels, 0, l, labels.length, more.labels.length);
            return new Features(r, l);
        }
    }

    public static Features features(Network pooled, BatchSequence images, int workers) {
        List<float[]> rows = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        try (Loader loader = new Loader(images, workers, 2)) {
            while (loader.hasNext()) {
                Batch b = loader.next();
                if (b.size() == 0) continue;
                for (float[] r : pooled.outputs(b)) rows.add(r);
                for (int i = 0; i < b.size(); i++) labels.add(b.labels()[i]);
            }
        }
        return new Features(rows.toArray(float[][]::new), labels.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The head's weights after phase 1, and the per-feature mean and variance its Normalization layer uses. */
    public record Head(Map<String, float[]> weights, double[] mean, double[] variance) {}

    /**
     * Trains the head and returns its best weights; the chosen run's epochs go into {@code history} as Keras' logs. The
     * head standardises the features first (a Normalization layer with the training set's statistics), which Adam
     * converges on several times faster; the layer stays in the classifier, so phase 2 computes exactly what phase 1
     * trained. With validation features, the penalty is chosen on them: the head trains once per weight decay in
     * {@link #WEIGHT_DECAYS} (and the recipe's), in seconds, and the lowest validation loss wins.
     */
    public static Head train(Features train, Features validation, int classes, Recipe recipe, float[] classWeights,
                             float[][] labelSets, History history, PrintStream out) {
        double[][] stats = statistics(train);
        java.util.SortedSet<Double> decays = new java.util.TreeSet<>(List.of(recipe.weightDecay()));
        if (validation.labels().length > 0) for (double d : WEIGHT_DECAYS) decays.add(d);
        Run best = null;
        StringBuilder tried = new StringBuilder();
        for (double decay : decays) {
            Run r = fit(train, validation, classes, recipe, decay, stats, classWeights, labelSets);
            tried.append(tried.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s → %.4f", decay, r.best));
            if (best == null || r.best < best.best) best = r;
        }
        if (decays.size() > 1) out.printf(Locale.ROOT, "Head: weight decay %s chosen on validation (best val_loss per weight decay: %s)%n",
                best.decay, tried);
        int epochs = recipe.fineTuning().headEpochs();
        for (int e = 0; e < best.logs.size(); e++) {
            Logs logs = best.logs.get(e);
            history.record(logs);
            if (e < 3 || (e + 1) % 5 == 0 || e == epochs - 1) out.printf(Locale.ROOT, "Head %d/%d - %.1fs - accuracy: %.4f - loss: %.4f%s%n", e + 1,
                    epochs, best.seconds.get(e), logs.require("accuracy"), logs.require("loss"), logs.has("val_loss") ? String.format(Locale.ROOT,
                            " - val_accuracy: %.4f - val_loss: %.4f", logs.require("val_accuracy"), logs.require("val_loss")) : "");
        }
        if (best.logs.size() < epochs) out.printf(Locale.ROOT, "Head: no improvement for %d epochs after epoch %d; keeping epoch %d%n",
                Recipe.HEAD_PATIENCE, best.logs.size(), best.bestEpoch + 1);
        return new Head(best.weights, stats[0], stats[1]);
    }

    /** The weight decays phase 1 tries on the head (Adam's decoupled decay, AdamW). */
    static final double[] WEIGHT_DECAYS = {0, 0.01, 0.1, 1};

    /** One head's training: its epochs' logs and seconds, and its best epoch's weights. */
    private record Run(double decay, List<Logs> logs, List<Double> seconds, Map<String, float[]> weights, int bestEpoch, double best) {}

    private static Run fit(Features train, Features validation, int classes, Recipe recipe, double decay, double[][] stats,
                           float[] classWeights, float[][] labelSets) {
        int epochs = recipe.fineTuning().headEpochs(), batchSize = recipe.batchSize(), patience = Recipe.HEAD_PATIENCE;
        Model spec = Backbone.head(train.width(), classes, Recipe.HEAD_DROPOUT, stats[0], stats[1]);
        try (Network head = Network.build(labelSets != null ? spec.sigmoidOutput() : spec, recipe.seed())
                .optimizer(new Adam(recipe.learningRate()).withWeightDecay(decay)).classWeights(classWeights).labelSmoothing(recipe.labelSmoothing())) {
            if (labelSets != null) head.labelSets(labelSets);
            SplittableRandom random = new SplittableRandom(recipe.seed());
            java.util.Random draws = new java.util.Random(recipe.seed());
            int n = train.labels().length;
            double best = Double.POSITIVE_INFINITY;
            Map<String, float[]> bestWeights = head.weightValues();
            int bestEpoch = -1;
            List<Logs> all = new ArrayList<>();
            List<Double> seconds = new ArrayList<>();
            for (int epoch = 0; epoch < epochs; epoch++) {
                long start = System.nanoTime();
                int[] order = recipe.sampler() == Recipe.Sampler.BALANCED ? BatchSequence.balancedDraw(train.labels(), draws) : shuffled(n, random);
                double loss = 0;
                int correct = 0;
                head.seedEpoch(epoch);
                for (int at = 0; at < n; at += batchSize) {
                    int m = Math.min(batchSize, n - at);
                    float[] x = new float[m * train.width()];
                    int[] y = new int[m];
                    for (int i = 0; i < m; i++) {
                        System.arraycopy(train.rows()[order[at + i]], 0, x, i * train.width(), train.width());
                        y[i] = train.labels()[order[at + i]];
                    }
                    Network.StepResult r = head.trainStep(x, y);
                    loss += r.lossSum();
                    correct += r.correct();
                }
                Logs logs = new Logs().put("accuracy", correct / (double) n).put("loss", loss / n);
                if (validation.labels().length > 0) {
                    Network.StepResult v = head.test(flat(validation), validation.labels());
                    logs.put("val_accuracy", v.correct() / (double) v.samples()).put("val_loss", v.lossSum() / v.samples());
                }
                all.add(logs);
                seconds.add((System.nanoTime() - start) / 1e9);
                double watched = logs.has("val_loss") ? logs.require("val_loss") : logs.require("loss");
                if (watched < best) {
                    best = watched;
                    bestWeights = head.weightValues();
                    bestEpoch = epoch;
                } else if (epoch - bestEpoch >= patience) break;
            }
            return new Run(decay, all, seconds, bestWeights, bestEpoch, best);
        }
    }

    /** Per feature: the training set's mean and variance (floored, as batch norm's epsilon: a ReLU that rarely fires must not be blown up). */
    private static double[][] statistics(Features f) {
        int w = f.width(), n = f.rows().length;
        double[] mean = new double[w], var = new double[w];
        for (float[] r : f.rows()) for (int j = 0; j < w; j++) mean[j] += r[j] / (double) n;
        for (float[] r : f.rows()) for (int j = 0; j < w; j++) var[j] += (r[j] - mean[j]) * (r[j] - mean[j]) / n;
        double typical = 0;
        for (double v : var) typical += v / w;
        for (int j = 0; j < w; j++) var[j] += 0.01 * typical + 1e-12;
        return new double[][] {mean, var};
    }

    private static float[] flat(Features f) {
        float[] x = new float[f.rows().length * f.width()];
        for (int i = 0; i < f.rows().length; i++) System.arraycopy(f.rows()[i], 0, x, i * f.width(), f.width());
        return x;
    }

    private static int[] shuffled(int n, SplittableRandom r) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
