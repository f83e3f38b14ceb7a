package dev.lote.torch;

import java.util.SplittableRandom;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * mixup (Zhang et al.) and CutMix (Yun et al.) as timm defines them: a training batch is mixed with itself in a shuffled
 * order, by λ ~ Beta(0.8, 0.8) blending whole images (mixup), or by pasting a box of (1 − λ) of the area, λ ~ Beta(1, 1),
 * from the partner image (CutMix, λ then the share of the image left). The loss is λ·loss(labels) + (1 − λ)·loss(the
 * partners' labels). With both on, each batch is one or the other, as timm switches. The draws depend on (seed, step),
 * so a resumed run mixes as the unbroken one did.
 */
final class Mixing {
    static final double MIXUP_ALPHA = 0.8, CUTMIX_ALPHA = 1.0; // timm's recommended settings

    /** The mixed images, each image's partner, and how much of each image is its own. */
    record Mixed(Tensor x, int[] partner, double lambda) {
        /** Each image's partner's label. */
        int[] partners(int[] labels) {
            int[] out = new int[partner.length];
            for (int i = 0; i < out.length; i++) out[i] = labels[partner[i]];
            return out;
        }
    }

    private final boolean mixup, cutmix;
    private final long seed;

    Mixing(boolean mixup, boolean cutmix, long seed) {
        this.mixup = mixup;
        this.cutmix = cutmix;
        this.seed = seed;
    }

    /** Mixes an (n, c, h, w) batch for optimizer step {@code step}; {@code x} is not changed. */
    Mixed mix(Tensor x, long step) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
        boolean cut = cutmix && (!mixup || r.nextBoolean());
        double lambda = beta(r, cut ? CUTMIX_ALPHA : MIXUP_ALPHA);
        int n = (int) x.size(0);
        int[] partner = new int[n];
        for (int i = 0; i < n; i++) partner[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = partner[i];
            partner[i] = partner[j];
            partner[j] = t;
        }
        Tensor other = x.index_select(0, Tensors.labels(partner));
        if (!cut) return new Mixed(x.mul(new Scalar(lambda)).add(other.mul(new Scalar(1 - lambda))), partner, lambda);
        long h = x.size(2), w = x.size(3);
        double side = Math.sqrt(1 - lambda);
        long ch = (long) (h * side), cw = (long) (w * side), cy = r.nextLong(h), cx = r.nextLong(w);
        long y1 = Math.max(0, cy - ch / 2), y2 = Math.min(h, cy + ch / 2), x1 = Math.max(0, cx - cw / 2), x2 = Math.min(w, cx + cw / 2);
        Tensor out = x.clone(new MemoryFormatOptional());
        if (y2 > y1 && x2 > x1) out.narrow(2, y1, y2 - y1).narrow(3, x1, x2 - x1).copy_(other.narrow(2, y1, y2 - y1).narrow(3, x1, x2 - x1));
        return new Mixed(out, partner, 1 - (double) (y2 - y1) * (x2 - x1) / (h * w));
    }

    /** Beta(α, α) as G₁ / (G₁ + G₂) of two Gamma(α) draws. */
    static double beta(SplittableRandom r, double alpha) {
        double a = gamma(r, alpha), b = gamma(r, alpha);
        return a + b == 0 ? 0.5 : a / (a + b);
    }

    /** Gamma(α, 1) by Marsaglia and Tsang; below α = 1 through Gamma(α + 1)·U^(1/α). */
    private static double gamma(SplittableRandom r, double alpha) {
        if (alpha < 1) return gamma(r, alpha + 1) * Math.pow(r.nextDouble(), 1 / alpha);
        double d = alpha - 1 / 3.0, c = 1 / Math.sqrt(9 * d);
        while (true) {
            double z = normal(r), v = Math.pow(1 + c * z, 3);
            if (v <= 0) continue;
            double u = r.nextDouble();
            if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
        }
    }

    private static double normal(SplittableRandom r) {
        double u = 1 - r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
