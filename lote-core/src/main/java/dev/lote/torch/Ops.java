package dev.lote.torch;

import dev.lote.nn.Activation;
import dev.lote.nn.ActivationLayer;
import dev.lote.nn.AveragePooling2D;
import dev.lote.nn.BatchNormalization;
import dev.lote.nn.Conv2D;
import dev.lote.nn.Cropping2D;
import dev.lote.nn.Dense;
import dev.lote.nn.DepthwiseConv2D;
import dev.lote.nn.Dropout;
import dev.lote.nn.Flatten;
import dev.lote.nn.GlobalAveragePooling2D;
import dev.lote.nn.GlobalMaxPooling2D;
import dev.lote.nn.InputLayer;
import dev.lote.nn.Layer;
import dev.lote.nn.LayerNormalization;
import dev.lote.nn.MaxPooling2D;
import dev.lote.nn.Merge;
import dev.lote.nn.Normalization;
import dev.lote.nn.Padding;
import dev.lote.nn.Permute;
import dev.lote.nn.Pooling2D;
import dev.lote.nn.ReLU;
import dev.lote.nn.Rescaling;
import dev.lote.nn.Reshape;
import dev.lote.nn.SeparableConv2D;
import dev.lote.nn.ZeroPadding2D;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The forward pass of every layer kind on libtorch, found by kind. Tensors of image samples are NCHW (in
 * channels_last memory); tensors of other samples keep Keras' axis order. Shapes (and so "same" padding) are taken
 * from the tensors at run time, so a layer called on inputs of different sizes works.
 */
final class Ops {
    private Ops() {}

    /** A layer's forward pass. {@code mode.logits}: this call gives the model's output, so a final softmax is left to the loss. */
    interface Forward {
        Tensor apply(List<Tensor> in, Mode mode);
    }

    record Mode(boolean training, boolean logits) {
        static final Mode INFERENCE = new Mode(false, false);
    }

    /** The layer's weights by name (engine layout), and whether the layer trains (a frozen BatchNormalization does not). */
    interface Weights {
        Tensor get(String name);
        boolean has(String name);
        boolean trains();
        /** A tensor that lives as long as the network (a constant). */
        Tensor keep(Tensor t);
    }

    private interface Factory<L extends Layer> {
        Forward make(L layer, Weights w);
    }

    private static final Map<Class<? extends Layer>, Factory<? extends Layer>> KINDS = new HashMap<>();

    private static <L extends Layer> void kind(Class<L> type, Factory<L> f) { KINDS.put(type, f); }

    /**
     * A convolution that also does the symmetric zero padding of the ZeroPadding2D before it (torchvision-style
     * graphs pad before every strided convolution): libtorch pads inside the convolution without copying the input.
     */
    static Forward paddedConv(Layer layer, Weights w, int padH, int padW) {
        int[] extra = {padH, padW};
        if (layer instanceof Conv2D l) {
            Tensor bias = w.has("bias") ? w.get("bias") : null;
            return single((x, m) -> activate(conv(x, w.get("kernel"), bias, l.kernelSize(), l.strides(), l.dilationRate(),
                    l.padding(), l.groups(), extra), l.activation(), m));
        }
        DepthwiseConv2D l = (DepthwiseConv2D) layer;
        Tensor bias = w.has("bias") ? w.get("bias") : null;
        return single((x, m) -> activate(conv(x, w.get("depthwise_kernel"), bias, l.kernelSize(), l.strides(), l.dilationRate(),
                l.padding(), (int) x.size(1), extra), l.activation(), m));
    }

    @SuppressWarnings("unchecked")
    static Forward forward(Layer layer, Weights w) {
        Factory<Layer> f = (Factory<Layer>) KINDS.get(layer.getClass());
        if (f == null) throw new IllegalArgumentException("No engine support for layer " + layer.className() + ".");
        return f.make(layer, w);
    }

    static {
        kind(InputLayer.class, (l, w) -> (in, m) -> in.get(0));
        kind(Conv2D.class, (l, w) -> {
            Tensor bias = w.has("bias") ? w.get("bias") : null;
            return single((x, m) -> activate(conv(x, w.get("kernel"), bias, l.kernelSize(), l.strides(), l.dilationRate(),
                    l.padding(), l.groups()), l.activation(), m));
        });
        kind(DepthwiseConv2D.class, (l, w) -> {
            Tensor bias = w.has("bias") ? w.get("bias") : null;
            return single((x, m) -> activate(conv(x, w.get("depthwise_kernel"), bias, l.kernelSize(), l.strides(), l.dilationRate(),
                    l.padding(), (int) x.size(1)), l.activation(), m));
        });
        kind(SeparableConv2D.class, (l, w) -> {
            Tensor bias = w.has("bias") ? w.get("bias") : null;
            return single((x, m) -> {
                Tensor d = conv(x, w.get("depthwise_kernel"), null, l.kernelSize(), l.strides(), l.dilationRate(), l.padding(), (int) x.size(1));
                Tensor p = torch.conv2d(d, w.get("pointwise_kernel"), optional(bias), new long[] {1, 1}, new long[] {0, 0}, new long[] {1, 1}, 1);
                return activate(p, l.activation(), m);
            });
        });
        kind(Dense.class, (l, w) -> {
            Tensor k = w.get("kernel");
            TensorOptional b = optional(w.has("bias") ? w.get("bias") : null);
            return single((x, m) -> {
                Tensor y = x.dim() == 4 ? torch.linear(x.permute(0, 2, 3, 1), k, b).permute(0, 3, 1, 2) : torch.linear(x, k, b);
                return activate(y, l.activation(), m);
            });
        });
        kind(MaxPooling2D.class, (l, w) -> single((x, m) -> pool(x, l, false)));
        kind(AveragePooling2D.class, (l, w) -> single((x, m) -> pool(x, l, true)));
        kind(GlobalAveragePooling2D.class, (l, w) -> single((x, m) -> x.mean(new long[] {2, 3}, l.keepdims(), new ScalarTypeOptional())));
        kind(GlobalMaxPooling2D.class, (l, w) -> single((x, m) -> torch.amax(x, new long[] {2, 3}, l.keepdims())));
        // Keras flattens (H, W, C); permuting a channels_last tensor to NHWC is free
        kind(Flatten.class, (l, w) -> single((x, m) -> (x.dim() == 4 ? x.permute(0, 2, 3, 1) : x).reshape(x.size(0), -1)));
        kind(Dropout.class, (l, w) -> single((x, m) -> m.training() && l.rate() > 0 ? torch.dropout(x, l.rate(), true) : x));
        kind(BatchNormalization.class, (l, w) -> {
            TensorOptional gamma = optional(w.has("gamma") ? w.get("gamma") : null), beta = optional(w.has("beta") ? w.get("beta") : null);
            TensorOptional mean = optional(w.get("moving_mean")), var = optional(w.get("moving_variance"));
            double momentum = 1 - l.momentum(); // libtorch weighs the new batch; Keras weighs the running value
            return single((x, m) -> channelsFirst(x, t -> torch.batch_norm(t, gamma, beta, mean, var, m.training() && w.trains(),
                    momentum, l.epsilon(), false)));
        });
        kind(LayerNormalization.class, (l, w) -> {
            TensorOptional gamma = optional(w.has("gamma") ? w.get("gamma") : null), beta = optional(w.has("beta") ? w.get("beta") : null);
            return single((x, m) -> channelsLast(x, t -> torch.layer_norm(t, new long[] {t.size(t.dim() - 1)}, gamma, beta, l.epsilon(), false)));
        });
        kind(ZeroPadding2D.class, (l, w) -> {
            int[] a = l.amounts();
            return single((x, m) -> torch.constant_pad_nd(x, new long[] {a[2], a[3], a[0], a[1]}));
        });
        kind(Cropping2D.class, (l, w) -> {
            int[] a = l.amounts();
            return single((x, m) -> x.narrow(2, a[0], x.size(2) - a[0] - a[1]).narrow(3, a[2], x.size(3) - a[2] - a[3]));
        });
        kind(ReLU.class, (l, w) -> single((x, m) -> relu(x, l.maxValue(), l.negativeSlope(), l.threshold())));
        kind(ActivationLayer.class, (l, w) -> single((x, m) -> activate(x, l.activation(), m)));
        kind(Rescaling.class, (l, w) -> {
            double[] s = l.scale(), o = l.offset();
            Tensor scale = s.length == 1 ? null : w.keep(vector(s)), offset = o.length == 1 ? null : w.keep(vector(o));
            return single((x, m) -> {
                Tensor y = scale == null ? x.mul(new Scalar(s[0])) : x.mul(channelShaped(scale, x));
                return offset == null ? (o[0] == 0 ? y : y.add(new Scalar(o[0]))) : y.add(channelShaped(offset, x));
            });
        });
        kind(Normalization.class, (l, w) -> {
            Tensor mean = l.mean() == null ? w.get("mean") : w.keep(vector(l.mean()));
            Tensor var = l.variance() == null ? w.get("variance") : w.keep(vector(l.variance()));
            return single((x, m) -> {
                Tensor mu = channelShaped(mean, x), sd = torch.clamp_min(channelShaped(var, x).sqrt(), new Scalar(1e-7));
                return l.invert() ? x.mul(sd).add(mu) : x.sub(mu).div(sd);
            });
        });
        kind(Reshape.class, (l, w) -> single((x, m) -> {
            int[] target = l.outputShape(List.of(sampleShape(x))).dims();
            long[] shape = new long[target.length + 1];
            shape[0] = x.size(0);
            for (int i = 0; i < target.length; i++) shape[i + 1] = target[i];
            return fromKeras(toKeras(x).reshape(shape));
        }));
        kind(Permute.class, (l, w) -> single((x, m) -> {
            int[] d = l.dims();
            long[] order = new long[d.length + 1];
            for (int i = 0; i < d.length; i++) order[i + 1] = d[i];
            return fromKeras(toKeras(x).permute(order).contiguous());
        }));
        kind(Merge.class, (l, w) -> (in, m) -> merge(l, in));
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private interface Unary {
        Tensor apply(Tensor x, Mode m);
    }

    private static Forward single(Unary f) { return (in, m) -> f.apply(in.get(0), m); }

    static TensorOptional optional(Tensor t) { return t == null ? new TensorOptional() : new TensorOptional(t); }

    /** A convolution with Keras' padding: "same" pads the odd pixel after, as TensorFlow does. */
    private static Tensor conv(Tensor x, Tensor w, Tensor b, int[] k, int[] s, int[] d, Padding padding, int groups) {
        return conv(x, w, b, k, s, d, padding, groups, new int[] {0, 0});
    }

    /** {@code extra}: symmetric zero padding (rows, columns) that a fused ZeroPadding2D asked for, on top of Keras'. */
    private static Tensor conv(Tensor x, Tensor w, Tensor b, int[] k, int[] s, int[] d, Padding padding, int groups, int[] extra) {
        if (!Engine.ONE_BY_ONE_TRUSTED && k[0] == 1 && k[1] == 1 && groups == 1 && extra[0] == 0 && extra[1] == 0) return pointwise(x, w, b, s);
        int kh = (k[0] - 1) * d[0] + 1, kw = (k[1] - 1) * d[1] + 1;
        int[] ph = padding.amounts((int) x.size(2) + 2 * extra[0], kh, s[0]), pw = padding.amounts((int) x.size(3) + 2 * extra[1], kw, s[1]);
        boolean symmetric = ph[0] == ph[1] && pw[0] == pw[1];
        Tensor y = symmetric ? x : torch.constant_pad_nd(x, new long[] {pw[0] + extra[1], pw[1] + extra[1], ph[0] + extra[0], ph[1] + extra[0]});
        long[] pad = symmetric ? new long[] {ph[0] + extra[0], pw[0] + extra[1]} : new long[] {0, 0};
        return torch.conv2d(y, w, optional(b), new long[] {s[0], s[1]}, pad, new long[] {d[0], d[1]}, groups);
    }

    /**
     * A 1×1 convolution as (N·H·W, C) × (C, O) on the channels_last layout, which is NHWC in memory: the same
     * numbers as the convolution (1×1 needs no padding, "same" or not; a stride keeps every s-th row and column).
     */
    private static Tensor pointwise(Tensor x, Tensor w, Tensor b, int[] s) {
        if (s[0] > 1) x = x.slice(2, new LongOptional(0), new LongOptional(x.size(2)), s[0]);
        if (s[1] > 1) x = x.slice(3, new LongOptional(0), new LongOptional(x.size(3)), s[1]);
        long n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3), o = w.size(0);
        Tensor rows = x.permute(0, 2, 3, 1).reshape(n * h * wd, c), kernel = w.reshape(o, c).t();
        Tensor y = b == null ? rows.matmul(kernel) : b.addmm(rows, kernel);
        return y.reshape(n, h, wd, o).permute(0, 3, 1, 2);
    }

    private static Tensor pool(Tensor x, Pooling2D p, boolean average) {
        int[] k = p.poolSize(), s = p.strides();
        int[] ph = p.padding().amounts((int) x.size(2), k[0], s[0]), pw = p.padding().amounts((int) x.size(3), k[1], s[1]);
        long[] pads = {pw[0], pw[1], ph[0], ph[1]}, kernel = {k[0], k[1]}, strides = {s[0], s[1]}, zero = {0, 0};
        boolean padded = ph[0] + ph[1] + pw[0] + pw[1] > 0;
        if (!average) {
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

    /** Keras' relu(x, negative_slope, max_value, threshold), term by term as Keras 3 computes it. */
    private static Tensor relu(Tensor x, double max, double slope, double threshold) {
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

    static Tensor activate(Tensor x, Activation a, Mode m) {
        return switch (a) {
            case LINEAR -> x;
            case RELU -> torch.relu(x);
            case RELU6 -> torch.hardtanh(x, new Scalar(0.0), new Scalar(6.0));
            case SOFTMAX -> m.logits() ? x : torch.softmax(x, x.dim() == 4 ? 1 : x.dim() - 1);
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

    private static Tensor merge(Merge l, List<Tensor> in) {
        Tensor y = in.get(0);
        switch (l.op()) {
            case ADD -> { for (int i = 1; i < in.size(); i++) y = y.add(in.get(i)); }
            case SUBTRACT -> y = y.sub(in.get(1));
            case MULTIPLY -> { for (int i = 1; i < in.size(); i++) y = y.mul(in.get(i)); }
            case AVERAGE -> {
                for (int i = 1; i < in.size(); i++) y = y.add(in.get(i));
                y = y.div(new Scalar((double) in.size()));
            }
            case MAXIMUM -> { for (int i = 1; i < in.size(); i++) y = torch.maximum(y, in.get(i)); }
            case CONCATENATE -> {
                int rank = (int) y.dim() - 1, axis = l.sampleAxis(rank);
                long dim = rank == 3 ? new long[] {2, 3, 1}[axis] : axis + 1;
                TensorVector v = new TensorVector();
                for (Tensor t : in) v.push_back(t);
                y = torch.cat(v, dim);
            }
        }
        return y;
    }

    /** A per-channel vector shaped to broadcast over x: (1, C, 1, 1) for images, else over the last axis. */
    private static Tensor channelShaped(Tensor v, Tensor x) { return x.dim() == 4 ? v.view(1, -1, 1, 1) : v; }

    private static Tensor vector(double[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
        return torch.tensor(f);
    }

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

    private static dev.lote.nn.Shape sampleShape(Tensor x) {
        long[] s = x.sizes().vec().get();
        int[] d = new int[s.length - 1];
        for (int i = 1; i < s.length; i++) d[i - 1] = (int) s[i];
        if (d.length == 3) d = new int[] {d[1], d[2], d[0]}; // NCHW → (H, W, C)
        return new dev.lote.nn.Shape(d);
    }
}
