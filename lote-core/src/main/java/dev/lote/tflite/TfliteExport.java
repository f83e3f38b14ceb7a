package dev.lote.tflite;

import dev.lote.io.AtomicFile;
import dev.lote.io.FlatBuffer;
import dev.lote.io.FlatBuffer.Table;
import dev.lote.nn.Activation;
import dev.lote.nn.ActivationLayer;
import dev.lote.nn.AveragePooling2D;
import dev.lote.nn.BatchNormalization;
import dev.lote.nn.Conv2D;
import dev.lote.nn.Dense;
import dev.lote.nn.DepthwiseConv2D;
import dev.lote.nn.Dropout;
import dev.lote.nn.Flatten;
import dev.lote.nn.GlobalAveragePooling2D;
import dev.lote.nn.InputLayer;
import dev.lote.nn.Layer;
import dev.lote.nn.MaxPooling2D;
import dev.lote.nn.Merge;
import dev.lote.nn.Model;
import dev.lote.nn.Normalization;
import dev.lote.nn.Padding;
import dev.lote.nn.Pooling2D;
import dev.lote.nn.ReLU;
import dev.lote.nn.Rescaling;
import dev.lote.nn.SeparableConv2D;
import dev.lote.nn.Shape;
import dev.lote.nn.ZeroPadding2D;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a model as a TensorFlow Lite flatbuffer (schema version 3), float32: input {@code pixels} [batch, height,
 * width, 3] as floats 0–255 (the model's own pixel scaling inside), output {@code probabilities} [batch, classes].
 * TFLite is NHWC as Keras is, so kernels keep Keras' order but for the output channel first; batch normalization is
 * folded into the convolution before it and ReLU/ReLU6 fused into it, as TensorFlow's converter does.
 */
public final class TfliteExport {
    /** A layer kind or setting TFLite's built-in operators cannot express here. */
    public static final class UnsupportedLayerException extends IllegalArgumentException {
        UnsupportedLayerException(Layer l, String why) { super("Layer '" + l.name() + "' (" + l.className() + ") cannot be exported to TFLite: " + why + "."); }
    }

    // BuiltinOperator codes and BuiltinOptions union indices of TFLite's schema
    private static final int ADD = 0, AVERAGE_POOL_2D = 1, CONCATENATION = 2, CONV_2D = 3, DEPTHWISE_CONV_2D = 4, FULLY_CONNECTED = 9,
            LOGISTIC = 14, MAX_POOL_2D = 17, MUL = 18, RELU = 19, RELU6 = 21, RESHAPE = 22, SOFTMAX = 25, TANH = 28, PAD = 34, MEAN = 40,
            SUB = 41, LEAKY_RELU = 98, HARD_SWISH = 117;
    private static final int CONV_OPTIONS = 1, DEPTHWISE_OPTIONS = 2, POOL_OPTIONS = 5, FC_OPTIONS = 8, SOFTMAX_OPTIONS = 9,
            CONCAT_OPTIONS = 10, ADD_OPTIONS = 11, MUL_OPTIONS = 21, REDUCER_OPTIONS = 27, SUB_OPTIONS = 28, LEAKY_RELU_OPTIONS = 75;
    private static final int FLOAT32 = 0, INT32 = 2;
    private static final int FUSED_NONE = 0, FUSED_RELU = 1, FUSED_RELU6 = 3;

    private final Map<String, float[]> weights;
    private final List<Table> tensors = new ArrayList<>(), operators = new ArrayList<>(), buffers = new ArrayList<>();
    private final Map<Integer, Integer> opcodes = new LinkedHashMap<>(); // builtin code → index

    /** A tensor index and the Keras shape of one sample. */
    private record T(int index, Shape shape) {}

    private TfliteExport(Map<String, float[]> weights) {
        this.weights = weights;
        buffers.add(new Table()); // buffer 0: the empty one every tensor without data points to
    }

    public static void write(Model model, Map<String, float[]> weights, double scale, double offset, double temperature,
                             Map<String, String> metadata, Path target) throws IOException {
        byte[] bytes = build(model, weights, scale, offset, temperature, metadata);
        AtomicFile.write(target, out -> out.write(bytes));
    }

    /** The file's bytes; {@code temperature} (1: none) divides the logits before the softmax; metadata as JSON under "lote". */
    public static byte[] build(Model model, Map<String, float[]> weights, double scale, double offset, double temperature, Map<String, String> metadata) {
        TfliteExport g = new TfliteExport(weights);
        Shape in = model.inputShape();
        T x = g.tensor("pixels", in, FLOAT32, 0);
        int input = x.index();
        if (scale != 1) x = g.binary(MUL, x, g.constant(new float[] {(float) scale}, new int[] {1}), MUL_OPTIONS);
        if (offset != 0) x = g.binary(ADD, x, g.constant(new float[] {(float) offset}, new int[] {1}), ADD_OPTIONS);
        T y = g.graph(model, List.of(x), "", true, temperature);
        if (model.activation() == Activation.LINEAR) { // a model that ends in logits: the softmax is added here
            y = g.op(SOFTMAX, List.of(y), y.shape(), SOFTMAX_OPTIONS, new Table().f32(0, (float) (1 / temperature)));
            g.temperatureApplied = true;
        }
        if (temperature != 1 && !g.temperatureApplied)
            throw new IllegalArgumentException("The model's softmax is inside a nested model: its calibration temperature cannot be applied in TFLite.");
        // the last op's output is renamed: the graph's output is called what ONNX and serve call it
        g.tensors.get(y.index()).ref(3, "probabilities");

        Table subgraph = new Table().ref(0, g.tensors).ref(1, FlatBuffer.ints(input)).ref(2, FlatBuffer.ints(y.index()))
                .ref(3, g.operators).ref(4, model.name());
        List<Table> codes = new ArrayList<>();
        for (int code : g.opcodes.keySet()) codes.add(new Table().i8(0, Math.min(code, 127)).i32(2, 1).i32(3, code));
        StringBuilder json = new StringBuilder("{");
        metadata.forEach((k, v) -> json.append(json.length() > 1 ? "," : "").append(quote(k)).append(':')
                .append(k.equals("classes") ? v : quote(v)));
        json.append('}');
        int metaBuffer = g.buffer(json.toString().getBytes(StandardCharsets.UTF_8));
        Table root = new Table().i32(0, 3).ref(1, codes).ref(2, List.of(subgraph)).ref(3, "Lote " + dev.lote.LoteModel.version())
                .ref(4, g.buffers).ref(6, List.of(new Table().ref(0, "lote").i32(1, metaBuffer)));
        return FlatBuffer.write(root, "TFL3");
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    // ---- the graph -----------------------------------------------------------------------------------------------

    private T graph(Model model, List<T> inputs, String prefix, boolean top, double temperature) {
        List<Model.Call> calls = model.calls();
        T[] out = new T[calls.size()];
        for (int i = 0; i < inputs.size(); i++) out[model.inputIndices().get(i)] = inputs.get(i);
        int[] readers = new int[calls.size()], reader = new int[calls.size()];
        Map<Layer, Integer> callsOf = new IdentityHashMap<>();
        for (int i = 0; i < calls.size(); i++) {
            for (int j : calls.get(i).inputs()) { readers[j]++; reader[j] = i; }
            callsOf.merge(calls.get(i).layer(), 1, Integer::sum);
        }
        for (int i = 0; i < calls.size(); i++) {
            Model.Call c = calls.get(i);
            if (c.layer() instanceof InputLayer || out[i] != null) continue;
            List<T> in = c.inputs().stream().map(j -> out[j]).toList();
            String path = prefix + c.layer().name() + "/";
            if (c.layer() instanceof Model sub) {
                out[i] = graph(sub, in, path, false, 1);
                continue;
            }
            boolean last = top && i == model.outputIndex();
            // a convolution read only by a batch normalization (each called once) takes it into its weights
            float[][] bn = null;
            int at = i;
            boolean conv = c.layer() instanceof Conv2D || c.layer() instanceof DepthwiseConv2D || c.layer() instanceof SeparableConv2D;
            if (conv && c.layer().activation() == Activation.LINEAR && readers[i] == 1 && callsOf.get(c.layer()) == 1
                    && calls.get(reader[i]).layer() instanceof BatchNormalization b && callsOf.get(b) == 1) {
                at = reader[i];
                bn = b.inferenceAffine(weights, prefix + b.name() + "/", c.output().channels());
            }
            out[i] = layer(c.layer(), in, c.output(), path, bn, last, temperature);
            out[at] = out[i];
        }
        return out[model.outputIndex()];
    }

    private T layer(Layer l, List<T> in, Shape out, String path, float[][] bn, boolean last, double temperature) {
        T x = in.isEmpty() ? null : in.get(0);
        Activation act = l.activation();
        if (l instanceof Conv2D c) {
            if (c.groups() != 1) throw new UnsupportedLayerException(l, "grouped convolution");
            return activate(conv(x, out, w(path, "kernel"), bias(path, c.filters()), bn, c.kernelSize(), c.strides(), c.dilationRate(),
                    c.padding(), 0, act), act, l, last, temperature);
        }
        if (l instanceof DepthwiseConv2D d) {
            int ch = channels(x.shape()) * d.depthMultiplier();
            return activate(conv(x, out, w(path, "depthwise_kernel"), bias(path, ch), bn, d.kernelSize(), d.strides(), d.dilationRate(),
                    d.padding(), d.depthMultiplier(), act), act, l, last, temperature);
        }
        if (l instanceof SeparableConv2D s) {
            int ch = channels(x.shape()) * s.depthMultiplier();
            Shape mid = Shape.image(out.height(), out.width(), ch);
            T dw = conv(x, mid, w(path, "depthwise_kernel"), new float[ch], null, s.kernelSize(), s.strides(), s.dilationRate(), s.padding(),
                    s.depthMultiplier(), Activation.LINEAR);
            return activate(conv(dw, out, w(path, "pointwise_kernel"), bias(path, s.filters()), bn, new int[] {1, 1}, new int[] {1, 1},
                    new int[] {1, 1}, Padding.VALID, 0, act), act, l, last, temperature);
        }
        if (l instanceof Dense d) {
            if (x.shape().dims().length != 1) throw new UnsupportedLayerException(l, "a Dense layer on an image (flatten it first)");
            int units = d.units(), fanIn = x.shape().dims()[0];
            float[] k = w(path, "kernel"), t = new float[k.length]; // Keras [in, out] → TFLite [out, in]
            for (int i = 0; i < fanIn; i++) for (int o = 0; o < units; o++) t[o * fanIn + i] = k[i * units + o];
            int fused = fusedCode(act);
            T y = op(FULLY_CONNECTED, List.of(x, constant(t, new int[] {units, fanIn}), constant(bias(path, units), new int[] {units})),
                    out, FC_OPTIONS, new Table().i8(0, fused));
            return fused != FUSED_NONE ? y : activate(y, act, l, last, temperature);
        }
        if (l instanceof Pooling2D p) {
            int[] k = p.poolSize(), s = p.strides();
            return op(p instanceof MaxPooling2D ? MAX_POOL_2D : AVERAGE_POOL_2D, List.of(x), out, POOL_OPTIONS,
                    new Table().i8(0, p.padding() == Padding.SAME ? 0 : 1).i32(1, s[1]).i32(2, s[0]).i32(3, k[1]).i32(4, k[0]));
        }
        if (l instanceof GlobalAveragePooling2D g) {
            return op(MEAN, List.of(x, intConstant(new int[] {1, 2})), out, REDUCER_OPTIONS, new Table().i8(0, g.keepdims() ? 1 : 0));
        }
        if (l instanceof Flatten) return reshape(x, out);
        if (l instanceof dev.lote.nn.Reshape) return reshape(x, out);
        if (l instanceof Dropout) return x;
        if (l instanceof BatchNormalization b) {
            float[][] ss = b.inferenceAffine(weights, path, channels(x.shape()));
            return affine(x, ss[0], ss[1], out);
        }
        if (l instanceof ZeroPadding2D z) {
            int[] a = z.amounts();
            return op(PAD, List.of(x, intConstant(new int[] {0, 0, a[0], a[1], a[2], a[3], 0, 0}, 4, 2)), out, 0, null);
        }
        if (l instanceof ReLU r) {
            if (r.threshold() != 0) throw new UnsupportedLayerException(l, "a threshold other than 0");
            boolean capped = !Double.isNaN(r.maxValue());
            if (r.negativeSlope() == 0 && !capped) return op(RELU, List.of(x), out, 0, null);
            if (r.negativeSlope() == 0 && r.maxValue() == 6) return op(RELU6, List.of(x), out, 0, null);
            if (!capped) return op(LEAKY_RELU, List.of(x), out, LEAKY_RELU_OPTIONS, new Table().f32(0, (float) r.negativeSlope()));
            throw new UnsupportedLayerException(l, "a ReLU capped at " + r.maxValue() + " with a negative slope");
        }
        if (l instanceof ActivationLayer) return activate(x, act, l, last, temperature);
        if (l instanceof Rescaling r) return affine(x, broadcast(r.scale(), channels(x.shape())), broadcast(r.offset(), channels(x.shape())), out);
        if (l instanceof Normalization n) {
            if (n.invert()) throw new UnsupportedLayerException(l, "invert=True");
            int c = channels(x.shape());
            float[] mean = n.mean() == null ? w(path, "mean") : broadcast(n.mean(), c), var = n.variance() == null ? w(path, "variance") : broadcast(n.variance(), c);
            float[] scale = new float[c], shift = new float[c];
            for (int i = 0; i < c; i++) {
                scale[i] = (float) (1 / Math.max(Math.sqrt(var[i]), 1e-7));
                shift[i] = -mean[i] * scale[i];
            }
            return affine(x, scale, shift, out);
        }
        if (l instanceof Merge m) {
            return switch (m.op()) {
                case ADD -> chain(ADD, ADD_OPTIONS, in, out);
                case MULTIPLY -> chain(MUL, MUL_OPTIONS, in, out);
                case SUBTRACT -> op(SUB, in, out, SUB_OPTIONS, new Table());
                case CONCATENATE -> op(CONCATENATION, in, out, CONCAT_OPTIONS, new Table().i32(0, m.sampleAxis(x.shape().dims().length) + 1));
                default -> throw new UnsupportedLayerException(l, "the merge '" + m.op() + "'");
            };
        }
        throw new UnsupportedLayerException(l, "the TFLite writer does not know this kind");
    }

    /** The activation after a layer: the final softmax takes the temperature as its beta (softmax(logits / T)). */
    private T activate(T x, Activation a, Layer l, boolean last, double temperature) {
        Shape s = x.shape();
        return switch (a) {
            case LINEAR -> x;
            case RELU -> fusedAlready(x) ? x : op(RELU, List.of(x), s, 0, null);
            case RELU6 -> fusedAlready(x) ? x : op(RELU6, List.of(x), s, 0, null);
            case SOFTMAX -> {
                if (last) temperatureApplied = true;
                yield op(SOFTMAX, List.of(x), s, SOFTMAX_OPTIONS, new Table().f32(0, (float) (last ? 1 / temperature : 1)));
            }
            case SIGMOID -> op(LOGISTIC, List.of(x), s, 0, null);
            case TANH -> op(TANH, List.of(x), s, 0, null);
            case HARD_SILU -> op(HARD_SWISH, List.of(x), s, 0, null);
            case HARD_SIGMOID -> { // relu6(x + 3) / 6, as Keras defines it
                T shifted = binary(ADD, x, constant(new float[] {3}, new int[] {1}), ADD_OPTIONS);
                yield binary(MUL, op(RELU6, List.of(shifted), s, 0, null), constant(new float[] {1f / 6}, new int[] {1}), MUL_OPTIONS);
            }
            case SILU -> op(MUL, List.of(x, op(LOGISTIC, List.of(x), s, 0, null)), s, MUL_OPTIONS, new Table());
            case LEAKY_RELU -> op(LEAKY_RELU, List.of(x), s, LEAKY_RELU_OPTIONS, new Table().f32(0, 0.2f));
            default -> throw new UnsupportedLayerException(l, "the activation " + a.name().toLowerCase(java.util.Locale.ROOT));
        };
    }

    private final java.util.Set<Integer> fused = new java.util.HashSet<>();
    private boolean temperatureApplied;

    private boolean fusedAlready(T x) { return fused.contains(x.index()); }

    /** RELU and RELU6 ride on the layer that computes them. */
    private static int fusedCode(Activation a) {
        if (a == Activation.RELU) return FUSED_RELU;
        if (a == Activation.RELU6) return FUSED_RELU6;
        return FUSED_NONE;
    }

    /**
     * A convolution from Keras' kernel ([kh, kw, in, out], or [kh, kw, in, multiplier] for depthwise) with bias and
     * an optional batch normalization folded in; {@code depthwise}: the depth multiplier, 0 for a normal convolution.
     */
    private T conv(T x, Shape out, float[] kernel, float[] bias, float[][] bn, int[] k, int[] s, int[] d, Padding padding, int depthwise,
                   Activation act) {
        int in = channels(x.shape()), o = out.channels(), area = k[0] * k[1];
        boolean dw = depthwise > 0;
        float[] t;
        int[] dims;
        if (dw) { // [kh, kw, in, m] is already [1, kh, kw, in · m]
            t = kernel.clone();
            dims = new int[] {1, k[0], k[1], o};
        } else { // [kh, kw, in, out] → [out, kh, kw, in]
            t = new float[kernel.length];
            for (int p = 0; p < area; p++) for (int i = 0; i < in; i++) for (int c = 0; c < o; c++) t[(c * area + p) * in + i] = kernel[(p * in + i) * o + c];
            dims = new int[] {o, k[0], k[1], in};
        }
        float[] b = bias.clone();
        if (bn != null) {
            int per = t.length / o;
            for (int c = 0; c < o; c++) {
                b[c] = b[c] * bn[0][c] + bn[1][c];
                if (dw) for (int p = 0; p < area; p++) t[p * o + c] *= bn[0][c];
                else for (int q = 0; q < per; q++) t[c * per + q] *= bn[0][c];
            }
        }
        int f = fusedCode(act);
        Table options = new Table().i8(0, padding == Padding.SAME ? 0 : 1).i32(1, s[1]).i32(2, s[0]);
        if (dw) options.i32(3, depthwise).i8(4, f).i32(5, d[1]).i32(6, d[0]);
        else options.i8(3, f).i32(4, d[1]).i32(5, d[0]);
        T y = op(dw ? DEPTHWISE_CONV_2D : CONV_2D, List.of(x, constant(t, dims), constant(b, new int[] {o})), out,
                dw ? DEPTHWISE_OPTIONS : CONV_OPTIONS, options);
        if (f != FUSED_NONE) fused.add(y.index());
        return y;
    }

    private T affine(T x, float[] scale, float[] shift, Shape out) {
        int c = scale.length;
        T y = binary(MUL, x, constant(scale, new int[] {c}), MUL_OPTIONS);
        return new T(binary(ADD, y, constant(shift, new int[] {c}), ADD_OPTIONS).index(), out);
    }

    private T binary(int code, T a, T b, int options) {
        return op(code, List.of(a, b), a.shape(), options, new Table());
    }

    private T chain(int code, int options, List<T> in, Shape out) {
        T y = in.get(0);
        for (int i = 1; i < in.size(); i++) y = op(code, List.of(y, in.get(i)), out, options, new Table());
        return y;
    }

    private T reshape(T x, Shape out) {
        int[] shape = new int[out.dims().length + 1];
        shape[0] = -1;
        for (int i = 0; i < out.dims().length; i++) shape[i + 1] = out.dims()[i];
        return op(RESHAPE, List.of(x, intConstant(shape)), out, 0, null);
    }

    // ---- tensors and operators -----------------------------------------------------------------------------------

    private T op(int code, List<T> inputs, Shape out, int optionsType, Table options) {
        T y = tensor("t" + tensors.size(), out, FLOAT32, 0);
        int index = opcodes.computeIfAbsent(code, k -> opcodes.size());
        Table op = new Table().i32(0, index).ref(1, FlatBuffer.ints(inputs.stream().mapToInt(T::index).toArray())).ref(2, FlatBuffer.ints(y.index()));
        if (options != null && optionsType != 0) op.i8(3, optionsType).ref(4, options);
        operators.add(op);
        return y;
    }

    /** A tensor of one sample's shape with a batch dimension of 1 that may be resized ([-1, …] in its signature). */
    private T tensor(String name, Shape s, int type, int buffer) {
        int[] dims = s.dims(), shape = new int[dims.length + 1], signature = new int[dims.length + 1];
        shape[0] = 1;
        signature[0] = -1;
        for (int i = 0; i < dims.length; i++) shape[i + 1] = signature[i + 1] = dims[i];
        return add(name, shape, signature, type, buffer, s);
    }

    private T add(String name, int[] shape, int[] signature, int type, int buffer, Shape s) {
        Table t = new Table().ref(0, FlatBuffer.ints(shape)).i8(1, type).i32(2, buffer).ref(3, name);
        if (signature != null) t.ref(7, FlatBuffer.ints(signature));
        tensors.add(t);
        return new T(tensors.size() - 1, s);
    }

    private T constant(float[] v, int[] dims) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return add("c" + tensors.size(), dims, null, FLOAT32, buffer(b.array()), null);
    }

    private T intConstant(int[] v, int... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int f : v) b.putInt(f);
        return add("c" + tensors.size(), dims.length == 0 ? new int[] {v.length} : dims, null, INT32, buffer(b.array()), null);
    }

    private int buffer(byte[] data) {
        buffers.add(new Table().ref(0, FlatBuffer.bytes(data, 16)));
        return buffers.size() - 1;
    }

    private float[] w(String path, String name) {
        float[] v = weights.get(path + name);
        if (v == null) throw new IllegalArgumentException("weight " + path + name + " is missing.");
        return v;
    }

    private float[] bias(String path, int n) { return weights.containsKey(path + "bias") ? w(path, "bias") : new float[n]; }

    private static int channels(Shape s) { return s.dims()[s.dims().length - 1]; }

    private static float[] broadcast(double[] v, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) v[v.length == 1 ? 0 : i];
        return f;
    }
}
