package dev.lote.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.data.Batch;
import dev.lote.data.BatchSequence;
import dev.lote.data.ImageFolder;
import dev.lote.nn.Activation;
import dev.lote.nn.ActivationLayer;
import dev.lote.nn.AveragePooling2D;
import dev.lote.nn.BatchNormalization;
import dev.lote.nn.Conv2D;
import dev.lote.nn.Cropping2D;
import dev.lote.nn.Dense;
import dev.lote.nn.DepthwiseConv2D;
import dev.lote.nn.Dropout;
import dev.lote.nn.Flatten;
import dev.lote.nn.GlobalAveragePooling2D;
import dev.lote.nn.GlobalMaxPooling2D;
import dev.lote.nn.Input;
import dev.lote.nn.LayerNormalization;
import dev.lote.nn.MaxPooling2D;
import dev.lote.nn.Merge;
import dev.lote.nn.Model;
import dev.lote.nn.Node;
import dev.lote.nn.Normalization;
import dev.lote.nn.Padding;
import dev.lote.nn.Permute;
import dev.lote.nn.ReLU;
import dev.lote.nn.Rescaling;
import dev.lote.nn.Reshape;
import dev.lote.nn.SeparableConv2D;
import dev.lote.nn.Shape;
import dev.lote.nn.Summary;
import dev.lote.nn.ZeroPadding2D;
import dev.lote.testing.Images;
import dev.lote.train.History;
import dev.lote.train.Trainer;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Functional graphs on libtorch: numerics against naive loops, every layer kind through its life cycle, learning. */
class GraphTest {
    private static Batch batch(byte[] x, int n, Shape s) { return new Batch(x, new int[n], s, Collections.nCopies(n, null)); }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) b[i] = (byte) r.nextInt(256);
        return b;
    }

    /** Keras' "same" with stride 2 on an even side pads one pixel at the bottom/right only (TensorFlow's rule). */
    @Test
    void samePaddingWithStrideTwoPadsTheOddPixelAfterNumerically() {
        int h = 6, w = 8, c = 2, f = 3;
        Shape in = Shape.image(h, w, c);
        Node x = Input.of(in);
        Model m = new Model("m", List.of(x), new Conv2D(f, 3).strides(2).padding(Padding.SAME).call(x));
        byte[] px = random(h * w * c, 1);
        try (Network net = Network.build(m, 4).pixels(1, 0)) {
            float[] k = net.weightValues().get("conv2d/kernel"); // Keras' (kh, kw, in, out)
            float[] bias = net.weightValues().get("conv2d/bias");
            float[] got = net.outputs(batch(px, 1, in))[0]; // (3, 4, f)
            // TensorFlow: out = ceil(6/2) = 3; total padding (3-1)*2+3-6 = 1 → 0 before, 1 after (same for width 8)
            int oh = 3, ow = 4;
            for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) for (int o = 0; o < f; o++) {
                double s = bias[o];
                for (int ky = 0; ky < 3; ky++) for (int kx = 0; kx < 3; kx++) for (int ci = 0; ci < c; ci++) {
                    int iy = oy * 2 + ky, ix = ox * 2 + kx; // padding before is 0
                    if (iy >= h || ix >= w) continue;
                    s += (px[(iy * w + ix) * c + ci] & 0xff) * k[((ky * 3 + kx) * c + ci) * f + o];
                }
                assertEquals(s, got[(oy * ow + ox) * f + o], 1e-3 * Math.max(1, Math.abs(s)), "at " + oy + "," + ox + "," + o);
            }
        }
    }

    /** Flatten keeps Keras' (H, W, C) order on a tensor that libtorch holds as NCHW. */
    @Test
    void flattenFollowsKerasOrderOnNonTrivialImages() {
        Shape in = Shape.image(3, 5, 4);
        Node x = Input.of(in);
        Model m = new Model("m", List.of(x), new Flatten().call(new Permute(1, 2, 3).call(x)));
        byte[] px = random(2 * 60, 2);
        try (Network net = Network.build(m, 1).pixels(1, 0)) {
            float[][] out = net.outputs(batch(px, 2, in));
            for (int i = 0; i < 2; i++) for (int j = 0; j < 60; j++) assertEquals(px[i * 60 + j] & 0xff, out[i][j], 0);
        }
    }

    /** Every layer kind in one graph: parameters, config round trip, a training step and save/load by name. */
    @Test
    void everyLayerKindBuildsTrainsAndRoundTrips() {
        Shape in = Shape.image(12, 16, 3);
        Node x = Input.of(in);
        Node a = new Rescaling(1 / 127.5, -1).call(x);
        a = new Normalization(new double[] {0, 0.1, -0.1}, new double[] {1, 2, 0.5}).call(a);
        a = new ZeroPadding2D(0, 1, 0, 1).call(a);
        a = new Conv2D(8, 3).strides(2).call(a);                                     // 6×8
        a = new BatchNormalization(0.9, 1e-3).call(a);
        a = new ReLU().maxValue(6).call(a);
        Node b = new DepthwiseConv2D(3).padding(Padding.SAME).activation(Activation.HARD_SILU).call(a);
        Node c = new Conv2D(8, 3).padding(Padding.SAME).dilationRate(2).groups(2).activation(Activation.GELU).call(a);
        Node d = new SeparableConv2D(8, 3).padding(Padding.SAME).activation(Activation.SILU).call(a);
        Node sum = new Merge(Merge.Op.ADD).call(b, c, d);
        Node diff = new Merge(Merge.Op.SUBTRACT).call(sum, a);
        Node mul = new Merge(Merge.Op.MULTIPLY).call(diff, new ActivationLayer(Activation.HARD_SIGMOID).call(a));
        Node avg = new Merge(Merge.Op.AVERAGE).call(mul, new Merge(Merge.Op.MAXIMUM).call(b, c));
        Node pooled = new Merge(Merge.Op.CONCATENATE).call(new MaxPooling2D(2).padding(Padding.SAME).call(avg),
                new AveragePooling2D(3).strides(2).padding(Padding.SAME).call(avg));            // 3×4×16
        Node cropped = new Cropping2D(1, 0, 0, 1).call(pooled);                           // 2×3×16
        Node seq = new Reshape(6, 16).call(cropped);
        seq = new LayerNormalization().call(new Dense(16).activation(Activation.ELU).call(seq));
        Node flat = new Flatten().call(new Reshape(2, 3, 16).call(seq));
        Node pools = new Merge(Merge.Op.CONCATENATE).call(new GlobalAveragePooling2D().call(cropped), new GlobalMaxPooling2D().call(cropped));
        Dense shared = new Dense(8).activation(Activation.LEAKY_RELU);                  // called twice: one set of weights
        Node out = new Merge(Merge.Op.CONCATENATE).call(shared.call(new Dense(32).call(flat)), shared.call(pools));
        out = new Dense(3).activation(Activation.SOFTMAX).call(new Dropout(0.2).call(out));
        Model m = new Model("everything", List.of(x), out);

        assertEquals(m.toJson(), Model.fromJson(m.toJson()).toJson());
        assertTrue(Summary.of(m).contains("dense_2[0][0], dense_2[1][0]"), Summary.of(m));
        byte[] px = random(4 * Math.toIntExact(in.size()), 3);
        Batch batch = new Batch(px, new int[] {0, 1, 2, 1}, in, Collections.nCopies(4, null));
        try (Network net = Network.build(m, 1)) {
            assertEquals(m.parameterCount(), net.parameterCount());
            assertEquals(m.weightsByPath().keySet(), net.weightValues().keySet());
            net.optimizer(new dev.lote.nn.Adam(0.01));
            Map<String, float[]> before = net.weightValues();
            double first = net.test(batch).lossSum();
            for (int i = 0; i < 40; i++) net.trainStep(batch);
            double last = net.test(batch).lossSum();
            assertTrue(last < first * 0.9, "steps on one batch lower its loss: " + first + " → " + last);
            Map<String, float[]> after = net.weightValues();
            before.forEach((k, v) -> assertTrue(!java.util.Arrays.equals(v, after.get(k)) || k.endsWith("count"), k + " has a gradient"));
            Map<String, float[]> w = net.weightValues();
            try (Network copy = Network.build(Model.fromJson(m.toJson()), 9)) {
                copy.setWeightValues(w);
                float[][] p = net.predict(batch), q = copy.predict(batch);
                for (int i = 0; i < 4; i++) assertArrayEquals(p[i], q[i]);
            }
        }
    }

    /** A small residual graph learns learnable images well above chance. */
    @Test
    void aResidualGraphLearns(@TempDir Path dir) {
        ImageFolder folder = ImageFolder.scan(Images.sampleFolder(dir, 3, 16, 24, 32));
        Shape in = Shape.image(24, 32, 3);
        Node x = Input.of(in);
        Node a = new Conv2D(16, 3).padding(Padding.SAME).activation(Activation.RELU).call(x);
        Node r = new Conv2D(16, 3).padding(Padding.SAME).call(new BatchNormalization(0.9, 1e-3).call(a));
        Node y = new ReLU().call(new Merge(Merge.Op.ADD).call(a, r));
        y = new GlobalAveragePooling2D().call(new MaxPooling2D(2).call(y));
        Model m = new Model("residual", List.of(x), new Dense(3).activation(Activation.SOFTMAX).call(y));
        BatchSequence data = new BatchSequence(folder.files(), folder.labels(), 8, in).seed(1);
        try (Network net = Network.build(m, 1)) {
            History h = new Trainer(net).fit(data, 15);
            List<Double> acc = h.get("accuracy");
            assertTrue(acc.get(acc.size() - 1) >= 0.6, "chance is 0.33; accuracy per epoch " + acc);
        }
    }
}
