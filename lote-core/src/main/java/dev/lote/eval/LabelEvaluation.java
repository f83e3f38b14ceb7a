package dev.lote.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A multi-label model measured on labelled images: per class, precision, recall and F1 at the class's threshold and
 * average precision over all thresholds (scikit-learn's {@code average_precision_score}); over the classes, micro F1
 * (every yes and no pooled), macro F1, mean average precision, and exact match (every class right). The thresholds
 * themselves are chosen by {@link #bestThresholds}.
 */
public record LabelEvaluation(@JsonProperty("images") int images,
                              @JsonProperty("classes") List<PerClass> classes,
                              @JsonProperty("micro_precision") double microPrecision,
                              @JsonProperty("micro_recall") double microRecall,
                              @JsonProperty("micro_f1") double microF1,
                              @JsonProperty("macro_f1") double macroF1,
                              @JsonProperty("mean_average_precision") double meanAveragePrecision,
                              @JsonProperty("exact_match") double exactMatch,
                              @JsonProperty("skipped") List<String> skipped) {

    /** Images' probabilities (one row per image, one column per class), whether each has each class, and the unreadable ones. */
    public record Scored(float[][] probabilities, boolean[][] truth, List<String> skipped) {}

    /** One class: how many images have it, its threshold, and how well the model answers it. */
    public record PerClass(@JsonProperty("class") String name, @JsonProperty("support") int support,
                           @JsonProperty("threshold") double threshold, @JsonProperty("precision") double precision,
                           @JsonProperty("recall") double recall, @JsonProperty("f1") double f1,
                           @JsonProperty("average_precision") double averagePrecision,
                           @JsonProperty("curve") List<double[]> curve) {}

    /**
     * {@code probabilities[i][c]}: image i's probability of class c; {@code truth[i][c]}: whether it has it;
     * {@code thresholds[c]}: the probability from which the model answers c.
     */
    public static LabelEvaluation of(List<String> names, float[][] probabilities, boolean[][] truth, double[] thresholds, List<String> skipped) {
        int n = probabilities.length, k = names.size();
        if (thresholds.length != k) throw new IllegalArgumentException(thresholds.length + " thresholds for " + k + " classes.");
        List<PerClass> per = new ArrayList<>();
        long tpAll = 0, fpAll = 0, fnAll = 0;
        double f1Sum = 0, apSum = 0;
        int apClasses = 0;
        for (int c = 0; c < k; c++) {
            int tp = 0, fp = 0, fn = 0;
            float[] p = column(probabilities, c);
            boolean[] y = column(truth, c);
            for (int i = 0; i < n; i++) {
                boolean yes = p[i] >= thresholds[c];
                if (yes && y[i]) tp++;
                else if (yes) fp++;
                else if (y[i]) fn++;
            }
            double ap = averagePrecision(p, y);
            per.add(new PerClass(names.get(c), tp + fn, thresholds[c], ratio(tp, tp + fp), ratio(tp, tp + fn), f1(tp, fp, fn), ap, curve(p, y)));
            tpAll += tp;
            fpAll += fp;
            fnAll += fn;
            f1Sum += f1(tp, fp, fn);
            if (!Double.isNaN(ap)) {
                apSum += ap;
                apClasses++;
            }
        }
        int exact = 0;
        for (int i = 0; i < n; i++) {
            boolean all = true;
            for (int c = 0; c < k && all; c++) all = (probabilities[i][c] >= thresholds[c]) == truth[i][c];
            if (all) exact++;
        }
        return new LabelEvaluation(n, List.copyOf(per), ratio(tpAll, tpAll + fpAll), ratio(tpAll, tpAll + fnAll), f1(tpAll, fpAll, fnAll),
                f1Sum / k, apClasses == 0 ? Double.NaN : apSum / apClasses, ratio(exact, n), List.copyOf(skipped));
    }

    /**
     * Per class, the threshold with the best F1 on these images: halfway between the lowest probability it answers yes
     * to and the next one below, so a slightly lower probability on new images still counts. A class no image has
     * (nothing to choose by) keeps 0.5.
     */
    public static double[] bestThresholds(float[][] probabilities, boolean[][] truth) {
        int k = probabilities.length == 0 ? 0 : probabilities[0].length;
        double[] t = new double[k];
        for (int c = 0; c < k; c++) t[c] = bestThreshold(column(probabilities, c), column(truth, c));
        return t;
    }

    static double bestThreshold(float[] p, boolean[] y) {
        Integer[] order = byProbability(p);
        int positives = 0;
        for (boolean b : y) if (b) positives++;
        if (positives == 0) return 0.5;
        double best = -1, threshold = 0.5;
        int tp = 0, fp = 0;
        for (int r = 0; r < order.length; r++) {
            if (y[order[r]]) tp++;
            else fp++;
            if (r + 1 < order.length && p[order[r + 1]] == p[order[r]]) continue; // ties are answered together
            double f = f1(tp, fp, positives - tp);
            if (f > best) {
                best = f;
                threshold = r + 1 < order.length ? (p[order[r]] + p[order[r + 1]]) / 2.0 : p[order[r]] / 2.0;
            }
        }
        return threshold;
    }

    /** Σ (Rₙ − Rₙ₋₁)·Pₙ over the distinct probabilities, highest first; NaN when no image has the class. */
    static double averagePrecision(float[] p, boolean[] y) {
        Integer[] order = byProbability(p);
        int positives = 0;
        for (boolean b : y) if (b) positives++;
        if (positives == 0) return Double.NaN;
        double ap = 0, lastRecall = 0;
        int tp = 0, fp = 0;
        for (int r = 0; r < order.length; r++) {
            if (y[order[r]]) tp++;
            else fp++;
            if (r + 1 < order.length && p[order[r + 1]] == p[order[r]]) continue;
            double recall = tp / (double) positives;
            ap += (recall - lastRecall) * tp / (double) (tp + fp);
            lastRecall = recall;
        }
        return ap;
    }

    /** (recall, precision) as the threshold falls through the distinct probabilities, at most about 60 points; empty without positives. */
    static List<double[]> curve(float[] p, boolean[] y) {
        Integer[] order = byProbability(p);
        int positives = 0;
        for (boolean b : y) if (b) positives++;
        List<double[]> points = new ArrayList<>();
        if (positives == 0) return points;
        int tp = 0, fp = 0, step = Math.max(1, order.length / 60);
        for (int r = 0; r < order.length; r++) {
            if (y[order[r]]) tp++;
            else fp++;
            if (r + 1 < order.length && (p[order[r + 1]] == p[order[r]] || r % step != 0)) continue;
            points.add(new double[] {tp / (double) positives, tp / (double) (tp + fp)});
        }
        return points;
    }

    /** A table for people: the summary, then a row per class. */
    public String table() {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%d images: micro F1 %.4f (precision %.4f, recall %.4f), macro F1 %.4f, "
                + "mAP %.4f, exact match %.4f%n", images, microF1, microPrecision, microRecall, macroF1, meanAveragePrecision, exactMatch));
        int w = Math.max(5, classes.stream().mapToInt(c -> c.name().length()).max().orElse(5));
        s.append(String.format(Locale.ROOT, "%-" + w + "s  %9s  %9s  %9s  %6s  %6s  %7s%n", "class", "threshold", "precision", "recall", "f1", "AP", "support"));
        for (PerClass c : classes) s.append(String.format(Locale.ROOT, "%-" + w + "s  %9.3f  %9.4f  %9.4f  %6.4f  %6.4f  %7d%n", c.name(),
                c.threshold(), c.precision(), c.recall(), c.f1(), c.averagePrecision(), c.support()));
        if (!skipped.isEmpty()) s.append(skipped.size()).append(" unreadable image(s) left out\n");
        return s.toString();
    }

    private static Integer[] byProbability(float[] p) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < p.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> p[i]).reversed());
        return order;
    }

    private static float[] column(float[][] rows, int c) {
        float[] out = new float[rows.length];
        for (int i = 0; i < rows.length; i++) out[i] = rows[i][c];
        return out;
    }

    private static boolean[] column(boolean[][] rows, int c) {
        boolean[] out = new boolean[rows.length];
        for (int i = 0; i < rows.length; i++) out[i] = rows[i][c];
        return out;
    }

    private static double ratio(long a, long b) { return b == 0 ? 0 : a / (double) b; }

    private static double f1(long tp, long fp, long fn) { return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn); }
}
