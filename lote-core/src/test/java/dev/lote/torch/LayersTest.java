package dev.lote.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.data.Batch;
import dev.lote.nn.Activation;
import dev.lote.nn.Adam;
import dev.lote.nn.BatchNormalization;
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
}
