package dev.lote.torch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.data.Batch;
import dev.lote.nn.Conv2D;
import dev.lote.nn.DepthwiseConv2D;
import dev.lote.nn.Layer;
import dev.lote.nn.Padding;
import dev.lote.nn.Sequential;
import dev.lote.nn.Shape;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Convolutions against the definition, written out in loops. On a VM that hides its cache sizes oneDNN's 1×1
 * kernels were wrong (56 → 112 channels by ~1, see {@link Engine#oneByOne()}); these are the shapes that showed it.
 */
class ConvolutionTest {
    @ParameterizedTest(name = "{0} {1}->{2} {3}x{3} kernel {4} stride {5} {6}")
    @CsvSource({
        "conv, 56, 112, 12, 1, 1, SAME",
        "conv, 96, 16, 12, 1, 2, SAME",
        "conv, 144, 24, 6, 1, 1, SAME",
        "conv, 3, 16, 24, 3, 2, SAME",
        "conv, 16, 32, 12, 3, 1, VALID",
        "depthwise, 56, 56, 12, 3, 2, SAME",
        "depthwise, 8, 8, 24, 3, 1, VALID",
    })
    void matchesTheDefinition(String kind, int c, int oc, int h, int k, int s, Padding p) {
        Engine.start(0);
        boolean dw = kind.equals("depthwise");
        Shape in = Shape.image(h, h, c);
        Layer l = dw ? new DepthwiseConv2D(k).strides(s).padding(p) : new Conv2D(oc, k).strides(s).padding(p);
        SplittableRandom r = new SplittableRandom(1);
        try (Network net = Network.build(new Sequential(in, List.of(l)), 3)) {
            Map<String, float[]> w = net.weightValues();
            float[] kernel = w.get(l.name() + (dw ? "/depthwise_kernel" : "/kernel"));
            float[] bias = w.get(l.name() + "/bias");
            for (int i = 0; i < bias.length; i++) bias[i] = (float) r.nextGaussian();
            net.setWeightValues(w);
            int n = 4;
            byte[] x = new byte[(int) in.size() * n];
            for (int i = 0; i < x.length; i++) x[i] = (byte) r.nextInt(256);
            float[][] got = net.outputs(new Batch(x, new int[n], in, Collections.nCopies(n, null)));
            int oh = p == Padding.SAME ? (h + s - 1) / s : (h - k) / s + 1;
            int pad = p == Padding.SAME ? Math.max((oh - 1) * s + k - h, 0) / 2 : 0;
            double worst = 0;
            for (int b = 0; b < n; b++) for (int y = 0; y < oh; y++) for (int xx = 0; xx < oh; xx++) for (int o = 0; o < oc; o++) {
                double sum = bias[o];
                for (int ky = 0; ky < k; ky++) for (int kx = 0; kx < k; kx++) {
                    int iy = y * s + ky - pad, ix = xx * s + kx - pad;
                    if (iy < 0 || ix < 0 || iy >= h || ix >= h) continue;
                    int at = ((b * h + iy) * h + ix) * c;
                    if (dw) sum += (x[at + o] & 0xff) / 255.0 * kernel[(ky * k + kx) * c + o];
                    else for (int ci = 0; ci < c; ci++) sum += (x[at + ci] & 0xff) / 255.0 * kernel[((ky * k + kx) * c + ci) * oc + o];
                }
                worst = Math.max(worst, Math.abs(sum - got[b][(y * oh + xx) * oc + o]));
            }
            assertTrue(worst < 1e-4, "largest difference from the definition " + worst + " (1x1 convolutions: " + Engine.oneByOne() + ")");
        }
    }
}
