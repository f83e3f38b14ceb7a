package dev.lote.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The bias takes out the kernel's rounding error on inputs at their mean, in every layout the exporters write. */
class BiasCorrectionTest {
    @Test
    void onAnInputAtItsMeansTheRoundedKernelGivesTheFloatOutput() {
        SplittableRandom r = new SplittableRandom(3);
        int out = 4, in = 3, area = 9;
        float[] w = new float[out * in * area], bias = {0.5f, -1, 0, 2}, means = {0.2f, 3, -1.5f};
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        float[] scales = new float[out];
        for (int o = 0; o < out; o++) {
            float m = 0;
            for (int i = o * in * area; i < (o + 1) * in * area; i++) m = Math.max(m, Math.abs(w[i]));
            scales[o] = m / 127;
        }
        float[] flat = new float[area];
        java.util.Arrays.fill(flat, 1);
        // ONNX's rows (out, in, kh, kw): the output at an input equal to its means everywhere
        float[] b = BiasCorrection.corrected(bias, w, scales, means, 1, flat, BiasCorrection.Layout.ROWS);
        for (int o = 0; o < out; o++) {
            double exact = bias[o], rounded = b[o];
            for (int i = 0; i < in; i++)
                for (int t = 0; t < area; t++) {
                    float v = w[(o * in + i) * area + t];
                    exact += v * means[i];
                    rounded += scales[o] * Math.round(v / scales[o]) * means[i];
                }
            assertEquals(exact, rounded, 1e-5, "output channel " + o);
        }
        // the same kernel in TFLite's (out, kh, kw, in) gets the same bias
        float[] t = new float[w.length];
        for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) for (int p = 0; p < area; p++) t[(o * area + p) * in + i] = w[(o * in + i) * area + p];
        assertArrayEquals(b, BiasCorrection.corrected(bias, t, scales, means, 1, flat, BiasCorrection.Layout.OUT_AREA_IN), 1e-6f);
        // a depthwise kernel (one input channel per output channel, multiplier 1): ONNX's (C, 1, kh, kw) and TFLite's (1, kh, kw, C)
        float[] dw = new float[in * area], dwt = new float[in * area];
        for (int c = 0; c < in; c++) for (int p = 0; p < area; p++) dwt[p * in + c] = dw[c * area + p] = w[c * area + p];
        float[] dwScales = {scales[0], scales[1], scales[2]}, dwBias = {0, 0, 0};
        assertArrayEquals(BiasCorrection.corrected(dwBias, dw, dwScales, means, in, flat, BiasCorrection.Layout.ROWS),
                BiasCorrection.corrected(dwBias, dwt, dwScales, means, 1, flat, BiasCorrection.Layout.AREA_OUT), 1e-6f);
        // means that do not fit the kernel change nothing
        assertArrayEquals(bias, BiasCorrection.corrected(bias, w, scales, new float[] {1, 2}, 1, flat, BiasCorrection.Layout.ROWS));
    }

    @Test
    void aKernelPositionIsChargedOnlyWhereItReadsInsideThePadding() {
        // 3×3, stride 1, padding 1 on a 4×4 map: the outer rows and columns read padding at one of the four positions
        float[] inside = BiasCorrection.inside(4, 4, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, 1, 1, 4, 4);
        assertArrayEquals(new float[] {0.5625f, 0.75f, 0.5625f, 0.75f, 1, 0.75f, 0.5625f, 0.75f, 0.5625f}, inside, 1e-6f);
        // stride 2 with padding only at the end (TensorFlow's SAME on an even size): the last position reads padding once in 2
        float[] strided = BiasCorrection.inside(4, 4, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, 0, 0, 2, 2);
        assertArrayEquals(new float[] {1, 1, 0.5f, 1, 1, 0.5f, 0.5f, 0.5f, 0.25f}, strided, 1e-6f);
    }
}
