package dev.lote.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.data.Batch;
import dev.lote.image.Augmentation;
import dev.lote.nn.Activation;
import dev.lote.nn.Adam;
import dev.lote.nn.Dense;
import dev.lote.nn.Flatten;
import dev.lote.nn.Layer;
import dev.lote.nn.Sequential;
import dev.lote.nn.Shape;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** mixup and CutMix: timm's λ distributions, a pasted box that is exactly the partner's pixels, and the mixed loss. */
class MixingTest {
    private static final Shape IMAGE = Shape.image(8, 8, 3);

    @Test
    void lambdaFollowsBetaAlphaAlpha() {
        SplittableRandom r = new SplittableRandom(1);
        for (double alpha : new double[] {Mixing.MIXUP_ALPHA, Mixing.CUTMIX_ALPHA}) {
            double sum = 0, squares = 0;
            int n = 40_000;
            for (int i = 0; i < n; i++) {
                double l = Mixing.beta(r, alpha);
                assertTrue(l >= 0 && l <= 1);
                sum += l;
                squares += l * l;
            }
            double mean = sum / n, variance = squares / n - mean * mean;
            assertEquals(0.5, mean, 0.01, "alpha " + alpha);
            assertEquals(1 / (4 * (2 * alpha + 1)), variance, 0.004, "Beta(a, a) has variance 1 / (4 (2a + 1)); alpha " + alpha);
        }
    }

    @Test
    void aCutMixStepsLossIsTheShareWeightedLossOfBothLabelsOnThePastedImages() {
        byte[] px = new byte[4 * (int) IMAGE.size()];
        new SplittableRandom(5).nextBytes(px);
        int[] y = {0, 1, 2, 1};
        Sequential spec = new Sequential("m", IMAGE, List.<Layer>of(new Flatten(), new Dense(3).activation(Activation.SOFTMAX).<Dense>name("d")));
        try (Network net = Network.build(spec, 11).optimizer(new Adam(1e-3)).mixing(false, true);
             Network plain = Network.build(spec, 11);
             PointerScope scope = new PointerScope()) {
            Batch batch = new Batch(px, y, IMAGE, Collections.nCopies(4, null));
            Mixing.Mixed mix = new Mixing(false, true, 11).mix(Tensors.pixels(batch, 1 / 255.0, 0), 0); // the first step's draw
            assertTrue(mix.lambda() > 0 && mix.lambda() < 1, "a box of the partner's image was pasted: λ " + mix.lambda());
            // the pasted images are bytes again exactly (a box copied from another image), so the plain network can score them
            byte[] cut = new byte[px.length];
            Tensor nhwc = mix.x().permute(0, 2, 3, 1).contiguous().mul(new Scalar(255.0)).round();
            float[] f = new float[px.length];
            nhwc.data_ptr_float().get(f);
            int changed = 0;
            for (int i = 0; i < f.length; i++) {
                cut[i] = (byte) Math.round(f[i]);
                if (cut[i] != px[i]) changed++;
            }
            assertTrue(changed > 0);
            float[][] p = plain.predict(new Batch(cut, y, IMAGE, Collections.nCopies(4, null)));
            int[] partners = mix.partners(y);
            double expected = 0;
            for (int i = 0; i < 4; i++) expected -= mix.lambda() * Math.log(p[i][y[i]]) + (1 - mix.lambda()) * Math.log(p[i][partners[i]]);
            assertEquals(expected / 4, net.trainStep(batch).lossSum() / 4, 1e-5);
            assertNotEquals(mix.lambda(), new Mixing(false, true, 11).mix(Tensors.pixels(batch, 1 / 255.0, 0), 1).lambda(),
                    "each step draws anew");
        }
    }

    @Test
    void theAugmentationListNamesTheBatchMixesBesideTheImageOnes() {
        Augmentation a = Augmentation.parse("default,mixup,cutmix");
        assertEquals(java.util.Set.of(Augmentation.Op.MIXUP, Augmentation.Op.CUTMIX), a.mixes());
        assertTrue(a.ops().containsAll(Augmentation.DEFAULT.ops()));
        assertEquals("color,crop,cutmix,flip,mixup,rotate", a.label());
        assertTrue(Augmentation.parse("mixup").isNone(), "no image is changed on its own");
    }
}
