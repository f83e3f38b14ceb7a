package dev.lote.onnx;

import static dev.lote.onnx.OnnxGraph.attr;
import static dev.lote.onnx.OnnxGraph.attrF;
import static dev.lote.onnx.OnnxGraph.attrS;
import static dev.lote.onnx.OnnxGraph.ints;

import dev.lote.nn.Activation;
import dev.lote.nn.BatchNormalization;
import dev.lote.nn.Ops;
import dev.lote.nn.Shape;
import dev.lote.nn.Weight;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link Ops} as ONNX nodes (opset 17): every layer's computation writes its part of the graph through this. Images
 * are NCHW in the graph, as in libtorch. Constants (weights, config numbers) stay Java values until a node reads them,
 * so arithmetic on constants alone is done here, and int8 kernels are quantized as they are written.
 */
final class OnnxOps implements Ops<OnnxOps.V> {
    /**
     * An ONNX value and the Keras shape of one sample. A constant has {@code data} (Keras' layout; {@code weight} says
     * which, null for a vector over the channels or a scalar) and no name. {@code affine} (per-channel scale, shift):
     * the input's pixel scaling, not yet applied (see {@link OnnxExport}).
     */
    record V(String name, Shape shape, float[][] affine, float[] data, Weight weight) {
        V(String name, Shape shape) { this(name, shape, null, null, null); }

        boolean image() { return shape.isImage(); }
    }

    /** A uint8 activation's scale, and the initializers holding it and its zero point. */
    record Quantized(float scale, String scaleName, String zeroName, float[] means) {
        Quantized(float scale, String scaleName, String zeroName) { this(scale, scaleName, zeroName, null); }
    }

    final OnnxGraph g;
    /** int8: kernels are written as int8 (activations are quantized by the exporter); false: float. */
    private final boolean int8;
    /** int8: how each dequantized activation was quantized, by tensor name (a convolution's bias takes its scale). */
    final Map<String, Quantized> quantization = new HashMap<>();
    /** Tensors of uint8 pixels, not yet cast to float. */
    final Set<String> bytes = new HashSet<>();

    OnnxOps(OnnxGraph g, boolean int8) {
        this.g = g;
        this.int8 = int8;
    }

    /** A weight (Keras' layout) as a constant. */
    static V weight(Weight w, float[] data) { return new V(null, new Shape(w.shape()), null, data, w); }

    @Override public Shape shape(V x) { return x.shape(); }

    @Override public V constant(float... values) { return new V(null, new Shape(values.length), null, values.clone(), null); }

    /** A value's name; a constant becomes an initializer shaped to broadcast over {@code over} ((1, C, 1, 1) for an image). */
    private String in(V v, V over) {
        if (v.data() == null) return v.name();
        if (v.weight() != null && v.weight().layout() != Weight.Layout.VECTOR) return g.init(longs(v.weight().torchShape()), v.weight().toTorchLayout(v.data()));
        if (v.data().length == 1) return g.scalar(v.data()[0]);
        return g.init(over != null && over.image() ? new long[] {1, v.data().length, 1, 1} : new long[] {v.data().length}, v.data());
    }

    private static long[] longs(int[] a) { return Arrays.stream(a).asLongStream().toArray(); }

    // ---- convolutions ------------------------------------------------------------------------------------------

    @Override public V conv(V x, V kernel, V bias, Convolution c) {
        Weight kw = kernel.weight();
        long[] kdims = longs(kw.torchShape());
        float[] k = kw.toTorchLayout(kernel.data());
        int groups = c.groups();
        if (int8 && groups > 1 && groups == x.shape().channels() && groups <= 4) { // see denseKernel
            k = denseKernel(k, kdims, groups);
            kdims = new long[] {kdims[0], groups, kdims[2], kdims[3]};
            groups = 1;
        }
        long out = kdims[0], per = k.length / out;
        float[] b = bias == null ? new float[(int) out] : bias.data().clone();
        boolean hasBias = bias != null;
        int[] p = c.pads(), s = c.strides(), d = c.dilation();
        long[] pads = {p[0], p[2], p[1], p[3]}; // ONNX: begins, then ends
        Shape in = x.shape();
        int[] kk = c.kernel();
        Shape outShape = Shape.image((in.height() + p[0] + p[1] - ((kk[0] - 1) * d[0] + 1)) / s[0] + 1,
                (in.width() + p[2] + p[3] - ((kk[1] - 1) * d[1] + 1)) / s[1] + 1, (int) out);
        int pixelZero = 0;
        if (x.affine() != null) { // uint8 pixels read as they are (see OnnxExport.readsPixels): w' = w · a[c], b' = b + Σ w · b[c]
            float[] a = x.affine()[0], sh = x.affine()[1];
            int perGroup = (int) kdims[1], area = (int) (per / perGroup); // a depthwise kernel's row reads one channel
            long outPerGroup = out / groups;
            k = k.clone();
            for (int o = 0; o < out; o++)
                for (int i = 0, ch = (int) (o / outPerGroup) * perGroup; i < perGroup; i++, ch++)
                    for (int t = 0; t < area; t++) {
                        int at = (int) (o * per) + i * area + t;
                        b[o] += k[at] * sh[ch];
                        k[at] *= a[ch];
                    }
            hasBias = true;
            int zero = Arrays.stream(pads).allMatch(v -> v == 0) ? 0 : padValue(x);
            if (zero >= 0) { // the int8 convolution pads with the pixels' zero point, which is the value padding needs
                pixelZero = zero;
                x = pixels(x, zero);
            } else {
                x = padPixels(x, pads);
                pads = new long[4];
            }
        }
        List<String> inputs = new ArrayList<>(List.of(x.name()));
        Quantized inputQ = quantization.get(x.name());
        if (int8) { // int8 kernel per output channel; an int32 bias where the input is quantized too
            Int8 kq = int8Weight(kdims, k, (int) out);
            inputs.add(kq.dequantized());
            if (pixelZero != 0) // the convolution reads pixel − zero: the bias adds back zero · Σ w
                for (int o = 0; o < out; o++)
                    for (int i = (int) (o * per); i < (o + 1) * per; i++) b[o] += pixelZero * kq.values()[i] * kq.scales()[o];
            if (inputQ != null && inputQ.means() != null) { // the kernel's rounding, on average, taken back out of the bias
                float[] inside = BiasCorrection.inside(in.height(), in.width(), kk, s, d, p[0], p[2], outShape.height(), outShape.width());
                b = BiasCorrection.corrected(b, k, kq.scales(), inputQ.means(), groups, inside, BiasCorrection.Layout.ROWS);
                hasBias = true;
            }
            if (hasBias) inputs.add(inputQ != null ? int32Bias(b, inputQ, kq) : g.init(new long[] {out}, b));
        } else {
            inputs.add(g.init(kdims, k));
            if (hasBias) inputs.add(g.init(new long[] {out}, b));
        }
        String y = g.op("Conv", inputs, ints("kernel_shape", c.kernel()[0], c.kernel()[1]), ints("strides", s[0], s[1]),
                ints("dilations", d[0], d[1]), attr("group", groups), ints("pads", pads));
        return new V(y, outShape);
    }

    /**
     * A depthwise kernel over a few channels (the pixels' three) as the equivalent dense one, zero off its diagonal:
     * ONNX Runtime's int8 depthwise kernel is made for many channels, and over three it was 4× slower than float's.
     */
    private static float[] denseKernel(float[] k, long[] kdims, int channels) {
        int out = (int) kdims[0], area = (int) (kdims[2] * kdims[3]), multiplier = out / channels;
        float[] dense = new float[out * channels * area];
        for (int o = 0; o < out; o++) System.arraycopy(k, o * area, dense, (o * channels + o / multiplier) * area, area);
        return dense;
    }

    @Override public V convTranspose(V x, V kernel, V bias, Convolution c, int[] outputPadding) {
        Weight kw = kernel.weight();
        long[] kdims = longs(kw.torchShape()); // (in, out / groups, kh, kw), which is ONNX's ConvTranspose layout
        int[] p = c.pads(), s = c.strides(), d = c.dilation(), k = c.kernel();
        List<String> inputs = new ArrayList<>(List.of(x.name(), g.init(kdims, kw.toTorchLayout(kernel.data()))));
        int channels = (int) kdims[1] * c.groups();
        if (bias != null) inputs.add(g.init(new long[] {channels}, bias.data()));
        String y = g.op("ConvTranspose", inputs, ints("kernel_shape", k[0], k[1]), ints("strides", s[0], s[1]), ints("dilations", d[0], d[1]),
                attr("group", c.groups()), ints("pads", p[0], p[2], p[1], p[3]), ints("output_padding", outputPadding[0], outputPadding[1]));
        Shape in = x.shape();
        int h = (in.height() - 1) * s[0] + (k[0] - 1) * d[0] + 1 - p[0] - p[1] + outputPadding[0];
        int w = (in.width() - 1) * s[1] + (k[1] - 1) * d[1] + 1 - p[2] - p[3] + outputPadding[1];
        return new V(y, Shape.image(h, w, channels));
    }

    @Override public V dense(V x, V kernel, V bias) {
        int[] kd = kernel.weight().shape(); // Keras' (in, out) is MatMul's
        long[] dims = {kd[0], kd[1]};
        Quantized xq = int8 && x.shape().dims().length == 1 ? quantization.get(x.name()) : null;
        if (xq != null) { // one Gemm with an int32 bias, which ONNX Runtime runs as its int8 QGemm (a MatMul and an Add it ran in float)
            Int8 kq = int8Weight(dims, kernel.data(), 1);
            List<String> in = new ArrayList<>(List.of(x.name(), kq.dequantized()));
            if (bias != null) in.add(int32Bias(bias.data(), xq, kq));
            return new V(g.op("Gemm", in), new Shape(kd[1]));
        }
        String y = x.image() ? g.op("Transpose", List.of(x.name()), ints("perm", 0, 2, 3, 1)) : x.name();
        y = g.op("MatMul", List.of(y, int8 ? int8Weight(dims, kernel.data(), 1).dequantized() : g.init(dims, kernel.data())));
        if (bias != null) y = g.op("Add", List.of(y, g.init(new long[] {kd[1]}, bias.data())));
        if (x.image()) y = g.op("Transpose", List.of(y), ints("perm", 0, 3, 1, 2));
        int[] sd = x.shape().dims().clone();
        sd[sd.length - 1] = kd[1];
        return new V(y, new Shape(sd));
    }

    // ---- pooling and shapes ------------------------------------------------------------------------------------

    @Override public V pool(V x, boolean max, int[] k, int[] s, int[] p) {
        String y = g.op(max ? "MaxPool" : "AveragePool", List.of(x.name()), ints("kernel_shape", k[0], k[1]), ints("strides", s[0], s[1]),
                ints("pads", p[0], p[2], p[1], p[3]), max ? null : attr("count_include_pad", 0));
        Shape in = x.shape();
        return new V(y, Shape.image((in.height() + p[0] + p[1] - k[0]) / s[0] + 1, (in.width() + p[2] + p[3] - k[1]) / s[1] + 1, in.channels()));
    }

    @Override public V globalPool(V x, boolean max, boolean keepDims) {
        String y = g.op(max ? "GlobalMaxPool" : "GlobalAveragePool", List.of(x.name()));
        Quantized q = quantization.get(x.name());
        if (q != null) { // a mean or max stays in its input's range: quantized as it is, ONNX Runtime pools the uint8 values as they lie
            y = g.op("DequantizeLinear", List.of(g.op("QuantizeLinear", List.of(y, q.scaleName(), q.zeroName())), q.scaleName(), q.zeroName()));
            quantization.put(y, new Quantized(q.scale(), q.scaleName(), q.zeroName()));
        }
        int c = x.shape().channels();
        return keepDims ? new V(y, Shape.image(1, 1, c)) : new V(g.op("Flatten", List.of(y), attr("axis", 1)), new Shape(c));
    }

    @Override public V pad(V x, int[] a) {
        Shape s = x.shape();
        return new V(g.op("Pad", List.of(x.name(), g.longs(0, 0, a[0], a[2], 0, 0, a[1], a[3]))),
                Shape.image(s.height() + a[0] + a[1], s.width() + a[2] + a[3], s.channels()));
    }

    @Override public V crop(V x, int[] a) {
        Shape s = x.shape();
        String y = g.op("Slice", List.of(x.name(), g.longs(a[0], a[2]), g.longs(s.height() - a[1], s.width() - a[3]), g.longs(2, 3)));
        return new V(y, Shape.image(s.height() - a[0] - a[1], s.width() - a[2] - a[3], s.channels()));
    }

    /** Nearest: each pixel repeated (asymmetric coordinates, floor); bilinear: half-pixel centres, as TensorFlow's resize. */
    @Override public V upsample(V x, int[] size, boolean bilinear) {
        Shape s = x.shape();
        String scales = g.init(new long[] {4}, new float[] {1, 1, size[0], size[1]});
        String y = g.op("Resize", List.of(x.name(), "", scales), attrS("mode", bilinear ? "linear" : "nearest"),
                attrS("coordinate_transformation_mode", bilinear ? "half_pixel" : "asymmetric"), bilinear ? null : attrS("nearest_mode", "floor"));
        return new V(y, Shape.image(s.height() * size[0], s.width() * size[1], s.channels()));
    }

    @Override public V reshape(V x, Shape to) {
        long[] shape = new long[to.dims().length + 1];
        shape[0] = -1;
        for (int i = 0; i < to.dims().length; i++) shape[i + 1] = to.dims()[i];
        return new V(fromKeras(g.op("Reshape", List.of(toKeras(x), g.longs(shape))), to), to);
    }

    @Override public V permute(V x, int[] d) {
        long[] perm = new long[d.length + 1];
        int[] out = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            perm[i + 1] = d[i];
            out[i] = x.shape().dims()[d[i] - 1];
        }
        Shape to = new Shape(out);
        return new V(fromKeras(g.op("Transpose", List.of(toKeras(x)), ints("perm", perm)), to), to);
    }

    @Override public V concat(List<V> xs, int axis) {
        V x = xs.get(0);
        int rank = x.shape().dims().length;
        int[] d = x.shape().dims().clone();
        for (int i = 1; i < xs.size(); i++) d[axis] += xs.get(i).shape().dims()[axis];
        String y = g.op("Concat", xs.stream().map(v -> in(v, x)).toList(), attr("axis", rank == 3 ? new int[] {2, 3, 1}[axis] : axis + 1));
        return new V(y, new Shape(d));
    }

    @Override public V dropout(V x, double rate, boolean channels) { return x; } // inference only

    private String toKeras(V x) { return x.image() ? g.op("Transpose", List.of(x.name()), ints("perm", 0, 2, 3, 1)) : x.name(); }

    private String fromKeras(String y, Shape out) { return out.isImage() ? g.op("Transpose", List.of(y), ints("perm", 0, 3, 1, 2)) : y; }

    // ---- element by element ------------------------------------------------------------------------------------

    private interface Fold {
        float apply(float a, float b);
    }

    /** A binary node, or the result itself where both sides are constants. */
    private V binary(String type, V a, V b, Fold fold) {
        if (a.data() != null && b.data() != null && isVector(a) && isVector(b)) {
            int n = Math.max(a.data().length, b.data().length);
            float[] r = new float[n];
            for (int i = 0; i < n; i++) r[i] = fold.apply(a.data()[a.data().length == 1 ? 0 : i], b.data()[b.data().length == 1 ? 0 : i]);
            return new V(null, new Shape(n), null, r, null);
        }
        V shaped = a.data() == null ? a : b;
        return new V(g.op(type, List.of(in(a, shaped), in(b, shaped))), shaped.shape());
    }

    private static boolean isVector(V v) { return v.weight() == null || v.weight().layout() == Weight.Layout.VECTOR; }

    @Override public V add(V a, V b) { return binary("Add", a, b, Float::sum); }

    @Override public V subtract(V a, V b) { return binary("Sub", a, b, (p, q) -> p - q); }

    @Override public V multiply(V a, V b) { return binary("Mul", a, b, (p, q) -> p * q); }

    @Override public V divide(V a, V b) { return binary("Div", a, b, (p, q) -> p / q); }

    @Override public V maximum(V a, V b) { return binary("Max", a, b, Math::max); }

    @Override public V sqrt(V x) {
        if (x.data() == null) return new V(g.op("Sqrt", List.of(x.name())), x.shape());
        float[] r = new float[x.data().length];
        for (int i = 0; i < r.length; i++) r[i] = (float) Math.sqrt(x.data()[i]);
        return new V(null, x.shape(), null, r, null);
    }

    @Override public V activation(V v, Activation a) {
        String x = v.name();
        String y = switch (a) {
            case LINEAR -> x;
            case RELU -> g.op("Relu", List.of(x));
            case RELU6 -> g.op("Clip", List.of(x, g.scalar(0), g.scalar(6)));
            case SOFTMAX -> g.op("Softmax", List.of(x), attr("axis", v.image() ? 1 : -1));
            case SIGMOID -> g.op("Sigmoid", List.of(x));
            case TANH -> g.op("Tanh", List.of(x));
            case SILU -> g.op("Mul", List.of(x, g.op("Sigmoid", List.of(x))));
            case HARD_SILU -> g.op("HardSwish", List.of(x));
            case HARD_SIGMOID -> g.op("HardSigmoid", List.of(x), attrF("alpha", 1f / 6), attrF("beta", 0.5f));
            case GELU -> g.op("Mul", List.of(g.op("Mul", List.of(x, g.scalar(0.5f))),
                    g.op("Add", List.of(g.scalar(1), g.op("Erf", List.of(g.op("Div", List.of(x, g.scalar((float) Math.sqrt(2))))))))));
            case ELU -> g.op("Elu", List.of(x));
            case SELU -> g.op("Selu", List.of(x));
            case SOFTPLUS -> g.op("Softplus", List.of(x));
            case LEAKY_RELU -> g.op("LeakyRelu", List.of(x), attrF("alpha", 0.2f));
        };
        return new V(y, v.shape());
    }

    @Override public V relu(V x, double max, double slope, double threshold) {
        if (threshold != 0) throw new UnsupportedOperationException("a threshold other than 0");
        if (slope == 0 && !Double.isNaN(max)) return new V(g.op("Clip", List.of(x.name(), g.scalar(0), g.scalar((float) max))), x.shape()); // ReLU6: one Clip, which int8 kernels absorb
        String y = slope == 0 ? g.op("Relu", List.of(x.name())) : g.op("LeakyRelu", List.of(x.name()), attrF("alpha", (float) slope));
        if (!Double.isNaN(max)) y = g.op("Min", List.of(y, g.scalar((float) max)));
        return new V(y, x.shape());
    }

    // ---- normalization -----------------------------------------------------------------------------------------

    @Override public V batchNorm(V x, V gamma, V beta, V mean, V var, double momentum, double epsilon, boolean training) {
        float[][] ss = BatchNormalization.affine(data(gamma), data(beta), mean.data(), var.data(), epsilon, channels(x));
        return new V(g.op("Add", List.of(g.op("Mul", List.of(x.name(), in(constant(ss[0]), x))), in(constant(ss[1]), x))), x.shape());
    }

    @Override public V layerNorm(V x, V gamma, V beta, double epsilon) {
        int c = channels(x);
        String y = toKeras(x);
        y = g.op("LayerNormalization", List.of(y, g.init(new long[] {c}, gamma == null ? filled(c, 1) : gamma.data()),
                g.init(new long[] {c}, beta == null ? new float[c] : beta.data())), attr("axis", -1), attrF("epsilon", (float) epsilon));
        return new V(fromKeras(y, x.shape()), x.shape());
    }

    /** As InstanceNormalization over (N, groups, rest), then the per-channel scale and shift (opset 17 has no GroupNormalization). */
    @Override public V groupNorm(V x, int groups, V gamma, V beta, double epsilon) {
        int c = channels(x);
        String grouped = g.op("Reshape", List.of(x.name(), g.longs(0, groups, -1)));
        String n = g.op("InstanceNormalization", List.of(grouped, g.init(new long[] {groups}, filled(groups, 1)), g.init(new long[] {groups}, new float[groups])),
                attrF("epsilon", (float) epsilon));
        long[] back = new long[x.shape().dims().length + 1];
        back[1] = c;
        if (x.image()) {
            back[2] = x.shape().height();
            back[3] = x.shape().width();
        } else {
            for (int i = 0; i < back.length - 2; i++) back[i + 1] = x.shape().dims()[i];
            back[back.length - 1] = c;
        }
        V y = new V(g.op("Reshape", List.of(n, g.longs(back))), x.shape());
        if (gamma != null) y = multiply(y, gamma);
        return beta == null ? y : add(y, beta);
    }

    private static float[] data(V v) { return v == null ? null : v.data(); }

    private static int channels(V x) { return x.shape().dims()[x.shape().dims().length - 1]; }

    static float[] filled(int n, float v) {
        float[] f = new float[n];
        Arrays.fill(f, v);
        return f;
    }

    // ---- int8 ---------------------------------------------------------------------------------------------------

    /** int8 values of {@code w} (rows of {@code per}) symmetric per row: round(w / s) with s = max |w| / 127. */
    private static float[] symmetric(float[] w, int per, byte[] q) {
        float[] scales = new float[w.length / per];
        for (int o = 0; o < scales.length; o++) {
            float m = 0;
            for (int i = o * per; i < (o + 1) * per; i++) m = Math.max(m, Math.abs(w[i]));
            scales[o] = m > 0 ? m / 127 : 1;
            for (int i = o * per; i < (o + 1) * per; i++) q[i] = (byte) Math.max(-127, Math.min(127, Math.round(w[i] / scales[o])));
        }
        return scales;
    }

    /** An int8 kernel: its DequantizeLinear's output, the scale per row and the initializer holding them, and the int8 values. */
    private record Int8(String dequantized, float[] scales, String scaleName, byte[] values) {}

    /**
     * A kernel (rows: output channels, or one row per tensor) as int8 and its DequantizeLinear. Per channel the zero
     * point, 0, is left out (ONNX's default), which saves a byte a channel.
     */
    private Int8 int8Weight(long[] dims, float[] w, int rows) {
        byte[] q = new byte[w.length];
        float[] scales = symmetric(w, w.length / rows, q);
        String data = g.raw(dims, 3, q);
        if (rows == 1) {
            String scale = g.scalar(scales[0]);
            return new Int8(g.op("DequantizeLinear", List.of(data, scale, g.raw(new long[0], 3, new byte[1]))), scales, scale, q); // Gemm fusion wants its zero point
        }
        String scale = g.init(new long[] {rows}, scales);
        return new Int8(g.op("DequantizeLinear", List.of(data, scale), attr("axis", 0)), scales, scale, q);
    }

    /**
     * A bias as int32 at scale inputScale · weightScale[o] (zero point 0), as ONNX Runtime's int8 convolution and Gemm
     * read it. The scales are a Mul of the two that ONNX Runtime folds as it loads the file: a float a channel less in the file.
     */
    private String int32Bias(float[] b, Quantized input, Int8 kernel) {
        ByteBuffer q = ByteBuffer.allocate(4 * b.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int o = 0; o < b.length; o++) {
            float scale = input.scale() * kernel.scales()[kernel.scales().length == 1 ? 0 : o]; // in float, as the Mul computes it
            q.putInt((int) Math.max(Integer.MIN_VALUE + 1, Math.min(Integer.MAX_VALUE, Math.round((double) b[o] / scale))));
        }
        String scales = g.op("Mul", List.of(kernel.scaleName(), input.scaleName()));
        String values = g.raw(new long[] {b.length}, 6, q.array());
        if (kernel.scales().length == 1) return g.op("DequantizeLinear", List.of(values, scales));
        return g.op("DequantizeLinear", List.of(values, scales), attr("axis", 0));
    }

    /** The pixel value that the pixels' scaling takes to 0, when it is the same in every channel; else -1. */
    private static int padValue(V x) {
        int v = -1;
        for (int ch = 0; ch < x.affine()[0].length; ch++) {
            int c = (int) Math.round(-x.affine()[1][ch] / x.affine()[0][ch]);
            if (ch > 0 && c != v) return -1;
            v = c;
        }
        return v;
    }

    /** uint8 pixels read with scale 1 and zero point {@code zero}, what the int8 convolution takes. */
    private V pixels(V x, int zero) {
        Quantized q = new Quantized(1, g.scalar(1), g.raw(new long[0], 2, new byte[] {(byte) zero}));
        String dq = g.op("DequantizeLinear", List.of(x.name(), q.scaleName(), q.zeroName()));
        quantization.put(dq, q);
        return new V(dq, x.shape());
    }

    /**
     * uint8 pixels padded per channel with the pixel value nearest the one their scaling takes to 0, for channels that
     * need different values (one zero point cannot pad them), then read as uint8 with scale 1.
     */
    private V padPixels(V x, long[] pads) {
        int c = x.affine()[0].length;
        String padding = g.longs(0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]);
        List<String> parts = new ArrayList<>();
        for (int ch = 0; ch < c; ch++) {
            byte value = (byte) Math.round(-x.affine()[1][ch] / x.affine()[0][ch]);
            String one = g.op("Slice", List.of(x.name(), g.longs(ch), g.longs(ch + 1), g.longs(1)));
            parts.add(g.op("Pad", List.of(one, padding, g.raw(new long[0], 2, new byte[] {value}))));
        }
        Shape s = x.shape();
        return pixels(new V(g.op("Concat", parts, attr("axis", 1)), Shape.image(s.height() + (int) (pads[0] + pads[2]),
                s.width() + (int) (pads[1] + pads[3]), s.channels())), 0);
    }
}
