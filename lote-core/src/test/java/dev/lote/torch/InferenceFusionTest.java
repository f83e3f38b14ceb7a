package dev.lote.torch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.data.Batch;
import dev.lote.nn.Activation;
import dev.lote.nn.ActivationLayer;
import dev.lote.nn.BatchNormalization;
import dev.lote.nn.Conv2D;
import dev.lote.nn.Dense;
import dev.lote.nn.DepthwiseConv2D;
import dev.lote.nn.GlobalAveragePooling2D;
import dev.lote.nn.Input;
import dev.lote.nn.Merge;
import dev.lote.nn.Model;
import dev.lote.nn.Node;
import dev.lote.nn.Padding;
import dev.lote.nn.ReLU;
import dev.lote.nn.SeparableConv2D;
import dev.lote.nn.Shape;
import dev.lote.nn.ZeroPadding2D;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fast paths (batch normalization folded into the convolution before it, ReLU in place) give the numbers the
 * layers give as written, to float rounding, and follow the weights when training or loading changes them; a training
 * step with a frozen normalization folded is the step without.
 */
class InferenceFusionTest {
    @AfterEach void on() { Folding.enabled = true; }

    /** Conv → BN → ReLU6, depthwise ×2 → BN → ReLU6, separable → BN, padded strided conv with a bias → BN, a residual add → ReLU. */
    private static Model model() {
        Node x = Input.of(Shape.image(12, 12, 3));
        Node a = new ReLU().maxValue(6).call(new BatchNormalization().call(new Conv2D(8, 3).padding(Padding.SAME).useBias(false).call(x)));
        Node b = new ActivationLayer(Activation.RELU6).call(new BatchNormalization().call(
                new DepthwiseConv2D(3).depthMultiplier(2).padding(Padding.SAME).call(a)));
        Node c = new BatchNormalization().call(new SeparableConv2D(8, 3).padding(Padding.SAME).call(b));
        Node d = new BatchNormalization().call(new Conv2D(8, 3).strides(2).call(new ZeroPadding2D(1, 1, 1, 1).call(c)));
        Node e = new BatchNormalization().call(new Conv2D(8, 1).strides(2).call(a));
        Node f = new ActivationLayer(Activation.RELU).call(new Merge(Merge.Op.ADD).call(d, e));
        return new Model("fused", List.of(x), new Dense(3).activation(Activation.SOFTMAX).call(new GlobalAveragePooling2D().call(f)));
    }

    /**
     * small-cnn's blocks: ReLU conv → BN → max pooling, ReLU6 conv → max pooling (the ReLU after the pooling), ReLU
     * conv → BN → another conv (the shift added in place), ReLU conv → BN → global average pooling.
     */
    private static Model afterRelu() {
        Node x = Input.of(Shape.image(12, 12, 3));
        Node a = new dev.lote.nn.MaxPooling2D(2).call(new BatchNormalization().call(new Conv2D(8, 3).padding(Padding.SAME).activation(Activation.RELU).call(x)));
        Node a2 = new dev.lote.nn.MaxPooling2D(2).call(new Conv2D(8, 3).padding(Padding.SAME).activation(Activation.RELU6).call(a));
        Node b = new BatchNormalization().call(new Conv2D(8, 3).padding(Padding.SAME).activation(Activation.RELU).call(a2));
        Node c = new BatchNormalization().call(new Conv2D(8, 3).padding(Padding.SAME).activation(Activation.RELU).call(new Conv2D(8, 1).call(b)));
        return new Model("after-relu", List.of(x), new Dense(3).activation(Activation.SOFTMAX).call(new GlobalAveragePooling2D().call(c)));
    }

    /** Every weight random, batch-norm statistics far from 0 and 1, so a missed or stale fold shows. */
    private static Map<String, float[]> randomWeights(Network net, long seed) { return randomWeights(net, seed, false); }

    /** {@code negativeGammas}: some batch-norm scales negative, which a fold after a ReLU must leave as written. */
    private static Map<String, float[]> randomWeights(Network net, long seed, boolean negativeGammas) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, float[]> w = new HashMap<>();
        net.weightValues().forEach((k, v) -> {
            float[] x = new float[v.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = k.endsWith("moving_variance") ? (float) r.nextDouble(0.3, 3)
                        : k.endsWith("gamma") ? (float) (r.nextDouble(0.5, 2) * (negativeGammas && i % 3 == 0 ? -1 : 1))
                        : (float) r.nextDouble(-0.6, 0.6);
            }
            w.put(k, x);
        });
        return w;
    }

    private static Batch batch(int n, long seed) {
        byte[] px = new byte[n * 12 * 12 * 3];
        new SplittableRandom(seed).nextBytes(px);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % 3;
        return new Batch(px, labels, Shape.image(12, 12, 3), java.util.Collections.nCopies(n, null));
    }

    /** The largest difference between outputs with the fast paths on and off, relative to the largest output. */
    private static double gap(Network net, Batch b) {
        Folding.enabled = true;
        float[][] fast = net.outputs(b), fastP = net.predict(b);
        Folding.enabled = false;
        float[][] plain = net.outputs(b), plainP = net.predict(b);
        Folding.enabled = true;
        double gap = 0, scale = 1e-6;
        for (int i = 0; i < fast.length; i++) {
            for (int j = 0; j < fast[i].length; j++) {
                gap = Math.max(gap, Math.max(Math.abs(fast[i][j] - plain[i][j]), Math.abs(fastP[i][j] - plainP[i][j])));
                scale = Math.max(scale, Math.abs(plain[i][j]));
            }
        }
        return gap / scale;
    }

    @Test void foldedEqualsAsWrittenAndFollowsTrainingAndNewWeights() {
        Model m = model();
        try (Network net = Network.build(m, 3)) {
            net.setWeightValues(randomWeights(net, 1));
            Batch b = batch(4, 7);
            double before = gap(net, b);
            assertTrue(before < 1e-5, "fast paths off by " + before + " of the largest output");
            float[][] untrained = net.outputs(b);
            for (int i = 0; i < 3; i++) net.trainStep(b); // moves the weights and the batch statistics
            double trained = gap(net, b);
            assertTrue(trained < 1e-5, "after training, fast paths off by " + trained + " (a stale fold?)");
            double moved = 0;
            float[][] now = net.outputs(b);
            for (int i = 0; i < now.length; i++) for (int j = 0; j < now[i].length; j++) moved = Math.max(moved, Math.abs(now[i][j] - untrained[i][j]));
            assertTrue(moved > 1e-3, "training should change the outputs, moved " + moved);
            net.setWeightValues(randomWeights(net, 2));
            double loaded = gap(net, b);
            assertTrue(loaded < 1e-5, "after new weights, fast paths off by " + loaded);
        }
    }

    @Test void afterAReluTheScaleFoldsInAndTheShiftFollowsThePooling() {
        try (Network net = Network.build(afterRelu(), 4)) {
            Batch b = batch(4, 8);
            for (boolean negative : new boolean[] {false, true, false}) { // positive, then left as written, then positive again
                net.setWeightValues(randomWeights(net, negative ? 5 : 6, negative));
                double gap = gap(net, b);
                assertTrue(gap < 1e-5, (negative ? "negative" : "positive") + " scales: fast paths off by " + gap);
            }
            for (int i = 0; i < 2; i++) net.trainStep(b);
            assertTrue(gap(net, b) < 1e-5);
        }
    }

    @Test void aModelEndingInAFoldedBatchNormalization() {
        Node x = Input.of(Shape.image(12, 12, 3));
        Model m = new Model("features", List.of(x), new BatchNormalization().call(new Conv2D(4, 3).call(x)));
        try (Network net = Network.build(m, 5)) {
            net.setWeightValues(randomWeights(net, 3));
            Batch b = batch(2, 9);
            Folding.enabled = false;
            float[][] plain = net.outputs(b);
            Folding.enabled = true;
            float[][] fast = net.outputs(b);
            assertTrue(fast[0].length == 10 * 10 * 4);
            for (int i = 0; i < fast.length; i++) org.junit.jupiter.api.Assertions.assertArrayEquals(plain[i], fast[i], 1e-5f);
        }
    }

    /** Three steps from the same weights with the fast paths on and off: the same losses and the same weights after. */
    private static void sameSteps(Model m, long seed) {
        Batch b = batch(4, 11);
        Map<String, float[]> start, fast = null;
        double[] losses = new double[6];
        try (Network probe = Network.build(m, 6)) { start = randomWeights(probe, seed); }
        for (boolean on : new boolean[] {true, false}) {
            Folding.enabled = on;
            try (Network net = Network.build(m, 6)) {
                net.setWeightValues(start);
                for (int i = 0; i < 3; i++) losses[(on ? 0 : 3) + i] = net.trainStep(b).lossSum();
                if (on) fast = net.weightValues();
                else {
                    double moved = 0;
                    for (var e : net.weightValues().entrySet()) {
                        float[] plain = e.getValue(), f = fast.get(e.getKey()), was = start.get(e.getKey());
                        for (int i = 0; i < plain.length; i++) {
                            assertTrue(Math.abs(plain[i] - f[i]) < 1e-5 * Math.max(1, Math.abs(plain[i])), e.getKey() + "[" + i + "]: "
                                    + f[i] + " with the fast paths, " + plain[i] + " without");
                            moved = Math.max(moved, Math.abs(plain[i] - was[i]));
                        }
                        if (e.getKey().contains("batch_normalization") && !m.layers().stream().filter(l -> e.getKey().startsWith(l.name() + "/"))
                                .findFirst().orElseThrow().trainable()) org.junit.jupiter.api.Assertions.assertArrayEquals(was, plain, e.getKey() + " is frozen");
                    }
                    assertTrue(moved > 1e-4, "the steps should move the weights, moved " + moved);
                }
            }
        }
        Folding.enabled = true;
        for (int i = 0; i < 3; i++) assertTrue(Math.abs(losses[i] - losses[3 + i]) < 1e-5 * Math.abs(losses[3 + i]), "step " + i + ": loss "
                + losses[i] + " with the fast paths, " + losses[3 + i] + " without");
    }

    @Test void trainingWithFrozenBatchNormalizationFoldedTakesTheSameSteps() {
        Model m = model();
        for (var l : m.layers()) if (l instanceof BatchNormalization) l.trainable(false); // fine-tuning's phase 2
        sameSteps(m, 12);
    }
}
