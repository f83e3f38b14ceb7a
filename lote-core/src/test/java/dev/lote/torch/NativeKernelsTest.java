package dev.lote.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.data.Batch;
import dev.lote.nn.Activation;
import dev.lote.nn.Adam;
import dev.lote.nn.Conv2D;
import dev.lote.nn.Dense;
import dev.lote.nn.DepthwiseConv2D;
import dev.lote.nn.Flatten;
import dev.lote.nn.MaxPooling2D;
import dev.lote.nn.Padding;
import dev.lote.nn.Sequential;
import dev.lote.nn.Shape;
import dev.lote.testing.NativeCodeTests;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Lote's compiled kernels (the fused first block, Adam in one pass) against libtorch's ops on the same model, seed
 * and batches: the same losses, predictions and weights after several steps, to float rounding. Odd image sizes
 * (rows and columns the pooling drops, borders the "same" padding fills) and both activations are covered.
 */
class NativeKernelsTest {
    @AfterEach
    void nativeOffAgain() { dev.lote.natives.NativeCode.enable(false); }

    @ParameterizedTest(name = "{0}x{1}, depthwise {2} {3}, 1x1 to {4} {5}, pool {6}, weight decay {7}, depthwise frozen {8}")
    @CsvSource({
        "13, 17, 3, RELU, 8, RELU, 3, 0, false",
        "10, 9, 5, LINEAR, 16, RELU, 2, 0.01, false",
        "12, 20, 3, RELU, 16, LINEAR, 3, 0, false",
        "12, 12, 3, RELU, 16, RELU, 3, 0, true",
    })
    void theFusedFirstBlockAndAdamTrainAsLibtorchsOpsDo(int h, int w, int k, Activation a1, int filters, Activation a2, int pool,
                                                        double decay, boolean frozen) {
        Engine.start(Engine.options().nativeKernels(true));
        NativeCodeTests.require(Native.available());
        Shape in = Shape.image(h, w, 3);
        Sequential spec = new Sequential(in, List.of(new DepthwiseConv2D(k).padding(Padding.SAME).activation(a1).trainable(!frozen),
                new Conv2D(filters, 1).activation(a2), new MaxPooling2D(pool), new Flatten(), new Dense(4).activation(Activation.SOFTMAX)));
        Random r = new Random(7);
        List<Batch> batches = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            byte[] px = new byte[Math.toIntExact(3 * in.size())];
            r.nextBytes(px);
            batches.add(new Batch(px, new int[] {i % 4, (i + 1) % 4, (i + 3) % 4}, in, Collections.nCopies(3, null)));
        }
        Run fused = train(spec, batches, decay, true), ops = train(spec, batches, decay, false);
        for (int i = 0; i < batches.size(); i++) assertEquals(ops.losses.get(i), fused.losses.get(i), 1e-5 * Math.abs(ops.losses.get(i)), "loss of step " + i);
        for (int i = 0; i < ops.predictions.length; i++) {
            for (int c = 0; c < 4; c++) assertEquals(ops.predictions[i][c], fused.predictions[i][c], 2e-5, "prediction " + i);
        }
        for (Map.Entry<String, float[]> e : ops.weights.entrySet()) {
            float[] a = e.getValue(), b = fused.weights.get(e.getKey());
            double scale = 0;
            for (float v : a) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4 * scale + 1e-7, e.getKey() + "[" + i + "]");
        }
        assertTrue(ops.weights.values().stream().anyMatch(v -> v.length > 0), "weights compared");
        try (Network fresh = Network.build(spec, 3)) { // the 1x1 kernel trained either way; a frozen depthwise did not
            Map<String, float[]> start = fresh.weightValues();
            assertFalse(java.util.Arrays.equals(start.get("conv2d/kernel"), fused.weights.get("conv2d/kernel")));
            assertEquals(frozen, java.util.Arrays.equals(start.get("depthwise_conv2d/depthwise_kernel"), fused.weights.get("depthwise_conv2d/depthwise_kernel")));
        }
    }

    private record Run(List<Double> losses, float[][] predictions, Map<String, float[]> weights) {}

    private static Run train(Sequential spec, List<Batch> batches, double decay, boolean nativeKernels) {
        Engine.start(Engine.options().nativeKernels(nativeKernels));
        try (Network net = Network.build(spec, 3)) {
            assertEquals(nativeKernels, net.fusesFirstBlock());
            net.optimizer(new Adam(3e-3).withWeightDecay(decay));
            List<Double> losses = new ArrayList<>();
            for (Batch b : batches) losses.add(net.trainStep(b).lossSum());
            return new Run(losses, net.predict(batches.get(0)), net.weightValues());
        }
    }

    @ParameterizedTest(name = "stride {0}, depth multiplier {1}")
    @CsvSource({"2, 1", "1, 2"})
    void blocksTheKernelDoesNotComputeRunOnLibtorch(int stride, int multiplier) {
        Sequential spec = new Sequential(Shape.image(12, 12, 3), List.of(new DepthwiseConv2D(3).padding(Padding.SAME).strides(stride)
                .depthMultiplier(multiplier), new Conv2D(8, 1), new MaxPooling2D(2), new Flatten(), new Dense(2)));
        try (Network net = Network.build(spec, 1)) {
            assertFalse(net.fusesFirstBlock());
        }
    }
}
