package dev.lote.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Multi-label metrics, worked by hand (the average precision as scikit-learn's average_precision_score defines it). */
class LabelEvaluationTest {
    // class a: 5 images, three have it; class b: every probability the same, one image has it; class c: nobody has it
    private static final float[][] P = {{0.9f, 0.5f, 0.1f}, {0.8f, 0.5f, 0.7f}, {0.7f, 0.5f, 0.2f}, {0.4f, 0.5f, 0.1f}, {0.2f, 0.5f, 0.3f}};
    private static final boolean[][] Y = {{true, false, false}, {false, true, false}, {true, false, false}, {true, false, false}, {false, false, false}};

    @Test
    void averagePrecisionAndTheF1OptimalThresholdAreTheWorkedOnes() {
        // ranked a: 1 0 1 1 0 → precision at each hit 1, 2/3, 3/4, each adding a third of the recall
        assertEquals((1 + 2 / 3.0 + 3 / 4.0) / 3, LabelEvaluation.averagePrecision(col(0), yes(0)), 1e-12);
        assertEquals(0.2, LabelEvaluation.averagePrecision(col(1), yes(1)), 1e-12, "ties are one threshold: precision 1/5 at recall 1");
        assertTrue(Double.isNaN(LabelEvaluation.averagePrecision(col(2), yes(2))), "no image has c: no AP");
        // F1 by how many a answers: 1 → 0.5, 2 → 0.4, 3 → 0.667, 4 → 0.857 (best), 5 → 0.75; halfway between 0.4 and 0.2
        double[] t = LabelEvaluation.bestThresholds(P, Y);
        assertArrayEquals(new double[] {0.3, 0.25, 0.5}, t, 1e-6);
    }

    @Test
    void microAndMacroScoresPoolAndAverageTheClasses() {
        LabelEvaluation e = LabelEvaluation.of(List.of("a", "b", "c"), P, Y, new double[] {0.3, 0.6, 0.5}, List.of());
        // a: tp 3, fp 1; b: answered never, fn 1; c: one false yes (0.7)
        assertEquals(List.of(3, 1, 0), e.classes().stream().map(LabelEvaluation.PerClass::support).toList());
        assertEquals(6 / 7.0, e.classes().get(0).f1(), 1e-12);
        assertEquals(0, e.classes().get(1).f1());
        assertEquals(3 / 5.0, e.microPrecision(), 1e-12);
        assertEquals(3 / 4.0, e.microRecall(), 1e-12);
        assertEquals(2 * 3 / (2 * 3.0 + 2 + 1), e.microF1(), 1e-12);
        assertEquals((6 / 7.0) / 3, e.macroF1(), 1e-12);
        assertEquals(((1 + 2 / 3.0 + 3 / 4.0) / 3 + 0.2) / 2, e.meanAveragePrecision(), 1e-12, "classes without images are left out of mAP");
        assertEquals(4 / 5.0, e.exactMatch(), 1e-12, "every image but the second is right on every class");
        assertTrue(e.table().contains("micro F1 0.6667"), e.table());
        double[] last = e.classes().get(0).curve().get(e.classes().get(0).curve().size() - 1);
        assertArrayEquals(new double[] {1, 0.6}, last, 1e-12, "the curve ends where every image is answered yes");
    }

    private static float[] col(int c) {
        float[] out = new float[P.length];
        for (int i = 0; i < P.length; i++) out[i] = P[i][c];
        return out;
    }

    private static boolean[] yes(int c) {
        boolean[] out = new boolean[Y.length];
        for (int i = 0; i < Y.length; i++) out[i] = Y[i][c];
        return out;
    }
}
