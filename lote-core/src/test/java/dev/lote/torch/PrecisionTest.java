package dev.lote.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.data.Batch;
import dev.lote.data.BatchSequence;
import dev.lote.data.ImageFolder;
import dev.lote.nn.Activation;
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
import dev.lote.nn.Presets;
import dev.lote.nn.ReLU;
import dev.lote.nn.Shape;
import dev.lote.testing.Images;
import dev.lote.train.History;
import dev.lote.train.Trainer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --precision bf16}: the outputs of float32 to bfloat16's rounding, float32 weights that train, learning as float32 does. */
class PrecisionTest {
    @AfterEach void float32Again() { Engine.start(Engine.options().precision(Precision.FLOAT32)); }

    private static void requireBf16() {
        String why = Precision.unsupported(Precision.BF16);
        Assumptions.assumeTrue(why == null, "skipped: " + why);
    }

    @Test void aCpuWithoutBf16IsRefusedInOneSentence() {
        String avx2 = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512bw\n";
        String why = Precision.unsupported(Precision.BF16, avx2);
        assertNotNull(why);
        assertTrue(why.contains("AVX512-BF16 or AMX"), why);
        assertNull(Precision.unsupported(Precision.BF16, "flags\t\t: fpu avx512f avx512_bf16 avx512_vnni\n"));
        assertNull(Precision.unsupported(Precision.BF16, "flags\t\t: fpu amx_bf16 amx_tile\n"));
        assertNull(Precision.unsupported(Precision.FLOAT32, avx2));
        assertEquals(Precision.BF16, Precision.parse("mixed_bfloat16"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp8"));
        assertEquals("Unknown precision 'fp8'. Expected float32 or bf16.", e.getMessage());
    }

    /** 3×3, strided 1×1 (the matrix multiply route), depthwise, batch norm, a residual add, global pooling, dense. */
    private static Model mixed() {
        Node x = Input.of(Shape.image(16, 16, 3));
        Node a = new ReLU().maxValue(6).call(new BatchNormalization().call(new Conv2D(16, 3).padding(Padding.SAME).useBias(false).call(x)));
        Node b = new BatchNormalization().call(new DepthwiseConv2D(3).padding(Padding.SAME).call(a));
        Node c = new Conv2D(16, 1).call(b);
        Node d = new ReLU().call(new Merge(Merge.Op.ADD).call(a, c));
        Node e = new BatchNormalization().call(new Conv2D(24, 1).strides(2).call(d));
        return new Model("mixed", List.of(x), new Dense(4).activation(Activation.SOFTMAX).call(new GlobalAveragePooling2D().call(e)));
    }

    private static Batch batch(Shape s, int n, long seed) {
        byte[] px = new byte[Math.toIntExact(n * s.size())];
        new SplittableRandom(seed).nextBytes(px);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % 4;
        return new Batch(px, labels, s, java.util.Collections.nCopies(n, null));
    }

    /** The largest difference of two runs' outputs over the largest output. */
    private static double gap(float[][] a, float[][] b) {
        double gap = 0, scale = 1e-6;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                gap = Math.max(gap, Math.abs(a[i][j] - b[i][j]));
                scale = Math.max(scale, Math.abs(a[i][j]));
            }
        }
        return gap / scale;
    }

    private static void precision(Precision p) { Engine.start(Engine.options().precision(p)); }

    @Test void bf16GivesFloat32sOutputsToBf16Rounding() {
        requireBf16();
        for (Model m : List.of(mixed(), Presets.smallCnn(Shape.image(64, 80, 3), 4))) {
            try (Network net = Network.build(m, 5)) {
                Batch b = batch(m.inputShape(), 6, 11);
                precision(Precision.FLOAT32);
                float[][] exact = net.outputs(b), exactP = net.predict(b);
                precision(Precision.BF16);
                float[][] fast = net.outputs(b), fastP = net.predict(b);
                double gap = gap(exact, fast), gapP = gap(exactP, fastP);
                // bfloat16 keeps 8 bits of mantissa (0.4 %); a few layers of sums put the outputs within a few percent
                assertTrue(gap < 0.05 && gapP < 0.05, m.name() + ": bf16 off float32 by " + gap + " (training mode) and " + gapP + " (inference)");
                assertTrue(gapP > 1e-5, m.name() + ": bf16 should round differently from float32, off by only " + gapP);
            }
        }
    }

    /** Gradients reach every layer's float32 weights at float32's size: each kernel moves as far (within 20 %) in three steps. */
    @Test void bf16TrainsFloat32WeightsAsFloat32Does() {
        requireBf16();
        Model m = mixed();
        Batch b = batch(m.inputShape(), 8, 3);
        Map<String, float[]> start, exact, fast;
        double exactLoss = 0, fastLoss = 0;
        try (Network net = Network.build(m, 9)) {
            start = net.weightValues();
            precision(Precision.FLOAT32);
            for (int i = 0; i < 3; i++) exactLoss = net.trainStep(b).lossSum();
            exact = net.weightValues();
        }
        try (Network net = Network.build(m, 9)) {
            precision(Precision.BF16);
            for (int i = 0; i < 3; i++) fastLoss = net.trainStep(b).lossSum();
            fast = net.weightValues();
        }
        assertEquals(exactLoss, fastLoss, 0.03 * exactLoss, "loss after three steps");
        int kernels = 0;
        for (var e : start.entrySet()) {
            if (!e.getKey().endsWith("kernel")) continue;
            double moved = distance(e.getValue(), exact.get(e.getKey())), movedFast = distance(e.getValue(), fast.get(e.getKey()));
            assertTrue(moved > 0 && movedFast > 0.8 * moved && movedFast < 1.25 * moved, e.getKey() + " moved " + movedFast + " in bf16, " + moved + " in float32");
            kernels++;
        }
        assertEquals(5, kernels); // 3×3, depthwise, two 1×1, dense
    }

    private static double distance(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) d += (a[i] - b[i]) * (double) (a[i] - b[i]);
        return Math.sqrt(d);
    }

    @Test void bf16LearnsLearnableImages(@TempDir Path dir) {
        requireBf16();
        precision(Precision.BF16);
        ImageFolder folder = ImageFolder.scan(Images.sampleFolder(dir, 3, 16, 24, 32));
        Shape in = Shape.image(24, 32, 3);
        BatchSequence data = new BatchSequence(folder.files(), folder.labels(), 8, in).seed(1);
        try (Network net = Network.build(Presets.smallCnn(in, 3), 1)) {
            History h = new Trainer(net).fit(data, 15);
            List<Double> acc = h.get("accuracy");
            assertTrue(acc.get(acc.size() - 1) >= 0.6, "chance is 0.33; accuracy per epoch " + acc);
        }
    }
}
