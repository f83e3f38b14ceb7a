package dev.lote.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.data.Batch;
import dev.lote.nn.Activation;
import dev.lote.nn.Adam;
import dev.lote.nn.BatchNormalization;
import dev.lote.nn.Conv2D;
import dev.lote.nn.Conv2DTranspose;
import dev.lote.nn.GroupNormalization;
import dev.lote.nn.Padding;
import dev.lote.nn.SpatialDropout2D;
import dev.lote.nn.UpSampling2D;
import dev.lote.nn.Dense;
import dev.lote.nn.Flatten;
import dev.lote.nn.GlobalAveragePooling2D;
import dev.lote.nn.Presets;
import dev.lote.nn.Sequential;
import dev.lote.nn.Shape;
import dev.lote.nn.Summary;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayersTest {
    private static Batch batch(byte[] x, int[] y, Shape s) { return new Batch(x, y, s, Collections.nCopies(y.length, null)); }

    @Test
    void smallCnnIsWellUnderTwoMillionParametersAtAnySize() {
        for (Shape s : List.of(Shape.image(96, 128, 3), Shape.image(28, 28, 3), Shape.image(48, 64, 3), Shape.image(768, 1024, 3))) {
            Sequential m = Presets.smallCnn(s, 14);
            boolean deep = Math.min(s.height(), s.width()) >= 64; // a fifth block once the input is large enough
            assertEquals(deep ? 985_038 : 393_934, m.parameterCount(), s.toString());
            assertTrue(m.parameterCount() < 2_000_000, "" + m.parameterCount());
            assertEquals(m.parameterCount() - 2 * (32 + 64 + 128 + 256 + (deep ? 256 : 0)), m.trainableCount()); // moving mean and variance
        }
        assertEquals(Shape.image(96, 128, 3), Presets.defaultInput("small-cnn", Shape.image(768, 1024, 3)));
        assertEquals(Shape.image(28, 28, 3), Presets.defaultInput("small-cnn", Shape.image(28, 28, 3)));
        assertTrue(Summary.of(Presets.smallCnn(Shape.image(96, 128, 3), 14)).contains("global_average_pooling2d (GlobalAveragePooling2D)"));
    }

    /** Per channel over (batch, H, W): normalised output in training; running statistics moved by Keras' momentum. */
    @Test
    void batchNormalizationNormalisesAndKeepsRunningStatistics() {
        Shape in = Shape.image(1, 2, 2);
        Sequential spec = new Sequential(in, List.of(new BatchNormalization(), new GlobalAveragePooling2D(),
                new Dense(2).activation(Activation.SOFTMAX)));
        byte[] x = {1, 10, 3, 30, 5, 50, 7, 70}; // 2 samples × (1×2 pixels) × 2 channels; the model sees them ÷ 255
        try (Network net = Network.build(spec, 1)) {
            assertEquals(spec.parameterCount(), net.parameterCount());
            net.trainStep(batch(x, new int[] {0, 1}, in));
            var w = net.weightValues();
            // channel 0 values (1,3,5,7)/255: mean 4/255; libtorch updates the variance with the unbiased (20/3)/255²
            assertEquals(0.01 * 4 / 255, w.get("batch_normalization/moving_mean")[0], 1e-7);
            assertEquals(0.99 + 0.01 * (20 / 3.0) / (255 * 255), w.get("batch_normalization/moving_variance")[0], 1e-6);
            assertEquals(0.01 * 40 / 255, w.get("batch_normalization/moving_mean")[1], 1e-7);
            float[][] p1 = net.predict(batch(x, new int[] {0, 1}, in));
            float[][] p2 = net.predict(batch(new byte[] {1, 10, 3, 30}, new int[] {0}, in));
            assertEquals(p1[0][0], p2[0][0], 1e-6, "inference uses running statistics: a sample's output does not depend on its batch");
        }
    }

    @Test
    void adamWShrinksWeightsEvenWithoutGradient() {
        Shape in = Shape.image(1, 1, 2);
        Sequential spec = new Sequential(in, List.of(new Flatten(), new Dense(2).activation(Activation.SOFTMAX)));
        byte[] zeros = new byte[4]; // zero input: the kernel's gradient is zero, only the decay moves it
        try (Network a = Network.build(spec, 3); Network b = Network.build(spec, 3)) {
            b.optimizer(new Adam(0.1).withWeightDecay(0.5));
            float before = a.weightValues().get("dense/kernel")[0];
            a.trainStep(batch(zeros, new int[] {0, 1}, in));
            b.trainStep(batch(zeros, new int[] {0, 1}, in));
            assertEquals(before, a.weightValues().get("dense/kernel")[0], 1e-7);
            assertEquals(before * (1 - 0.1 * 0.5), b.weightValues().get("dense/kernel")[0], 1e-6);
            assertNotEquals(a.weightValues().get("dense/kernel")[0], b.weightValues().get("dense/kernel")[0]);
        }
    }

    /** SpatialDropout2D while training: each (sample, channel) plane is all dropped or all kept (scaled by 1 / (1 − rate)). */
    @Test
    void spatialDropoutDropsWholeChannelsOnlyWhileTraining() {
        try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            org.bytedeco.pytorch.Tensor x = org.bytedeco.pytorch.global.torch.ones(new long[] {4, 16, 5, 5});
            dev.lote.nn.Weights<org.bytedeco.pytorch.Tensor> none = new dev.lote.nn.Weights<>() {
                @Override public org.bytedeco.pytorch.Tensor get(String name) { throw new IllegalStateException(name); }
                @Override public boolean has(String name) { return false; }
                @Override public boolean trains() { return true; }
            };
            SpatialDropout2D layer = new SpatialDropout2D(0.5);
            org.bytedeco.pytorch.Tensor y = layer.compute(TorchOps.OPS, List.of(x), none, new dev.lote.nn.Mode(true, false)).contiguous();
            float[] v = new float[4 * 16 * 25];
            y.data_ptr_float().get(v);
            int dropped = 0;
            for (int plane = 0; plane < 64; plane++) {
                float first = v[plane * 25];
                assertTrue(first == 0 || first == 2, "kept values are scaled by 2, got " + first);
                for (int k = 1; k < 25; k++) assertEquals(first, v[plane * 25 + k], "plane " + plane + " is all dropped or all kept");
                if (first == 0) dropped++;
            }
            assertTrue(dropped > 10 && dropped < 54, dropped + " of 64 channels dropped at rate 0.5");
            org.bytedeco.pytorch.Tensor same = layer.compute(TorchOps.OPS, List.of(x), none, dev.lote.nn.Mode.INFERENCE);
            assertEquals(4 * 16 * 25, same.sum().item_float(), 1e-3, "inference leaves the input as it is");
        }
    }

    /** A small encoder–decoder with the newer kinds (transposed convolution, upsampling, group normalization) learns. */
    @Test
    void transposedConvolutionUpsamplingAndGroupNormalizationTrain() {
        Shape in = Shape.image(8, 8, 3);
        Sequential spec = new Sequential(in, List.of(new Conv2D(8, 3).strides(2).padding(Padding.SAME), new GroupNormalization(4),
                new Conv2DTranspose(6, 3).strides(2).padding(Padding.SAME).activation(Activation.RELU), new UpSampling2D(2),
                new SpatialDropout2D(0.1), new GlobalAveragePooling2D(), new Dense(2).activation(Activation.SOFTMAX)));
        java.util.SplittableRandom r = new java.util.SplittableRandom(4);
        int n = 32;
        byte[] x = new byte[Math.toIntExact(in.size() * n)];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) { // class 1: a bright left half; class 0: a bright right half
            y[i] = i % 2;
            for (int row = 0; row < 8; row++) for (int col = 0; col < 8; col++) for (int c = 0; c < 3; c++)
                x[(int) (i * in.size()) + (row * 8 + col) * 3 + c] = (byte) ((col < 4) == (y[i] == 1) ? 200 + r.nextInt(50) : r.nextInt(50));
        }
        try (Network net = Network.build(spec, 2)) {
            net.optimizer(new Adam(0.01));
            double first = net.trainStep(batch(x, y, in)).lossSum() / n, last = first;
            for (int step = 0; step < 60; step++) last = net.trainStep(batch(x, y, in)).lossSum() / n;
            assertTrue(last < first / 3, "loss " + first + " → " + last);
            Network.StepResult test = net.test(batch(x, y, in));
            assertEquals(n, test.correct(), "every training image right after training");
        }
    }
}
