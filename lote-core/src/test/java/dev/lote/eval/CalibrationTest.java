package dev.lote.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Temperature scaling finds the temperature that made a model overconfident, and the calibration error falls. */
class CalibrationTest {
    /** Labels drawn from softmax(z); the "model" reports softmax(z · 2.5): overconfident by a temperature of 2.5. */
    @Test
    void fitsTheTemperatureOfAnOverconfidentModelAndLowersItsCalibrationError() {
        SplittableRandom r = new SplittableRandom(11);
        int n = 4000, k = 5;
        List<float[]> reported = new ArrayList<>();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            double[] z = new double[k];
            for (int c = 0; c < k; c++) z[c] = 1.5 * r.nextGaussian();
            labels[i] = sample(softmax(z, 1), r.nextDouble());
            reported.add(toFloat(softmax(z, 2.5)));
        }
        double t = Calibration.fitTemperature(reported, labels);
        assertEquals(2.5, t, 0.15, "the temperature that undoes the overconfidence");
        List<float[]> scaled = reported.stream().map(p -> Calibration.scale(p, t)).toList();
        double before = Calibration.expectedCalibrationError(reported, labels, 15), after = Calibration.expectedCalibrationError(scaled, labels, 15);
        assertTrue(after < before / 3, "ECE " + before + " -> " + after);
        assertTrue(Calibration.nll(reported, labels, t) < Calibration.nll(reported, labels, 1));
        assertEquals(Calibration.nll(scaled, labels, 1), Calibration.nll(reported, labels, t), 1e-5, "nll(T) is the NLL of the scaled probabilities");
    }

    @Test
    void scalingKeepsTheRankingAndSumsToOne() {
        float[] p = {0.7f, 0.2f, 0.1f, 0f};
        assertArrayEquals(p, Calibration.scale(p, 1));
        for (double t : new double[] {0.3, 2, 10}) {
            float[] q = Calibration.scale(p, t);
            double sum = 0;
            for (float v : q) sum += v;
            assertEquals(1, sum, 1e-6);
            assertTrue(q[0] > q[1] && q[1] > q[2] && q[3] == 0, java.util.Arrays.toString(q));
            assertTrue(t > 1 ? q[0] < p[0] : q[0] > p[0], "a higher temperature is less sure");
        }
    }

    @Test
    void expectedCalibrationErrorOfAPerfectlyHonestModelIsItsBinning() {
        // 10 images all at 0.8 confidence, 8 right: accuracy 0.8 equals confidence, so the error is 0
        List<float[]> p = new ArrayList<>();
        int[] labels = new int[10];
        for (int i = 0; i < 10; i++) {
            p.add(new float[] {0.8f, 0.2f});
            labels[i] = i < 8 ? 0 : 1;
        }
        assertEquals(0, Calibration.expectedCalibrationError(p, labels, 15), 1e-6);
        labels[8] = 0;
        labels[9] = 0; // all right at 0.8 confidence: underconfident by 0.2
        assertEquals(0.2, Calibration.expectedCalibrationError(p, labels, 15), 1e-6);
    }

    @Test
    void unknownBelowCountsWhatTheModelAnswersAndHowRightItIs() {
        List<Evaluation.Sample> s = List.of(new Evaluation.Sample("a", 0, new float[] {0.9f, 0.1f}),
                new Evaluation.Sample("b", 1, new float[] {0.55f, 0.45f}), new Evaluation.Sample("c", 1, new float[] {0.2f, 0.8f}),
                new Evaluation.Sample("d", 0, new float[] {0.3f, 0.7f}));
        Evaluation e = Evaluation.of(List.of("x", "y"), s, 1, 0, List.of(), 0.6);
        assertEquals(3, e.unknown().answered(), "b's 0.55 is below 0.6");
        assertEquals(0.75, e.unknown().coverage(), 1e-9);
        assertEquals(2 / 3.0, e.unknown().accuracy(), 1e-9, "a and c right, d wrong");
        assertEquals(0.5, e.accuracy(), 1e-9, "plain accuracy still counts every image");
        assertEquals(null, Evaluation.of(List.of("x", "y"), s, 1, 0, List.of()).unknown());
    }

    private static double[] softmax(double[] z, double scale) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : z) max = Math.max(max, v * scale);
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) sum += p[i] = Math.exp(z[i] * scale - max);
        for (int i = 0; i < z.length; i++) p[i] /= sum;
        return p;
    }

    private static int sample(double[] p, double u) {
        for (int i = 0; i < p.length; i++) if ((u -= p[i]) < 0) return i;
        return p.length - 1;
    }

    private static float[] toFloat(double[] p) {
        float[] f = new float[p.length];
        for (int i = 0; i < p.length; i++) f[i] = (float) p[i];
        return f;
    }
}
