package dev.lote.torch;

import dev.lote.nn.Activation;
import dev.lote.nn.Mode;
import dev.lote.nn.Ops;
import dev.lote.nn.Shape;
import java.util.List;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * {@link Ops} on libtorch, which every layer's computation runs on here. Image tensors are NCHW (in channels_last
 * memory, so NHWC underneath); other tensors keep Keras' axis order. Shapes, and so "same" padding, come from the
 * tensors at run time.
 */
final class TorchOps implements Ops<Tensor> {
    static final TorchOps OPS = new TorchOps();

    private TorchOps() {}

    @Override public Shape shape(Tensor x) {
        long[] s = x.sizes().vec().get();
        int[] d = new int[s.length - 1];
        for (int i = 1; i < s.length; i++) d[i - 1] = (int) s[i];
        if (d.length == 3) d = new int[] {d[1], d[2], d[0]}; // NCHW → (H, W, C)
        return new Shape(d);
    }

    @Override public Tensor constant(float... values) { return torch.tensor(values); }

    /** A convolution with explicit padding; libtorch pads inside the convolution when it is symmetric, without copying the input. */
    @Override public Tensor conv(Tensor x, Tensor w, Tensor b, Convolution c) {
        if (Engine.precision() == Precision.BF16) { // autocast: the float32 weights are cast per call, so their gradients stay float32
            x = bf16(x);
            w = bf16(w);
            b = b == null ? null : bf16(b);
        }
        int[] k = c.kernel(), s = c.strides(), d = c.dilation(), p = c.pads();
        if (!Engine.ONE_BY_ONE_TRUSTED && k[0] == 1 && k[1] == 1 && c.groups() == 1 && !c.padded()) return pointwise(x, w, b, s);
        boolean symmetric = p[0] == p[1] && p[2] == p[3];
        // libtorch 2.10's CPU depthwise convolution with a depth multiplier > 1 gives wrong numbers on channels_last
        // input (LayerKindsTest: 0.38 off Keras); in NCHW memory it is right
        if (c.groups() > 1 && w.size(0) != c.groups()) x = x.contiguous();
        Tensor y = symmetric ? x : torch.constant_pad_nd(x, new long[] {p[2], p[3], p[0], p[1]});
        long[] pad = symmetric ? new long[] {p[0], p[2]} : new long[] {0, 0};
        return torch.conv2d(y, w, optional(b), new long[] {s[0], s[1]}, pad, new long[] {d[0], d[1]}, c.groups());
    }

    /**
     * A 1×1 convolution as (N·H·W, C) × (C, O) on the channels_last layout, which is NHWC in memory: the same
     * numbers as the convolution (a stride keeps every s-th row and column).
     */
    private static Tensor pointwise(Tensor x, Tensor w, Tensor b, int[] s) {
        if (s[0] > 1) x = x.slice(2, new LongOptional(0), new LongOptional(x.size(2)), s[0]);
        if (s[1] > 1) x = x.slice(3, new LongOptional(0), new LongOptional(x.size(3)), s[1]);
        long n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3), o = w.size(0);
        Tensor rows = x.permute(0, 2, 3, 1).reshape(n * h * wd, c), kernel = w.reshape(o, c).t();
        Tensor y = b == null ? rows.matmul(kernel) : b.addmm(rows, kernel);
        return y.reshape(n, h, wd, o).permute(0, 3, 1, 2);
    }

    @Override public Tensor convTranspose(Tensor x, Tensor w, Tensor b, Convolution c, int[] outputPadding) {
        if (Engine.precision() == Precision.BF16) {
            x = bf16(x);
            w = bf16(w);
        }
        int[] s = c.strides(), d = c.dilation(), p = c.pads();
        Tensor y = torch.conv_transpose2d(x, w, new TensorOptional(), new long[] {s[0], s[1]}, new long[] {0, 0}, new long[] {0, 0}, c.groups(),
                d[0], d[1]);
        // crop (negative padding) and grow at the end, then the bias, so grown rows hold it as Keras' do
        y = torch.constant_pad_nd(y, new long[] {-p[2], outputPadding[1] - p[3], -p[0], outputPadding[0] - p[1]});
        return b == null ? y : y.add(b.view(1, -1, 1, 1));
    }

    /** Dense layers stay float32 under bf16: the head decides the class, and its matrix multiply is a small share of the time. */
    @Override public Tensor dense(Tensor x, Tensor k, Tensor b) {
        x = float32(x);
        return x.dim() == 4 ? torch.linear(x.permute(0, 2, 3, 1), k, optional(b)).permute(0, 3, 1, 2) : torch.linear(x, k, optional(b));
    }

    @Override public Tensor pool(Tensor x, boolean max, int[] k, int[] s, int[] p) {
        long[] pads = {p[2], p[3], p[0], p[1]}, kernel = {k[0], k[1]}, strides = {s[0], s[1]}, zero = {0, 0};
        boolean padded = p[0] + p[1] + p[2] + p[3] > 0;
        if (max) {
            Tensor y = padded ? torch.constant_pad_nd(x, pads, new Scalar(Float.NEGATIVE_INFINITY)) : x;
            return torch.max_pool2d(y, kernel, strides, zero, new long[] {1, 1}, false);
        }
        if (!padded) return torch.avg_pool2d(x, kernel, strides, zero, false, true, new LongOptional());
        // Keras leaves padded pixels out of each average: divide by the average of a mask of ones
        Tensor sum = torch.avg_pool2d(torch.constant_pad_nd(x, pads), kernel, strides, zero, false, true, new LongOptional());
        Tensor ones = torch.ones(new long[] {1, 1, x.size(2), x.size(3)});
        Tensor share = torch.avg_pool2d(torch.constant_pad_nd(ones, pads), kernel, strides, zero, false, true, new LongOptional());
        return sum.div(share);
    }

    @Override public Tensor globalPool(Tensor x, boolean max, boolean keepDims) {
        return max ? torch.amax(x, new long[] {2, 3}, keepDims) : x.mean(new long[] {2, 3}, keepDims, new ScalarTypeOptional());
    }

    @Override public Tensor add(Tensor a, Tensor b) { return a.add(fit(b, a)); }

    @Override public Tensor subtract(Tensor a, Tensor b) { return a.sub(fit(b, a)); }

    @Override public Tensor multiply(Tensor a, Tensor b) { return a.mul(fit(b, a)); }

    @Override public Tensor divide(Tensor a, Tensor b) { return a.div(fit(b, a)); }

    @Override public Tensor maximum(Tensor a, Tensor b) { return torch.maximum(a, fit(b, a)); }

    @Override public Tensor sqrt(Tensor x) { return x.sqrt(); }

    /** A per-channel vector shaped to broadcast over an image (1, C, 1, 1); anything else as it is. */
    private static Tensor fit(Tensor v, Tensor x) { return x.dim() == 4 && v.dim() == 1 && v.size(0) > 1 ? v.view(1, -1, 1, 1) : v; }

    @Override public Tensor activation(Tensor x, Activation a) {
        return switch (a) {
            case LINEAR -> x;
            case RELU -> torch.relu(x);
            case RELU6 -> torch.hardtanh(x, new Scalar(0.0), new Scalar(6.0));
            case SOFTMAX -> torch.softmax(x, x.dim() == 4 ? 1 : x.dim() - 1);
            case SIGMOID -> x.sigmoid();
            case TANH -> x.tanh();
            case SILU -> torch.silu(x);
            case HARD_SILU -> torch.hardswish(x);
            case HARD_SIGMOID -> torch.hardsigmoid(x);
            case GELU -> torch.gelu(x);
            case ELU -> torch.elu(x);
            case SELU -> torch.selu(x);
            case SOFTPLUS -> torch.softplus(x);
            case LEAKY_RELU -> torch.leaky_relu(x, new Scalar(0.2));
        };
    }

    /**
     * In place where no gradient is taken (inference's fast paths, {@link Folding}). Not in training: a convolution's
     * output here may be a view (the 1×1 path's), and autograd replays an in-place op on a view at great cost.
     */
    @Override public Tensor ownActivation(Tensor x, Activation a) {
        if ((a != Activation.RELU && a != Activation.RELU6) || !Folding.applies(Mode.INFERENCE)) return activation(x, a);
        return Graph.reluInPlace(x, a);
    }

    /** Term by term as Keras 3 computes it. */
    @Override public Tensor relu(Tensor x, double max, double slope, double threshold) {
        boolean clip = !Double.isNaN(max);
        if (slope != 0 && !clip && threshold == 0) return torch.leaky_relu(x, new Scalar(slope));
        Tensor negative = slope == 0 ? null : torch.relu(threshold != 0 ? x.neg().add(new Scalar(threshold)) : x.neg());
        Tensor y;
        if (threshold != 0) y = x.mul(x.gt(new Scalar(threshold)).to(torch.ScalarType.Float));
        else if (clip && max == 6) {
            y = torch.hardtanh(x, new Scalar(0.0), new Scalar(6.0));
            clip = false;
        } else y = torch.relu(x);
        if (clip) y = torch.clamp(y, new ScalarOptional(new Scalar(0.0)), new ScalarOptional(new Scalar(max)));
        return negative == null ? y : y.sub(negative.mul(new Scalar(slope)));
    }

    /** libtorch weighs the new batch by its momentum; Keras weighs the running value. */
    @Override public Tensor batchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor var, double momentum, double epsilon, boolean training) {
        return channelsFirst(x, t -> torch.batch_norm(t, optional(gamma), optional(beta), optional(mean), optional(var), training, 1 - momentum,
                epsilon, false));
    }

    @Override public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, double epsilon) {
        return channelsLast(x, t -> torch.layer_norm(t, new long[] {t.size(t.dim() - 1)}, optional(gamma), optional(beta), epsilon, false));
    }

    @Override public Tensor groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, double epsilon) {
        return channelsFirst(x, t -> torch.group_norm(t, groups, optional(gamma), optional(beta), epsilon, false));
    }

    @Override public Tensor pad(Tensor x, int[] a) { return torch.constant_pad_nd(x, new long[] {a[2], a[3], a[0], a[1]}); }

    @Override public Tensor crop(Tensor x, int[] a) {
        return x.narrow(2, a[0], x.size(2) - a[0] - a[1]).narrow(3, a[2], x.size(3) - a[2] - a[3]);
    }

    @Override public Tensor upsample(Tensor x, int[] size, boolean bilinear) {
        if (bilinear) return torch.upsample_bilinear2d(x, new long[] {x.size(2) * size[0], x.size(3) * size[1]}, false);
        Tensor y = size[0] == 1 ? x : torch.repeat_interleave(x, size[0], new LongOptional(2), new LongOptional());
        return size[1] == 1 ? y : torch.repeat_interleave(y, size[1], new LongOptional(3), new LongOptional());
    }

    @Override public Tensor reshape(Tensor x, Shape to) {
        int[] target = to.dims();
        long[] shape = new long[target.length + 1];
        shape[0] = x.size(0);
        for (int i = 0; i < target.length; i++) shape[i + 1] = target[i];
        return fromKeras(toKeras(x).reshape(shape)); // Keras flattens (H, W, C); permuting channels_last to NHWC is free
    }

    @Override public Tensor permute(Tensor x, int[] d) {
        long[] order = new long[d.length + 1];
        for (int i = 0; i < d.length; i++) order[i + 1] = d[i];
        return fromKeras(toKeras(x).permute(order).contiguous());
    }

    @Override public Tensor concat(List<Tensor> in, int axis) {
        long dim = in.get(0).dim() == 4 ? new long[] {2, 3, 1}[axis] : axis + 1;
        TensorVector v = new TensorVector();
        for (Tensor t : in) v.push_back(t);
        return torch.cat(v, dim);
    }

    @Override public Tensor dropout(Tensor x, double rate, boolean channels) {
        return channels ? torch.feature_dropout(x, rate, true) : torch.dropout(x, rate, true);
    }

    private static boolean is(Tensor t, torch.ScalarType type) { return t.scalar_type().value == type.value; } // JavaCPP's enums compare by value

    static Tensor bf16(Tensor t) { return is(t, torch.ScalarType.BFloat16) ? t : t.to(torch.ScalarType.BFloat16); }

    /** t as float32: itself unless bf16 made it otherwise. */
    static Tensor float32(Tensor t) { return is(t, torch.ScalarType.BFloat16) ? t.to(torch.ScalarType.Float) : t; }

    static TensorOptional optional(Tensor t) { return t == null ? new TensorOptional() : new TensorOptional(t); }

    private interface Fn {
        Tensor apply(Tensor t);
    }

    /** Runs f with channels on axis 1 (NCHW images already are; Keras-ordered (N, L, C) is permuted). */
    private static Tensor channelsFirst(Tensor x, Fn f) {
        if (x.dim() != 3) return f.apply(x);
        return f.apply(x.permute(0, 2, 1)).permute(0, 2, 1);
    }

    /** Runs f with channels on the last axis. */
    private static Tensor channelsLast(Tensor x, Fn f) {
        if (x.dim() != 4) return f.apply(x);
        return f.apply(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2);
    }

    private static Tensor toKeras(Tensor x) { return x.dim() == 4 ? x.permute(0, 2, 3, 1) : x; }

    private static Tensor fromKeras(Tensor x) { return x.dim() == 4 ? x.permute(0, 3, 1, 2) : x; }
}
