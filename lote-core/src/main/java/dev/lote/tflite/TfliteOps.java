package dev.lote.tflite;

import dev.lote.wire.FlatBuffer;
import dev.lote.wire.FlatBuffer.Table;
import dev.lote.nn.Activation;
import dev.lote.nn.BatchNormalization;
import dev.lote.nn.Ops;
import dev.lote.nn.Padding;
import dev.lote.nn.Shape;
import dev.lote.nn.Weight;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link Ops} as TensorFlow Lite built-in operators (float32). TFLite is NHWC, Keras' own order, so values need no
 * transposes; kernels are laid out as TFLite wants them here. An operation TFLite's built-ins cannot express throws
 * {@link UnsupportedOperationException} with the reason, which the writer names the layer in.
 */
final class TfliteOps implements Ops<TfliteOps.V> {
    /** A tensor index and the Keras shape of one sample; a constant has {@code data} (Keras' layout, {@code weight} says which) and no index yet. */
    record V(int index, Shape shape, float[] data, Weight weight) {
        V(int index, Shape shape) { this(index, shape, null, null); }

        boolean image() { return shape.isImage(); }
    }

    /** An operator; {@code fusedField}: where its options take a fused activation (-1: none), set by the ReLU pass. */
    static final class Op {
        final int code, optionsType, fusedField;
        int[] inputs;
        int output;
        Table options;
        int fused;
        /** A convolution's: the value it reads before any padding, and {kh, kw, stride h, w, dilation h, w, pad top, left}. */
        int source = -1;
        int[] window;

        Op(int code, int[] inputs, int output, int optionsType, Table options, int fusedField) {
            this.code = code;
            this.inputs = inputs;
            this.output = output;
            this.optionsType = optionsType;
            this.options = options;
            this.fusedField = fusedField;
        }
    }

    // BuiltinOperator codes and BuiltinOptions union indices of TFLite's schema
    static final int ADD = 0, AVERAGE_POOL_2D = 1, CONCATENATION = 2, CONV_2D = 3, DEPTHWISE_CONV_2D = 4, FULLY_CONNECTED = 9, LOGISTIC = 14,
            MAX_POOL_2D = 17, MUL = 18, RELU = 19, RELU6 = 21, RESHAPE = 22, RESIZE_BILINEAR = 23, SOFTMAX = 25, TANH = 28, PAD = 34,
            TRANSPOSE = 39, MEAN = 40, SUB = 41, DIV = 42, MAXIMUM = 55, MINIMUM = 57, SLICE = 65, TRANSPOSE_CONV = 67, SQRT = 75,
            REDUCE_MAX = 82, RESIZE_NEAREST = 97, LEAKY_RELU = 98, ELU = 111, HARD_SWISH = 117, GELU = 150;
    static final int CONV_OPTIONS = 1, DEPTHWISE_OPTIONS = 2, POOL_OPTIONS = 5, FC_OPTIONS = 8, SOFTMAX_OPTIONS = 9, CONCAT_OPTIONS = 10,
            ADD_OPTIONS = 11, RESIZE_BILINEAR_OPTIONS = 15, MUL_OPTIONS = 21, REDUCER_OPTIONS = 27, SUB_OPTIONS = 28, DIV_OPTIONS = 29,
            TRANSPOSE_CONV_OPTIONS = 49, RESIZE_NEAREST_OPTIONS = 74, LEAKY_RELU_OPTIONS = 75, GELU_OPTIONS = 116;
    static final int QUANTIZE = 114, DEQUANTIZE = 6;
    static final int FLOAT32 = 0, INT32 = 2, INT8 = 9;
    static final int FUSED_RELU = 1, FUSED_RELU6 = 3;

    /** A tensor as the file describes it; the int8 pass ({@link Int8Graph}) gives some a type and quantization of their own. */
    static final class Tensor {
        String name;
        final int[] shape, signature;
        int type, buffer;
        final float[] values; // a float constant's values (what int8 quantizes), else null
        float[] scale; // with zeroPoint and axis: the quantization (real = scale · (q − zero point)), else null
        long[] zeroPoint;
        int axis;

        Tensor(String name, int[] shape, int[] signature, int type, int buffer, float[] values) {
            this.name = name;
            this.shape = shape;
            this.signature = signature;
            this.type = type;
            this.buffer = buffer;
            this.values = values;
        }

        /** A value computed by an operator (or the graph's input), not a constant. */
        boolean computed() { return buffer == 0; }

        Table table() {
            Table t = new Table().ref(0, FlatBuffer.ints(shape)).i8(1, type).i32(2, buffer).ref(3, name);
            if (scale != null) {
                ByteBuffer s = ByteBuffer.allocate(4 * scale.length).order(ByteOrder.LITTLE_ENDIAN), z = ByteBuffer.allocate(8 * zeroPoint.length)
                        .order(ByteOrder.LITTLE_ENDIAN);
                for (float f : scale) s.putFloat(f);
                for (long l : zeroPoint) z.putLong(l);
                t.ref(4, new Table().ref(2, new FlatBuffer.Scalars(s.array(), scale.length, 4)).ref(3, new FlatBuffer.Scalars(z.array(), zeroPoint.length, 8))
                        .i32(6, axis));
            }
            if (signature != null) t.ref(7, FlatBuffer.ints(signature));
            return t;
        }
    }

    final List<Tensor> tensors = new ArrayList<>();
    final List<Table> buffers = new ArrayList<>();
    final List<Op> operators = new ArrayList<>();

    TfliteOps() { buffers.add(new Table()); } // buffer 0: the empty one every tensor without data points to

    static V weight(Weight w, float[] data) { return new V(-1, new Shape(w.shape()), data, w); }

    @Override public Shape shape(V x) { return x.shape(); }

    @Override public V constant(float... values) { return new V(-1, new Shape(values.length), values.clone(), null); }

    /** A value's tensor; a constant becomes one (a vector over the last axis broadcasts over NHWC as it is). */
    private int in(V v) {
        if (v.data() == null) return v.index();
        if (v.weight() != null && v.weight().layout() != Weight.Layout.VECTOR) throw new IllegalStateException("a kernel used as a value");
        return constant(v.data(), new int[] {v.data().length}).index();
    }

    // ---- convolutions ------------------------------------------------------------------------------------------

    /** TFLite's padding modes. */
    private static final int SAME = 0, VALID = 1;

    /** Explicit padding as TFLite's SAME or VALID where it is one of them; -1 where it is neither (a PAD goes first). */
    private static int padding(V x, int[] k, int[] s, int[] d, int[] p) {
        Shape in = x.shape();
        int[] sh = Padding.SAME.amounts(in.height(), (k[0] - 1) * d[0] + 1, s[0]), sw = Padding.SAME.amounts(in.width(), (k[1] - 1) * d[1] + 1, s[1]);
        if (p[0] + p[1] + p[2] + p[3] == 0) return VALID;
        return Arrays.equals(p, new int[] {sh[0], sh[1], sw[0], sw[1]}) ? SAME : -1;
    }

    @Override public V conv(V x, V kernel, V bias, Convolution c) {
        int[] k = c.kernel(), s = c.strides(), d = c.dilation();
        int[] ks = kernel.weight().shape(); // Keras (kh, kw, in / groups, out) or depthwise (kh, kw, C, M)
        boolean depthwise = kernel.weight().layout() == Weight.Layout.DEPTHWISE_KERNEL;
        int in = x.shape().channels();
        if (!depthwise && c.groups() != 1) throw new UnsupportedOperationException("grouped convolution");
        int o = depthwise ? ks[2] * ks[3] : ks[3], area = k[0] * k[1];
        float[] w = kernel.data(), t;
        int[] dims;
        if (depthwise) { // [kh, kw, C, M] is already [1, kh, kw, C · M]
            t = w;
            dims = new int[] {1, k[0], k[1], o};
        } else { // [kh, kw, in, out] → [out, kh, kw, in]
            t = new float[w.length];
            for (int p = 0; p < area; p++) for (int i = 0; i < in; i++) for (int ch = 0; ch < o; ch++) t[(ch * area + p) * in + i] = w[(p * in + i) * o + ch];
            dims = new int[] {o, k[0], k[1], in};
        }
        int mode = padding(x, k, s, d, c.pads());
        V px = mode >= 0 ? x : pad(x, c.pads());
        if (mode < 0) mode = VALID;
        Table options = new Table().i8(0, mode).i32(1, s[1]).i32(2, s[0]);
        if (depthwise) options.i32(3, ks[3]).i32(5, d[1]).i32(6, d[0]);
        else options.i32(4, d[1]).i32(5, d[0]);
        int[] p = c.pads();
        Shape out = Shape.image((x.shape().height() + p[0] + p[1] - ((k[0] - 1) * d[0] + 1)) / s[0] + 1,
                (x.shape().width() + p[2] + p[3] - ((k[1] - 1) * d[1] + 1)) / s[1] + 1, o);
        V y = op(depthwise ? DEPTHWISE_CONV_2D : CONV_2D, List.of(px.index(), constant(t, dims).index(),
                constant(bias == null ? new float[o] : bias.data(), new int[] {o}).index()), out, depthwise ? DEPTHWISE_OPTIONS : CONV_OPTIONS,
                options, depthwise ? 4 : 3);
        Op made = operators.get(operators.size() - 1);
        made.source = x.index();
        made.window = new int[] {k[0], k[1], s[0], s[1], d[0], d[1], p[0], p[2]};
        return y;
    }

    /** VALID transposed convolution to the full size, then cropped or grown and the bias added (TFLite's own padding is SAME or VALID only). */
    @Override public V convTranspose(V x, V kernel, V bias, Convolution c, int[] grow) {
        int[] k = c.kernel(), s = c.strides(), d = c.dilation(), p = c.pads(), ks = kernel.weight().shape(); // (kh, kw, out, in)
        if (d[0] != 1 || d[1] != 1) throw new UnsupportedOperationException("a dilated transposed convolution");
        int out = ks[2], in = ks[3], area = k[0] * k[1];
        float[] w = kernel.data(), t = new float[w.length]; // → [out, kh, kw, in]
        for (int q = 0; q < area; q++) for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) t[(o * area + q) * in + i] = w[(q * out + o) * in + i];
        Shape sh = x.shape();
        int fh = (sh.height() - 1) * s[0] + k[0], fw = (sh.width() - 1) * s[1] + k[1];
        V full = op(TRANSPOSE_CONV, List.of(intConstant(new int[] {1, fh, fw, out}).index(), constant(t, new int[] {out, k[0], k[1], in}).index(), x.index()),
                Shape.image(fh, fw, out), TRANSPOSE_CONV_OPTIONS, new Table().i8(0, 1).i32(1, s[1]).i32(2, s[0]), -1);
        V y = full;
        if (p[0] + p[1] + p[2] + p[3] > 0) y = crop(y, p);
        if (grow[0] + grow[1] > 0) y = pad(y, new int[] {0, grow[0], 0, grow[1]});
        return bias == null ? y : add(y, bias);
    }

    @Override public V dense(V x, V kernel, V bias) {
        int[] ks = kernel.weight().shape();
        int fanIn = ks[0], units = ks[1];
        float[] k = kernel.data(), t = new float[k.length]; // Keras [in, out] → TFLite [out, in]
        for (int i = 0; i < fanIn; i++) for (int o = 0; o < units; o++) t[o * fanIn + i] = k[i * units + o];
        int[] d = x.shape().dims().clone();
        d[d.length - 1] = units;
        return op(FULLY_CONNECTED, List.of(x.index(), constant(t, new int[] {units, fanIn}).index(),
                constant(bias == null ? new float[units] : bias.data(), new int[] {units}).index()), new Shape(d), FC_OPTIONS,
                new Table().i8(2, d.length > 1 ? 1 : 0), 0); // keep_num_dims: on the last axis of an image
    }

    // ---- pooling and shapes ------------------------------------------------------------------------------------

    @Override public V pool(V x, boolean max, int[] k, int[] s, int[] p) {
        int mode = padding(x, k, s, new int[] {1, 1}, p);
        if (mode < 0) throw new UnsupportedOperationException("pooling padding other than 'same' or 'valid'");
        Shape in = x.shape();
        Shape out = Shape.image((in.height() + p[0] + p[1] - k[0]) / s[0] + 1, (in.width() + p[2] + p[3] - k[1]) / s[1] + 1, in.channels());
        return op(max ? MAX_POOL_2D : AVERAGE_POOL_2D, List.of(x.index()), out, POOL_OPTIONS,
                new Table().i8(0, mode).i32(1, s[1]).i32(2, s[0]).i32(3, k[1]).i32(4, k[0]), -1);
    }

    @Override public V globalPool(V x, boolean max, boolean keepDims) {
        int c = x.shape().channels();
        return op(max ? REDUCE_MAX : MEAN, List.of(x.index(), intConstant(new int[] {1, 2}).index()), keepDims ? Shape.image(1, 1, c) : new Shape(c),
                REDUCER_OPTIONS, new Table().i8(0, keepDims ? 1 : 0), -1);
    }

    @Override public V pad(V x, int[] a) {
        Shape s = x.shape();
        return op(PAD, List.of(x.index(), intConstant(new int[] {0, 0, a[0], a[1], a[2], a[3], 0, 0}, 4, 2).index()),
                Shape.image(s.height() + a[0] + a[1], s.width() + a[2] + a[3], s.channels()), 0, null, -1);
    }

    @Override public V crop(V x, int[] a) {
        Shape s = x.shape(), out = Shape.image(s.height() - a[0] - a[1], s.width() - a[2] - a[3], s.channels());
        return op(SLICE, List.of(x.index(), intConstant(new int[] {0, a[0], a[2], 0}).index(), intConstant(new int[] {-1, out.height(), out.width(), -1}).index()),
                out, 0, null, -1);
    }

    @Override public V upsample(V x, int[] size, boolean bilinear) {
        Shape s = x.shape(), out = Shape.image(s.height() * size[0], s.width() * size[1], s.channels());
        return op(bilinear ? RESIZE_BILINEAR : RESIZE_NEAREST, List.of(x.index(), intConstant(new int[] {out.height(), out.width()}).index()), out,
                bilinear ? RESIZE_BILINEAR_OPTIONS : RESIZE_NEAREST_OPTIONS, new Table().i8(bilinear ? 3 : 1, 1), -1); // half_pixel_centers, as TensorFlow resizes
    }

    @Override public V reshape(V x, Shape to) {
        int[] shape = new int[to.dims().length + 1];
        shape[0] = -1;
        for (int i = 0; i < to.dims().length; i++) shape[i + 1] = to.dims()[i];
        return op(RESHAPE, List.of(x.index(), intConstant(shape).index()), to, 0, null, -1);
    }

    @Override public V permute(V x, int[] d) {
        int[] perm = new int[d.length + 1], out = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            perm[i + 1] = d[i];
            out[i] = x.shape().dims()[d[i] - 1];
        }
        return op(TRANSPOSE, List.of(x.index(), intConstant(perm).index()), new Shape(out), 0, null, -1);
    }

    @Override public V concat(List<V> xs, int axis) {
        int[] d = xs.get(0).shape().dims().clone();
        for (int i = 1; i < xs.size(); i++) d[axis] += xs.get(i).shape().dims()[axis];
        return op(CONCATENATION, xs.stream().map(this::in).toList(), new Shape(d), CONCAT_OPTIONS, new Table().i32(0, axis + 1), -1);
    }

    @Override public V dropout(V x, double rate, boolean channels) { return x; } // inference only

    // ---- element by element ------------------------------------------------------------------------------------

    private interface Fold {
        float apply(float a, float b);
    }

    private V binary(int code, int options, V a, V b, Fold fold) {
        if (a.data() != null && b.data() != null) {
            int n = Math.max(a.data().length, b.data().length);
            float[] r = new float[n];
            for (int i = 0; i < n; i++) r[i] = fold.apply(a.data()[a.data().length == 1 ? 0 : i], b.data()[b.data().length == 1 ? 0 : i]);
            return new V(-1, new Shape(n), r, null);
        }
        V shaped = a.data() == null ? a : b;
        return op(code, List.of(in(a), in(b)), shaped.shape(), options, options == 0 ? null : new Table(), -1);
    }

    @Override public V add(V a, V b) { return binary(ADD, ADD_OPTIONS, a, b, Float::sum); }

    @Override public V subtract(V a, V b) { return binary(SUB, SUB_OPTIONS, a, b, (p, q) -> p - q); }

    @Override public V multiply(V a, V b) { return binary(MUL, MUL_OPTIONS, a, b, (p, q) -> p * q); }

    @Override public V divide(V a, V b) { return binary(DIV, DIV_OPTIONS, a, b, (p, q) -> p / q); }

    @Override public V maximum(V a, V b) { return binary(MAXIMUM, 0, a, b, Math::max); }

    @Override public V sqrt(V x) {
        if (x.data() == null) return op(SQRT, List.of(x.index()), x.shape(), 0, null, -1);
        float[] r = new float[x.data().length];
        for (int i = 0; i < r.length; i++) r[i] = (float) Math.sqrt(x.data()[i]);
        return new V(-1, x.shape(), r, null);
    }

    private V unary(int code, V x) { return op(code, List.of(x.index()), x.shape(), 0, null, -1); }

    @Override public V activation(V x, Activation a) {
        return switch (a) {
            case LINEAR -> x;
            case RELU -> unary(RELU, x);
            case RELU6 -> unary(RELU6, x);
            case SOFTMAX -> op(SOFTMAX, List.of(x.index()), x.shape(), SOFTMAX_OPTIONS, new Table().f32(0, 1), -1);
            case SIGMOID -> unary(LOGISTIC, x);
            case TANH -> unary(TANH, x);
            case HARD_SILU -> unary(HARD_SWISH, x);
            case HARD_SIGMOID -> multiply(unary(RELU6, add(x, constant(3))), constant(1f / 6)); // relu6(x + 3) / 6, as Keras defines it
            case SILU -> multiply(x, unary(LOGISTIC, x));
            case GELU -> op(GELU, List.of(x.index()), x.shape(), GELU_OPTIONS, new Table().i8(0, 0), -1);
            case ELU -> unary(ELU, x);
            case LEAKY_RELU -> op(LEAKY_RELU, List.of(x.index()), x.shape(), LEAKY_RELU_OPTIONS, new Table().f32(0, 0.2f), -1);
            case SELU, SOFTPLUS -> throw new UnsupportedOperationException("the activation " + a.keras());
        };
    }

    @Override public V relu(V x, double max, double slope, double threshold) {
        if (threshold != 0) throw new UnsupportedOperationException("a threshold other than 0");
        boolean capped = !Double.isNaN(max);
        if (slope == 0 && capped && max == 6) return unary(RELU6, x);
        V y = slope == 0 ? unary(RELU, x) : op(LEAKY_RELU, List.of(x.index()), x.shape(), LEAKY_RELU_OPTIONS, new Table().f32(0, (float) slope), -1);
        return capped ? op(MINIMUM, List.of(y.index(), in(constant((float) max))), x.shape(), 0, null, -1) : y;
    }

    // ---- normalization -----------------------------------------------------------------------------------------

    @Override public V batchNorm(V x, V gamma, V beta, V mean, V var, double momentum, double epsilon, boolean training) {
        float[][] ss = BatchNormalization.affine(data(gamma), data(beta), mean.data(), var.data(), epsilon, x.shape().dims()[x.shape().dims().length - 1]);
        return add(multiply(x, constant(ss[0])), constant(ss[1]));
    }

    /** (x − mean) / √(variance + ε) over {@code axes} (of the batched tensor), as TFLite has no normalization operator. */
    private V normalize(V x, int[] axes, double epsilon) {
        V mean = op(MEAN, List.of(x.index(), intConstant(axes).index()), x.shape(), REDUCER_OPTIONS, new Table().i8(0, 1), -1);
        V centred = subtract(x, mean);
        V variance = op(MEAN, List.of(multiply(centred, centred).index(), intConstant(axes).index()), x.shape(), REDUCER_OPTIONS, new Table().i8(0, 1), -1);
        return divide(centred, sqrt(add(variance, constant((float) epsilon))));
    }

    @Override public V layerNorm(V x, V gamma, V beta, double epsilon) {
        V y = normalize(x, new int[] {x.shape().dims().length}, epsilon);
        if (gamma != null) y = multiply(y, gamma);
        return beta == null ? y : add(y, beta);
    }

    @Override public V groupNorm(V x, int groups, V gamma, V beta, double epsilon) {
        if (!x.image()) throw new UnsupportedOperationException("group normalization of a non-image");
        Shape s = x.shape();
        int c = s.channels();
        V grouped = reshape(x, new Shape(s.height(), s.width(), groups, c / groups));
        V n = normalize(grouped, new int[] {1, 2, 4}, epsilon);
        V y = reshape(n, s);
        if (gamma != null) y = multiply(y, gamma);
        return beta == null ? y : add(y, beta);
    }

    private static float[] data(V v) { return v == null ? null : v.data(); }

    // ---- tensors and operators -----------------------------------------------------------------------------------

    V op(int code, List<Integer> inputs, Shape out, int optionsType, Table options, int fusedField) {
        V y = tensor("t" + tensors.size(), out, FLOAT32, 0);
        operators.add(new Op(code, inputs.stream().mapToInt(Integer::intValue).toArray(), y.index(), optionsType, options, fusedField));
        return y;
    }

    /** A tensor of one sample's shape with a batch dimension of 1 that may be resized ([-1, …] in its signature). */
    V tensor(String name, Shape s, int type, int buffer) {
        int[] dims = s.dims(), shape = new int[dims.length + 1], signature = new int[dims.length + 1];
        shape[0] = 1;
        signature[0] = -1;
        for (int i = 0; i < dims.length; i++) shape[i + 1] = signature[i + 1] = dims[i];
        return add(name, shape, signature, type, buffer, s, null);
    }

    private V add(String name, int[] shape, int[] signature, int type, int buffer, Shape s, float[] values) {
        tensors.add(new Tensor(name, shape, signature, type, buffer, values));
        return new V(tensors.size() - 1, s);
    }

    /** A new tensor shaped as tensor {@code like}, of {@code type}, computed by an operator. */
    int twin(int like, int type) {
        Tensor t = tensors.get(like);
        tensors.add(new Tensor(t.name + (type == INT8 ? "/int8" : "/float"), t.shape, t.signature, type, 0, null));
        return tensors.size() - 1;
    }

    V constant(float[] v, int[] dims) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return add("c" + tensors.size(), dims, null, FLOAT32, buffer(b.array()), null, v);
    }

    private V intConstant(int[] v, int... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int f : v) b.putInt(f);
        return add("c" + tensors.size(), dims.length == 0 ? new int[] {v.length} : dims, null, INT32, buffer(b.array()), null, null);
    }

    int buffer(byte[] data) {
        buffers.add(new Table().ref(0, FlatBuffer.bytes(data, 16)));
        return buffers.size() - 1;
    }

    /** Buffer {@code index}'s data replaced (a constant quantized: its float values leave the file). */
    void rewrite(int index, byte[] data) { buffers.set(index, new Table().ref(0, FlatBuffer.bytes(data, 16))); }
}
