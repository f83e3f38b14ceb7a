package dev.lote.eval;

import java.util.List;

/**
 * Temperature scaling (Guo et al., 2017): softmax(logits / T) with one T fitted on held-out images by the
 * negative log-likelihood, so that a probability of 0.8 is right about 80 % of the time. Works on probabilities
 * (log p is the logits less a constant per image, which softmax ignores), so it fits any model with softmax outputs.
 */
public final class Calibration {
    private Calibration() {}

    /** Keras' clipping before the log, as in {@link Evaluation}'s loss. */
    private static final double EPSILON = 1e-7;

    /** {@code p} at temperature {@code t}: softmax(log p / t); t = 1 gives p back. */
    public static float[] scale(float[] p, double t) {
        if (t == 1) return p;
        double max = Double.NEGATIVE_INFINITY;
        double[] z = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            z[i] = p[i] > 0 ? Math.log(p[i]) / t : Double.NEGATIVE_INFINITY;
            max = Math.max(max, z[i]);
        }
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += z[i] = Math.exp(z[i] - max);
        float[] q = new float[p.length];
        for (int i = 0; i < p.length; i++) q[i] = (float) (z[i] / sum);
        return q;
    }

    /** Mean negative log-likelihood of the labels at temperature {@code t}. */
    public static double nll(List<float[]> probabilities, int[] labels, double t) {
        double sum = 0;
        for (int n = 0; n < labels.length; n++) {
            float[] p = probabilities.get(n);
            // log softmax(log p / t)[y] = log p_y / t − logsumexp(log p / t), in doubles
            double max = Double.NEGATIVE_INFINITY;
            for (float v : p) if (v > 0) max = Math.max(max, Math.log(v) / t);
            double lse = 0;
            for (float v : p) if (v > 0) lse += Math.exp(Math.log(v) / t - max);
            double py = p[labels[n]] > 0 ? Math.exp(Math.log(p[labels[n]]) / t - max) / lse : 0;
            sum -= Math.log(Math.min(1 - EPSILON, Math.max(EPSILON, py)));
        }
        return sum / labels.length;
    }

    /**
     * The temperature with the lowest NLL, between 0.05 and 20: golden-section search on log T, where the NLL of
     * temperature scaling is unimodal.
     */
    public static double fitTemperature(List<float[]> probabilities, int[] labels) {
        if (labels.length == 0) throw new IllegalArgumentException("No images to fit a temperature on.");
        double lo = Math.log(0.05), hi = Math.log(20), g = (Math.sqrt(5) - 1) / 2;
        double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
        double fa = nll(probabilities, labels, Math.exp(a)), fb = nll(probabilities, labels, Math.exp(b));
        for (int i = 0; i < 60 && hi - lo > 1e-6; i++) {
            if (fa < fb) {
                hi = b; b = a; fb = fa;
                a = hi - g * (hi - lo);
                fa = nll(probabilities, labels, Math.exp(a));
            } else {
                lo = a; a = b; fa = fb;
                b = lo + g * (hi - lo);
                fb = nll(probabilities, labels, Math.exp(b));
            }
        }
        return Math.exp((lo + hi) / 2);
    }

    /**
     * Expected calibration error: images put in {@code bins} equal-width bins by their top probability; the mean over
     * images of |accuracy − mean top probability| of their bin (Naeini et al.; 15 bins as in Guo et al.).
     */
    public static double expectedCalibrationError(List<float[]> probabilities, int[] labels, int bins) {
        double[] confidence = new double[bins];
        int[] count = new int[bins], correct = new int[bins];
        for (int n = 0; n < labels.length; n++) {
            float[] p = probabilities.get(n);
            int best = Evaluation.argmax(p);
            int bin = Math.min(bins - 1, (int) (p[best] * bins));
            confidence[bin] += p[best];
            count[bin]++;
            if (best == labels[n]) correct[bin]++;
        }
        double ece = 0;
        for (int b = 0; b < bins; b++) if (count[b] > 0) ece += Math.abs(correct[b] - confidence[b]);
        return labels.length == 0 ? Double.NaN : ece / labels.length;
    }
}
