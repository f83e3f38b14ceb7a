package dev.lote.onnx;

/**
 * Empirical bias correction (Nagel et al., "Data-free quantization", 2019): rounding a kernel to int8 shifts each
 * output channel by Σ (w_q − w) · E[x] on average, which a depthwise 3×3 kernel, whose few weights often nearly cancel,
 * feels most. The shift is computed from the calibration images' per-channel input means and taken out of the bias.
 * On a fine-tuned MobileNetV2 this is what brought int8's answers back to float's (see the README). Both exporters
 * quantize kernels the same way (per output channel, symmetric, round(w / s) in [−127, 127]), so they share this.
 */
public final class BiasCorrection {
    /** How a kernel's values are laid out. */
    public enum Layout {
        /** ONNX's (out, in / groups, kh, kw). */
        ROWS,
        /** TFLite's convolution (out, kh, kw, in). */
        OUT_AREA_IN,
        /** TFLite's depthwise convolution (1, kh, kw, in · multiplier). */
        AREA_OUT
    }

    private BiasCorrection() {}

    /**
     * For each kernel position (row-major, kh × kw), the share of the output positions at which it reads the input
     * rather than zero padding: near a small map's borders a 3×3 kernel's outer positions often read padding, which
     * the input's mean must not be charged for.
     */
    public static float[] inside(int height, int width, int[] kernel, int[] strides, int[] dilation, int padTop, int padLeft, int outHeight,
                                 int outWidth) {
        float[] rows = shares(height, kernel[0], strides[0], dilation[0], padTop, outHeight), cols = shares(width, kernel[1], strides[1], dilation[1],
                padLeft, outWidth);
        float[] inside = new float[kernel[0] * kernel[1]];
        for (int y = 0; y < kernel[0]; y++) for (int x = 0; x < kernel[1]; x++) inside[y * kernel[1] + x] = rows[y] * cols[x];
        return inside;
    }

    private static float[] shares(int n, int k, int stride, int dilation, int pad, int out) {
        float[] share = new float[k];
        for (int t = 0; t < k; t++) {
            int reads = 0;
            for (int o = 0; o < out; o++) {
                int at = o * stride - pad + t * dilation;
                if (at >= 0 && at < n) reads++;
            }
            share[t] = out == 0 ? 0 : reads / (float) out;
        }
        return share;
    }

    /**
     * {@code bias} less each output channel's mean rounding error; {@code scales}: the kernel's per output channel,
     * {@code means}: each input channel's mean, {@code inside}: per kernel position ({@link #inside}). The bias
     * unchanged where the means do not fit.
     */
    public static float[] corrected(float[] bias, float[] kernel, float[] scales, float[] means, int groups, float[] inside, Layout layout) {
        int area = inside.length;
        int out = bias.length;
        boolean fits = switch (layout) {
            case ROWS -> means.length == groups * (kernel.length / out / area);
            case OUT_AREA_IN -> means.length == kernel.length / out / area;
            case AREA_OUT -> out % means.length == 0;
        };
        if (!fits) return bias;
        float[] b = bias.clone();
        for (int at = 0; at < kernel.length; at++) {
            int o, in, tap;
            switch (layout) {
                case ROWS -> {
                    int per = kernel.length / out, perGroup = per / area;
                    o = at / per;
                    in = o / (out / groups) * perGroup + at % per / area;
                    tap = at % area;
                }
                case OUT_AREA_IN -> {
                    int channels = kernel.length / out / area;
                    o = at / (area * channels);
                    in = at % channels;
                    tap = at / channels % area;
                }
                default -> {
                    o = at % out;
                    in = o / (out / means.length);
                    tap = at / out;
                }
            }
            float s = scales[scales.length == 1 ? 0 : o], w = kernel[at];
            float rounded = s * Math.max(-127, Math.min(127, Math.round(w / s)));
            b[o] -= (rounded - w) * means[in] * inside[tap];
        }
        return b;
    }
}
