package dev.lote.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lote.data.Batch;
import dev.lote.nn.Activation;
import dev.lote.nn.Dense;
import dev.lote.nn.Flatten;
import dev.lote.nn.Presets;
import dev.lote.nn.Sequential;
import dev.lote.nn.Shape;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkTest {
    private static Batch batch(byte[] x, int[] y, Shape s) { return new Batch(x, y, s, Collections.nCopies(y.length, null)); }

    @Test
    void allocatesExactlyTheSpecsParameters() {
        Sequential spec = Presets.seedCnn(Shape.image(48, 64, 3), 4);
        try (Network net = Network.build(spec, 1)) {
            assertEquals(spec.parameterCount(), net.parameterCount());
            float[][] p = net.predict(batch(new byte[2 * 48 * 64 * 3], new int[] {0, 1}, spec.inputShape()));
            assertEquals(2, p.length);
            double sum = 0;
            for (float v : p[0]) sum += v;
            assertEquals(1.0, sum, 1e-5);
        }
    }

    @Test
    void glorotKernelsStayWithinTheirLimitAndBiasesStartAtZero() {
        Sequential spec = Presets.seedCnn(Shape.image(48, 64, 3), 4);
        try (Network net = Network.build(spec, 3)) {
            var w = net.weightValues();
            double denseLimit = Math.sqrt(6.0 / (32 * 5 * 7 + 60));
            float max = 0;
            for (float v : w.get("dense/kernel")) max = Math.max(max, Math.abs(v));
            assertEquals(denseLimit, max, denseLimit * 0.01); // 67k draws reach the limit
            for (float v : w.get("dense/bias")) assertEquals(0f, v);
        }
    }

    /** Two steps of a softmax regression, against Keras' formulas written out in plain Java. */
    @Test
    void adamStepsMatchKerasUpdateRule() {
        Shape in = Shape.image(1, 1, 2);
        Sequential spec = new Sequential(in, List.of(new Flatten(), new Dense(3).activation(Activation.SOFTMAX)));
        byte[] pixels = {51, (byte) 200, (byte) 255, 7};
        float[] x = new float[4];
        for (int i = 0; i < 4; i++) x[i] = (pixels[i] & 0xff) / 255f; // what the model sees
        int[] y = {2, 0};
        try (Network net = Network.build(spec, 5)) {
            var start = net.weightValues();
            double[] w = toDouble(start.get("dense/kernel")), b = toDouble(start.get("dense/bias")); // w is Keras' (2 inputs, 3 units)
            double[] mw = new double[6], vw = new double[6], mb = new double[3], vb = new double[3];
            for (int t = 1; t <= 2; t++) {
                double[] gw = new double[6], gb = new double[3];
                double loss = 0;
                for (int i = 0; i < 2; i++) {
                    double[] z = new double[3];
                    double max = -1e30, sum = 0;
                    for (int u = 0; u < 3; u++) { z[u] = b[u] + w[u] * x[i * 2] + w[3 + u] * x[i * 2 + 1]; max = Math.max(max, z[u]); }
                    for (int u = 0; u < 3; u++) { z[u] = Math.exp(z[u] - max); sum += z[u]; }
                    for (int u = 0; u < 3; u++) {
                        double p = z[u] / sum, d = (p - (u == y[i] ? 1 : 0)) / 2;
                        if (u == y[i]) loss -= Math.log(p) / 2;
                        gb[u] += d;
                        gw[u] += d * x[i * 2];
                        gw[3 + u] += d * x[i * 2 + 1];
                    }
                }
                Network.StepResult r = net.trainStep(batch(pixels, y, in));
                assertEquals(loss, r.lossSum() / 2, 1e-6);
                keras(w, gw, mw, vw, t);
                keras(b, gb, mb, vb, t);
            }
            var end = net.weightValues();
            for (int i = 0; i < 6; i++) assertEquals(w[i], end.get("dense/kernel")[i], 1e-6);
            for (int i = 0; i < 3; i++) assertEquals(b[i], end.get("dense/bias")[i], 1e-6);
        }
    }

    private static void keras(double[] var, double[] g, double[] m, double[] v, int t) {
        double lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-7;
        double alpha = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
        for (int i = 0; i < var.length; i++) {
            m[i] += (g[i] - m[i]) * (1 - b1);
            v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
            var[i] -= alpha * m[i] / (Math.sqrt(v[i]) + eps);
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
