package dev.lote.image;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import static org.bytedeco.opencv.global.opencv_core.BORDER_REFLECT_101;
import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.warpAffine;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Random changes to a training image that keep its class: horizontal flip, random resized crop (scale 0.6–1 of the
 * area, aspect 3/4–4/3), rotation up to ±12°, brightness/contrast/saturation jitter of ±20 %, and optionally
 * noise and blur. Flip, crop and rotation are one affine warp (one resampling). The randomness comes from the
 * caller's generator, so a run seeded per (seed, epoch, sample) repeats exactly whatever the number of threads.
 * {@code mixup} and {@code cutmix} mix each training batch with itself shuffled, images and labels alike (timm's
 * definitions; the engine does it, {@link #mixes()}), after these.
 * {@code Augmentation.parse("flip,crop,color").apply(pixels, new SplittableRandom(7))}
 */
public record Augmentation(Set<Op> ops) {
    public enum Op { FLIP, CROP, ROTATE, COLOR, NOISE, BLUR, MIXUP, CUTMIX }

    public static final Augmentation DEFAULT = new Augmentation(EnumSet.of(Op.FLIP, Op.CROP, Op.ROTATE, Op.COLOR));

    public Augmentation {
        ops = ops.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(ops));
    }

    /** {@code default}, {@code none}, or a list such as {@code flip,crop,rotate,color,noise,blur} or {@code default,mixup,cutmix}. */
    @JsonCreator public static Augmentation parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("default")) return DEFAULT;
        if (s.equals("none") || s.isEmpty()) return new Augmentation(Set.of());
        EnumSet<Op> ops = EnumSet.noneOf(Op.class);
        for (String part : s.split(",")) {
            if (part.trim().equals("default")) {
                ops.addAll(DEFAULT.ops());
                continue;
            }
            try {
                ops.add(Op.valueOf(part.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Unknown augmentation '" + part.trim() + "'. Expected default, none or a list of "
                        + Arrays.stream(Op.values()).map(o -> o.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(",")) + ".");
            }
        }
        return new Augmentation(ops);
    }

    /** Whether no image is changed on its own (a batch may still be mixed). */
    public boolean isNone() { return ops.stream().allMatch(o -> o == Op.MIXUP || o == Op.CUTMIX); }

    /** The batch mixes asked for: mixup, CutMix, both (each batch one of them, as timm switches), or none. */
    public Set<Op> mixes() { return ops.stream().filter(o -> o == Op.MIXUP || o == Op.CUTMIX).collect(Collectors.toUnmodifiableSet()); }

    @JsonValue public String label() {
        return ops.isEmpty() ? "none" : ops.stream().map(o -> o.name().toLowerCase(Locale.ROOT)).sorted().collect(Collectors.joining(","));
    }

    public Pixels apply(Pixels in, SplittableRandom r) {
        if (isNone()) return in;
        // draw every random number first, in a fixed order, so the stream does not depend on which ops are on
        boolean flip = r.nextBoolean();
        double scale = 0.6 + 0.4 * r.nextDouble(), logRatio = Math.log(0.75) + (Math.log(4 / 3.0) - Math.log(0.75)) * r.nextDouble();
        double fx = r.nextDouble(), fy = r.nextDouble(), angle = (r.nextDouble() - 0.5) * 24;
        double brightness = 1 + (r.nextDouble() - 0.5) * 0.4, contrast = 1 + (r.nextDouble() - 0.5) * 0.4;
        double saturation = 1 + (r.nextDouble() - 0.5) * 0.4;
        long noiseSeed = r.nextLong();
        byte[] rgb = in.rgb();
        int w = in.width(), h = in.height();
        if (ops.contains(Op.FLIP) || ops.contains(Op.CROP) || ops.contains(Op.ROTATE)) {
            double cw = w, ch = h, cx = w / 2.0, cy = h / 2.0;
            if (ops.contains(Op.CROP)) {
                double ratio = Math.exp(logRatio);
                cw = Math.min(w, w * Math.sqrt(scale * ratio));
                ch = Math.min(h, h * Math.sqrt(scale / ratio));
                cx = cw / 2 + fx * (w - cw);
                cy = ch / 2 + fy * (h - ch);
            }
            double theta = ops.contains(Op.ROTATE) ? Math.toRadians(angle) : 0;
            double sx = cw / w, sy = ch / h, sign = ops.contains(Op.FLIP) && flip ? -1 : 1;
            // output pixel (u, v) samples source (cx, cy) + R(θ)·(sign·sx·(u − w/2), sy·(v − h/2))
            double cos = Math.cos(theta), sin = Math.sin(theta);
            double a = cos * sign * sx, b = -sin * sy, c = sin * sign * sx, d = cos * sy;
            double[] m = {a, b, cx - a * w / 2.0 - b * h / 2.0, c, d, cy - c * w / 2.0 - d * h / 2.0};
            rgb = warp(rgb, w, h, m);
        } else {
            rgb = rgb.clone();
        }
        if (ops.contains(Op.COLOR)) color(rgb, brightness, contrast, saturation);
        if (ops.contains(Op.BLUR)) rgb = blur(rgb, w, h);
        if (ops.contains(Op.NOISE)) noise(rgb, new SplittableRandom(noiseSeed));
        return new Pixels(w, h, rgb);
    }

    /** Inverse-maps every output pixel through {@code m} (output → source), reflecting at the borders. */
    private static byte[] warp(byte[] rgb, int w, int h, double[] m) {
        Decoder.load();
        try (PointerScope scope = new PointerScope()) {
            Mat src = new Mat(h, w, CV_8UC3);
            src.data().put(rgb);
            Mat map = new Mat(2, 3, CV_64F);
            new DoublePointer(map.data()).put(m);
            Mat out = new Mat();
            // WARP_INVERSE_MAP (16): m maps output coordinates to source coordinates
            warpAffine(src, out, map, new Size(w, h), INTER_LINEAR | 16, BORDER_REFLECT_101, new Scalar(0, 0));
            byte[] result = new byte[rgb.length];
            out.data().get(result);
            return result;
        }
    }

    private static void color(byte[] rgb, double brightness, double contrast, double saturation) {
        double mean = 0;
        for (byte b : rgb) mean += b & 0xff;
        mean /= rgb.length;
        for (int i = 0; i < rgb.length; i += 3) {
            double r = rgb[i] & 0xff, g = rgb[i + 1] & 0xff, b = rgb[i + 2] & 0xff;
            double grey = 0.299 * r + 0.587 * g + 0.114 * b;
            double[] c = {r, g, b};
            for (int k = 0; k < 3; k++) {
                double v = grey + (c[k] - grey) * saturation;      // saturation around the pixel's grey
                v = mean + (v - mean) * contrast;                  // contrast around the image's mean
                rgb[i + k] = (byte) Math.max(0, Math.min(255, Math.round(v * brightness)));
            }
        }
    }

    private static byte[] blur(byte[] rgb, int w, int h) {
        Decoder.load();
        try (PointerScope scope = new PointerScope()) {
            Mat src = new Mat(h, w, CV_8UC3);
            src.data().put(rgb);
            Mat out = new Mat();
            GaussianBlur(src, out, new Size(3, 3), 0.8);
            byte[] result = new byte[rgb.length];
            out.data().get(result);
            return result;
        }
    }

    private static void noise(byte[] rgb, SplittableRandom r) {
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) Math.max(0, Math.min(255, (rgb[i] & 0xff) + (int) Math.round(r.nextGaussian() * 6)));
        }
    }
}
