package dev.lote.onnx;

import dev.lote.io.AtomicFile;
import dev.lote.io.Proto;
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
import dev.lote.nn.GlobalPooling2D;
import dev.lote.nn.InputLayer;
import dev.lote.nn.Layer;
import dev.lote.nn.LayerNormalization;
import dev.lote.nn.MaxPooling2D;
import dev.lote.nn.Merge;
import dev.lote.nn.Model;
import dev.lote.nn.Normalization;
import dev.lote.nn.Padding;
import dev.lote.nn.Permute;
import dev.lote.nn.Pooling2D;
import dev.lote.nn.ReLU;
import dev.lote.nn.Rescaling;
import dev.lote.nn.Reshape;
import dev.lote.nn.SeparableConv2D;
import dev.lote.nn.Shape;
import dev.lote.nn.ZeroPadding2D;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;

import java.util.List;
import java.util.Map;

/**
 * A model as an ONNX graph (opset 17, dynamic batch): pixels in (uint8 or float, NHWC or NCHW) with the model's own
 * scaling inside, probabilities out. BatchNormalization after a convolution is folded into it; Keras' asymmetric
 * "same" padding becomes explicit pads; dropout goes. Images flow as NCHW inside, as in libtorch.
 */
public final class OnnxExport {
    /** Where the input's channels are, and whether it takes bytes (0–255) or floats. */
    public record Input(boolean nchw, boolean uint8) {}

    /** A layer the exporter cannot express; names it. */
    public static final class UnsupportedLayerException extends IllegalArgumentException {
        UnsupportedLayerException(Layer l, String why) { super("Layer '" + l.name() + "' (" + l.className() + ") cannot be exported to ONNX: " + why + "."); }
    }

    static final int OPSET = 17, IR_VERSION = 8;

    private final Map<String, float[]> weights;
    private final List<Proto> nodes = new ArrayList<>(), inits = new ArrayList<>();
    private int counter;
    /** int8: each tap's activation range (lo, hi); null exports float. */
    private final Map<String, float[]> ranges;
    /** Probing: each tap's float tensor, by tap name; null otherwise. */
    private final Map<String, String> taps;
    /** int8: how each dequantized activation was quantized, by tensor name (a convolution's bias takes its scale). */
    private final Map<String, Quantized> quantization = new java.util.HashMap<>();
    private final Map<String, String> zeroPoints = new java.util.HashMap<>();
    /** Tensors of uint8 pixels, not yet cast to float. */
    private final java.util.Set<String> bytes = new java.util.HashSet<>();

    /** A uint8 activation's scale, and the initializers holding it and its zero point. */
    private record Quantized(float scale, String scaleName, String zeroName) {}

    private OnnxExport(Map<String, float[]> weights, Map<String, float[]> ranges, boolean probe) {
        this.weights = weights;
        this.ranges = ranges;
        this.taps = probe ? new java.util.LinkedHashMap<>() : null;
    }

    /**
     * An ONNX tensor and the Keras shape of one sample (images are NCHW in the graph). Not yet applied, where not null:
     * {@code pad} (top, left, bottom, right), zero padding which the one convolution that reads it takes in;
     * {@code affine} (per-channel scale, shift), the input's pixel scaling, which the Rescaling and Normalization
     * layers after it join, so the pixels are scaled in one pass.
     */
    private record V(String name, Shape shape, long[] pad, float[][] affine) {
        V(String name, Shape shape) { this(name, shape, null, null); }

        boolean image() { return shape.isImage(); }
    }

    public static void write(Model model, Map<String, float[]> weights, double scale, double offset, double temperature, Input input,
                             Map<String, String> metadata, Path target) throws IOException {
        byte[] bytes = build(model, weights, scale, offset, temperature, input, metadata);
        AtomicFile.write(target, out -> out.write(bytes));
    }

    /** The graph's bytes; {@code temperature} (1: none) divides the logits before the softmax, as calibration fitted it. */
    public static byte[] build(Model model, Map<String, float[]> weights, double scale, double offset, double temperature, Input input,
                               Map<String, String> metadata) {
        return new OnnxExport(weights, null, false).bytes(model, scale, offset, temperature, input, metadata);
    }

    /**
     * The float graph with every tap (the scaled input, {@link #INPUT_TAP}, and each layer's output but the probabilities, by layer path)
     * also an output of the graph, to measure the activations int8 quantization needs: tap name → output name.
     */
    public record Probe(byte[] bytes, Map<String, String> taps) {}

    public static Probe probe(Model model, Map<String, float[]> weights, double scale, double offset, Input input) {
        OnnxExport g = new OnnxExport(weights, null, true);
        byte[] bytes = g.bytes(model, scale, offset, 1, input, Map.of());
        return new Probe(bytes, Map.copyOf(g.taps));
    }

    /**
     * The graph quantized in QDQ form (what ONNX Runtime runs as int8 kernels): each tap in {@code ranges} (lo, hi)
     * becomes uint8 through QuantizeLinear → DequantizeLinear, convolution kernels int8 per output channel (symmetric),
     * their bias int32 at the input's scale × the kernel's, dense kernels int8 per tensor. Batch normalization is folded
     * into the convolution first, as in the float graph.
     */
    public static byte[] buildInt8(Model model, Map<String, float[]> weights, double scale, double offset, double temperature, Input input,
                                   Map<String, String> metadata, Map<String, float[]> ranges) {
        return new OnnxExport(weights, Map.copyOf(ranges), false).bytes(model, scale, offset, temperature, input, metadata);
    }

    private byte[] bytes(Model model, double scale, double offset, double temperature, Input input, Map<String, String> metadata) {
        OnnxExport g = this;
        Shape s = model.inputShape();
        long[] dims = input.nchw() ? new long[] {-1, s.channels(), s.height(), s.width()} : new long[] {-1, s.height(), s.width(), s.channels()};
        String x = "pixels";
        if (!input.nchw()) x = g.op("Transpose", List.of(x), ints("perm", 0, 3, 1, 2)); // on the bytes, before they widen
        if (input.uint8()) g.bytes.add(x); // cast to float where it is read as floats
        float[][] pixels = {filled(s.channels(), (float) scale), filled(s.channels(), (float) offset)};
        V out = g.graph(model, List.of(new V(x, s, null, pixels)), "");
        String y = out.name();
        if (temperature != 1) { // softmax(log p / T) = softmax(logits / T)
            String logits = model.activation() == Activation.LINEAR ? y : g.op("Log", List.of(y));
            y = g.op("Softmax", List.of(g.op("Div", List.of(logits, g.scalar((float) temperature)))), attr("axis", -1));
        } else if (model.activation() == Activation.LINEAR) {
            y = g.op("Softmax", List.of(y), attr("axis", -1));
        }
        g.nodes.add(node("Identity", List.of(y), "probabilities", List.of()));

        Proto graph = new Proto();
        for (Proto n : g.nodes) graph.message(1, n);
        graph.string(2, model.name());
        for (Proto t : g.inits) graph.message(5, t);
        graph.message(11, valueInfo("pixels", input.uint8() ? 2 : 1, dims));
        graph.message(12, valueInfo("probabilities", 1, new long[] {-1, model.classes()}));
        if (taps != null) for (String t : new java.util.LinkedHashSet<>(taps.values())) graph.message(12, new Proto().string(1, t)
                .message(2, new Proto().message(1, new Proto().varint(1, 1)))); // float, any shape
        Proto m = new Proto().varint(1, IR_VERSION).string(2, "lote").string(3, dev.lote.LoteModel.version());
        m.message(7, graph);
        m.message(8, new Proto().string(1, "").varint(2, OPSET));
        metadata.forEach((k, v) -> m.message(14, new Proto().string(1, k).string(2, v)));
        return m.toByteArray();
    }

    // ---- the graph ---------------------------------------------------------------------------------------------

    private V graph(Model model, List<V> inputs, String prefix) {
        List<Model.Call> calls = model.calls();
        V[] out = new V[calls.size()];
        for (int i = 0; i < inputs.size(); i++) out[model.inputIndices().get(i)] = inputs.get(i);
        int[] readers = new int[calls.size()], reader = new int[calls.size()];
        Map<Layer, Integer> callsOf = new java.util.IdentityHashMap<>();
        for (int i = 0; i < calls.size(); i++) {
            for (int j : calls.get(i).inputs()) {
                readers[j]++;
                reader[j] = i;
            }
            callsOf.merge(calls.get(i).layer(), 1, Integer::sum);
        }
        for (int i = 0; i < calls.size(); i++) {
            Model.Call c = calls.get(i);
            if (c.layer() instanceof InputLayer) continue;
            if (out[i] != null) continue; // a batch normalization folded into its convolution
            String path = prefix + c.layer().name() + "/";
            if (c.inputs().size() == 1 && out[c.inputs().get(0)].affine() != null && readers[c.inputs().get(0)] == 1) {
                float[][] joined = joinAffine(out[c.inputs().get(0)].affine(), c.layer(), path);
                if (joined != null) {
                    out[i] = new V(out[c.inputs().get(0)].name(), c.output(), null, joined);
                    continue;
                }
            }
            for (int j : c.inputs())
                if (out[j].affine() != null && (readers[j] > 1 || !(c.layer() instanceof Model || readsPixels(calls, i, reader, readers, callsOf, out[j]))))
                    out[j] = scaled(out[j]);
            List<V> in = c.inputs().stream().map(j -> out[j]).toList();
            if (c.layer() instanceof Model sub) {
                out[i] = graph(sub, in, path);
                continue;
            }
            // zero padding read only by a 'valid' convolution becomes that convolution's padding (one pass, and int8 kernels handle it)
            if (c.layer() instanceof ZeroPadding2D z && readers[i] == 1 && in.get(0).pad() == null && callsOf.get(z) == 1
                    && callsOf.get(calls.get(reader[i]).layer()) == 1 && isValidConv(calls.get(reader[i]).layer())) {
                int[] a = z.amounts();
                out[i] = new V(in.get(0).name(), c.output(), new long[] {a[0], a[2], a[1], a[3]}, in.get(0).affine());
                continue;
            }
            // a convolution read only by a batch normalization (each called once) takes it into its weights
            boolean convolution = c.layer() instanceof Conv2D || c.layer() instanceof DepthwiseConv2D || c.layer() instanceof SeparableConv2D;
            BatchNormalization fold = null;
            int foldAt = -1;
            if (convolution && readers[i] == 1 && callsOf.get(c.layer()) == 1 && calls.get(reader[i]).layer() instanceof BatchNormalization b
                    && callsOf.get(b) == 1) {
                if (c.layer().activation() == Activation.LINEAR) {
                    fold = b;
                    foldAt = reader[i];
                } else if (c.layer().activation() == Activation.RELU && afterRelu(calls, i, reader, readers, callsOf, prefix, out)) {
                    continue;
                }
            }
            float[][] bn = fold == null ? null : fold.inferenceAffine(weights, prefix + fold.name() + "/", channels(c.output()));
            V y = layer(c.layer(), in, c.output(), path, bn);
            int last = foldAt >= 0 ? foldAt : i; // a folded convolution's output is its batch normalization's
            Layer named = calls.get(last).layer();
            boolean probabilities = (prefix.isEmpty() && last == model.outputIndex()) || named.activation() == Activation.SOFTMAX;
            // a value read only by a ReLU is not quantized: int8 kernels apply the ReLU as they write the convolution's output
            boolean beforeRelu = readers[last] == 1 && callsOf.get(named) == 1 && isRelu(calls.get(reader[last]).layer());
            out[i] = probabilities || beforeRelu ? y : tap(prefix + named.name() + (callsOf.get(named) > 1 ? "@" + last : ""), y);
            if (foldAt >= 0) out[foldAt] = out[i];
        }
        return out[model.outputIndex()];
    }

    /**
     * A batch normalization after a ReLU convolution, when every channel's scale s is positive: s goes into the
     * convolution (s · relu(x) = relu(s · x)) and only the shift is left, added after a max pooling that reads it (max
     * commutes with it), where there are 4× fewer values. In int8 that is one uint8 add instead of a float multiply-add
     * at full resolution. False (nothing done) when a scale is not positive.
     */
    private boolean afterRelu(List<Model.Call> calls, int i, int[] reader, int[] readers, Map<Layer, Integer> callsOf, String prefix, V[] out) {
        Model.Call c = calls.get(i);
        int k = reader[i];
        BatchNormalization b = (BatchNormalization) calls.get(k).layer();
        float[][] ss = b.inferenceAffine(weights, prefix + b.name() + "/", channels(c.output()));
        for (float v : ss[0]) if (!(v > 0)) return false;
        V y = tap(prefix + c.layer().name(), layer(c.layer(), c.inputs().stream().map(j -> out[j]).toList(), c.output(), prefix + c.layer().name() + "/",
                new float[][] {ss[0], new float[ss[0].length]}));
        out[i] = y;
        int last = k;
        if (readers[k] == 1 && calls.get(reader[k]).layer() instanceof MaxPooling2D pool && callsOf.get(pool) == 1) {
            last = reader[k];
            y = requantized(y, layer(pool, List.of(y), calls.get(last).output(), prefix + pool.name() + "/", null));
            out[k] = y;
        }
        String shift = ranges == null ? channelConst(ss[1], y) : quantizedConst(ss[1], y);
        out[last] = tap(prefix + calls.get(last).layer().name(), new V(op("Add", List.of(y.name(), shift)), calls.get(last).output()));
        return true;
    }

    /**
     * int8: whether call i, a convolution (or zero padding into one) over the input's uint8 pixels, reads them as they
     * are, its weights taking in their scaling: then no float pass over the pixels is made at all. The one inexact
     * place is the border: the padding, which is 0 after scaling, is the pixel value nearest that (within half a
     * level), per channel.
     */
    private boolean readsPixels(List<Model.Call> calls, int i, int[] reader, int[] readers, Map<Layer, Integer> callsOf, V x) {
        if (ranges == null || !bytes.contains(x.name())) return false;
        Layer l = calls.get(i).layer();
        if (callsOf.get(l) != 1) return false;
        if (l instanceof ZeroPadding2D) {
            if (readers[i] != 1 || !isValidConv(calls.get(reader[i]).layer()) || callsOf.get(calls.get(reader[i]).layer()) != 1) return false;
            l = calls.get(reader[i]).layer();
        }
        if (!(l instanceof Conv2D c) || c.groups() != 1) return false;
        for (int ch = 0; ch < x.affine()[0].length; ch++) {
            double zero = -x.affine()[1][ch] / x.affine()[0][ch];
            if (!(zero >= 0 && zero <= 255)) return false;
        }
        return true;
    }

    /** The input's pending scaling followed by {@code l}, when l is a per-channel affine map (Rescaling, Normalization); else null. */
    private float[][] joinAffine(float[][] a, Layer l, String path) {
        int c = a[0].length;
        float[] scale = a[0].clone(), shift = a[1].clone();
        if (l instanceof Rescaling r) {
            float[] rs = broadcast(r.scale(), c), ro = broadcast(r.offset(), c);
            for (int i = 0; i < c; i++) { scale[i] *= rs[i]; shift[i] = shift[i] * rs[i] + ro[i]; }
        } else if (l instanceof Normalization n && !n.invert()) {
            float[][] md = meanAndDeviation(n, path, c);
            for (int i = 0; i < c; i++) { scale[i] /= md[1][i]; shift[i] = (shift[i] - md[0][i]) / md[1][i]; }
        } else {
            return null;
        }
        return new float[][] {scale, shift};
    }

    /** The input with its pending scaling applied (one multiply and one add, each left out when it does nothing), as the first layer reads it. */
    private V scaled(V v) {
        float[] scale = v.affine()[0], shift = v.affine()[1];
        String y = bytes.contains(v.name()) ? op("Cast", List.of(v.name()), attr("to", 1)) : v.name();
        boolean ones = true, zeros = true;
        for (int i = 0; i < scale.length; i++) { ones &= scale[i] == 1; zeros &= shift[i] == 0; }
        if (!ones) y = op("Mul", List.of(y, uniformOrPerChannel(scale, v)));
        if (!zeros) y = op("Add", List.of(y, uniformOrPerChannel(shift, v)));
        V t = tap(INPUT_TAP, new V(y, v.shape()));
        return new V(t.name(), t.shape(), v.pad(), null);
    }

    private String uniformOrPerChannel(float[] v, V x) {
        for (float f : v) if (f != v[0]) return channelConst(v, x);
        return scalar(v[0]);
    }

    private static boolean isValidConv(Layer l) {
        return l instanceof Conv2D c && c.padding() == Padding.VALID || l instanceof DepthwiseConv2D d && d.padding() == Padding.VALID;
    }

    private static boolean isRelu(Layer l) {
        if (l instanceof ReLU r) return r.threshold() == 0 && r.negativeSlope() == 0;
        return l instanceof ActivationLayer a && (a.activation() == Activation.RELU || a.activation() == Activation.RELU6);
    }

    private float[] w(String path, String name) {
        float[] v = weights.get(path + name);
        if (v == null) throw new IllegalArgumentException("weight " + path + name + " is missing.");
        return v;
    }

    private boolean has(String path, String name) { return weights.containsKey(path + name); }

    /** A Normalization's per-channel mean and standard deviation (at least 1e-7, as Keras divides). */
    private float[][] meanAndDeviation(Normalization n, String path, int c) {
        float[] mean = n.mean() == null ? w(path, "mean") : broadcast(n.mean(), c), var = n.variance() == null ? w(path, "variance") : broadcast(n.variance(), c);
        float[] sd = new float[c];
        for (int i = 0; i < c; i++) sd[i] = (float) Math.max(Math.sqrt(var[i]), 1e-7);
        return new float[][] {mean, sd};
    }

    private V layer(Layer l, List<V> in, Shape out, String path, float[][] bn) {
        V x = in.isEmpty() ? null : in.get(0);
        if (l instanceof Conv2D c) {
            int[] k = c.kernelSize();
            float[] kernel = torchLayout(l, x.shape(), path, "kernel");
            return new V(act(conv(x, kernel, has(path, "bias") ? w(path, "bias") : null, bn, new long[] {c.filters(), x.shape().channels() / c.groups(), k[0], k[1]},
                    k, c.strides(), c.dilationRate(), c.padding(), c.groups()), c.activation(), true), out);
        }
        if (l instanceof DepthwiseConv2D d) {
            int[] k = d.kernelSize();
            int ch = x.shape().channels(), m = d.depthMultiplier();
            float[] kernel = torchLayout(l, x.shape(), path, "depthwise_kernel");
            return new V(act(conv(x, kernel, has(path, "bias") ? w(path, "bias") : null, bn, new long[] {(long) ch * m, 1, k[0], k[1]},
                    k, d.strides(), d.dilationRate(), d.padding(), ch), d.activation(), true), out);
        }
        if (l instanceof SeparableConv2D s) {
            int[] k = s.kernelSize();
            int ch = x.shape().channels(), m = s.depthMultiplier();
            String dw = conv(x, torchLayout(l, x.shape(), path, "depthwise_kernel"), null, null, new long[] {(long) ch * m, 1, k[0], k[1]},
                    k, s.strides(), s.dilationRate(), s.padding(), ch);
            Shape mid = Shape.image(out.height(), out.width(), ch * m);
            String pw = conv(new V(dw, mid), torchLayout(l, x.shape(), path, "pointwise_kernel"),
                    has(path, "bias") ? w(path, "bias") : null, bn, new long[] {s.filters(), (long) ch * m, 1, 1},
                    new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, Padding.VALID, 1);
            return new V(act(pw, s.activation(), true), out);
        }
        if (l instanceof Dense d) {
            int units = d.units(), fanIn = channels(x.shape());
            String y = x.image() ? op("Transpose", List.of(x.name()), ints("perm", 0, 2, 3, 1)) : x.name();
            long[] dims = {fanIn, units};
            y = op("MatMul", List.of(y, ranges != null ? int8Weight(dims, w(path, "kernel"), 1, new float[1][]) : init(dims, w(path, "kernel"))));
            if (has(path, "bias")) y = op("Add", List.of(y, init(new long[] {units}, w(path, "bias"))));
            if (x.image()) y = op("Transpose", List.of(y), ints("perm", 0, 3, 1, 2));
            return new V(act(y, d.activation(), x.image()), out);
        }
        if (l instanceof Pooling2D p) {
            int[] k = p.poolSize(), s = p.strides();
            long[] pads = pads(x.shape(), k, s, new int[] {1, 1}, p.padding());
            boolean max = p instanceof MaxPooling2D;
            return new V(op(max ? "MaxPool" : "AveragePool", List.of(x.name()), ints("kernel_shape", k[0], k[1]), ints("strides", s[0], s[1]),
                    ints("pads", pads), max ? null : attr("count_include_pad", 0)), out);
        }
        if (l instanceof GlobalPooling2D g) {
            String y = op(g instanceof GlobalAveragePooling2D ? "GlobalAveragePool" : "GlobalMaxPool", List.of(x.name()));
            return new V(g.keepdims() ? y : op("Flatten", List.of(y), attr("axis", 1)), out);
        }
        if (l instanceof Flatten) {
            String y = x.image() ? op("Transpose", List.of(x.name()), ints("perm", 0, 2, 3, 1)) : x.name();
            return new V(op("Flatten", List.of(y), attr("axis", 1)), out);
        }
        if (l instanceof Dropout) return new V(x.name(), out);
        if (l instanceof BatchNormalization b) {
            int c = channels(x.shape());
            float[][] ss = b.inferenceAffine(weights, path, c); // the same affine map as BatchNormalization in inference mode
            return new V(channelAffine(x, ss[0], ss[1]), out);
        }
        if (l instanceof LayerNormalization n) {
            int c = channels(x.shape());
            String y = x.image() ? op("Transpose", List.of(x.name()), ints("perm", 0, 2, 3, 1)) : x.name();
            y = op("LayerNormalization", List.of(y, init(new long[] {c}, has(path, "gamma") ? w(path, "gamma") : filled(c, 1)),
                    init(new long[] {c}, has(path, "beta") ? w(path, "beta") : new float[c])), attr("axis", -1), attrF("epsilon", (float) n.epsilon()));
            return new V(x.image() ? op("Transpose", List.of(y), ints("perm", 0, 3, 1, 2)) : y, out);
        }
        if (l instanceof ZeroPadding2D z) {
            int[] a = z.amounts();
            return new V(op("Pad", List.of(x.name(), longs(0, 0, a[0], a[2], 0, 0, a[1], a[3]))), out);
        }
        if (l instanceof Cropping2D cr) {
            int[] a = cr.amounts();
            Shape s = x.shape();
            return new V(op("Slice", List.of(x.name(), longs(a[0], a[2]), longs(s.height() - a[1], s.width() - a[3]), longs(2, 3))), out);
        }
        if (l instanceof ReLU r) {
            if (r.threshold() != 0) throw new UnsupportedLayerException(l, "a threshold other than 0");
            boolean clip = r.negativeSlope() == 0 && !Double.isNaN(r.maxValue()); // ReLU6: one Clip, which int8 kernels absorb
            if (clip) return new V(op("Clip", List.of(x.name(), scalar(0), scalar((float) r.maxValue()))), out);
            String y = r.negativeSlope() == 0 ? op("Relu", List.of(x.name())) : op("LeakyRelu", List.of(x.name()), attrF("alpha", (float) r.negativeSlope()));
            if (!Double.isNaN(r.maxValue())) y = op("Min", List.of(y, scalar((float) r.maxValue())));
            return new V(y, out);
        }
        if (l instanceof ActivationLayer a) return new V(act(x.name(), a.activation(), x.image()), out);
        if (l instanceof Rescaling r) {
            return new V(op("Add", List.of(op("Mul", List.of(x.name(), perChannel(r.scale(), x))), perChannel(r.offset(), x))), out);
        }
        if (l instanceof Normalization n) {
            float[][] md = meanAndDeviation(n, path, channels(x.shape()));
            String m = channelConst(md[0], x), d = channelConst(md[1], x);
            return new V(n.invert() ? op("Add", List.of(op("Mul", List.of(x.name(), d)), m)) : op("Div", List.of(op("Sub", List.of(x.name(), m)), d)), out);
        }
        if (l instanceof Reshape) {
            long[] shape = new long[out.dims().length + 1];
            shape[0] = -1;
            for (int i = 0; i < out.dims().length; i++) shape[i + 1] = out.dims()[i];
            return new V(fromKeras(op("Reshape", List.of(toKeras(x), longs(shape))), out), out);
        }
        if (l instanceof Permute p) {
            int[] d = p.dims();
            long[] perm = new long[d.length + 1];
            for (int i = 0; i < d.length; i++) perm[i + 1] = d[i];
            return new V(fromKeras(op("Transpose", List.of(toKeras(x)), ints("perm", perm)), out), out);
        }
        if (l instanceof Merge m) {
            List<String> names = in.stream().map(V::name).toList();
            return new V(switch (m.op()) {
                case ADD -> names.size() == 2 ? op("Add", names) : op("Sum", names); // Add has an int8 kernel
                case SUBTRACT -> op("Sub", names);
                case MULTIPLY -> { String y = names.get(0); for (int i = 1; i < names.size(); i++) y = op("Mul", List.of(y, names.get(i))); yield y; }
                case AVERAGE -> op("Mean", names);
                case MAXIMUM -> op("Max", names);
                case CONCATENATE -> {
                    int rank = x.shape().dims().length, axis = m.sampleAxis(rank);
                    yield op("Concat", names, attr("axis", rank == 3 ? new int[] {2, 3, 1}[axis] : axis + 1));
                }
            }, out);
        }
        throw new UnsupportedLayerException(l, "the exporter does not know this kind");
    }

    // ---- int8 ---------------------------------------------------------------------------------------------------

    /** The tap of the model's input, scaled as the first layer reads it. */
    public static final String INPUT_TAP = "(input)";

    /** A layer's output: recorded when probing; quantized to uint8 and back when its range is known. */
    private V tap(String name, V v) {
        if (taps != null && !v.name().equals("pixels")) taps.put(name, v.name());
        float[] r = ranges == null ? null : ranges.get(name);
        if (r == null || quantization.containsKey(v.name())) return v;
        float[] q = uint8(r[0], r[1]);
        String scale = scalar(q[0]), zero = raw(new long[0], 2, new byte[] {(byte) q[1]});
        String dq = op("DequantizeLinear", List.of(op("QuantizeLinear", List.of(v.name(), scale, zero)), scale, zero));
        quantization.put(dq, new Quantized(q[0], scale, zero));
        return new V(dq, v.shape());
    }

    /** {@code v} quantized as {@code like} is (a max pooling's output, which keeps its input's range): ONNX Runtime then pools in uint8. */
    private V requantized(V like, V v) {
        Quantized q = quantization.get(like.name());
        if (q == null) return v;
        String dq = op("DequantizeLinear", List.of(op("QuantizeLinear", List.of(v.name(), q.scaleName(), q.zeroName())), q.scaleName(), q.zeroName()));
        quantization.put(dq, q);
        return new V(dq, v.shape());
    }

    /**
     * Scale and zero point of uint8 for values in (lo, hi), widened to hold 0 exactly (ReLU's zero point is then 0,
     * which lets ONNX Runtime drop the ReLU into the convolution). The top, 255 · scale, stays at or below hi, so a
     * clip at hi (ReLU6) is redundant for it too.
     */
    static float[] uint8(float lo, float hi) {
        lo = Math.min(lo, 0);
        hi = Math.max(hi, 0);
        if (!(hi > lo) || !Float.isFinite(hi - lo)) return new float[] {1f / 255, 0};
        float scale = (hi - lo) / 255;
        int zero = Math.round(-lo / scale);
        while (scale * (255 - zero) > hi && scale > Float.MIN_NORMAL) scale = Math.nextDown(scale);
        return new float[] {scale, zero};
    }

    /** A per-channel constant as uint8 and its DequantizeLinear, so that an Add reading it runs as an int8 kernel. */
    private String quantizedConst(float[] v, V x) {
        float lo = 0, hi = 0;
        for (float f : v) { lo = Math.min(lo, f); hi = Math.max(hi, f); }
        float[] q = uint8(lo, hi);
        byte[] data = new byte[v.length];
        for (int i = 0; i < v.length; i++) data[i] = (byte) Math.max(0, Math.min(255, Math.round(v[i] / q[0] + q[1])));
        return op("DequantizeLinear", List.of(raw(x.image() ? new long[] {1, v.length, 1, 1} : new long[] {v.length}, 2, data), scalar(q[0]),
                raw(new long[0], 2, new byte[] {(byte) q[1]})));
    }

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

    /** A kernel (rows: output channels, or one row per tensor) as int8 and its DequantizeLinear; returns its scales via {@code scalesOut}. */
    private String int8Weight(long[] dims, float[] w, int rows, float[][] scalesOut) {
        byte[] q = new byte[w.length];
        float[] scales = symmetric(w, w.length / rows, q);
        scalesOut[0] = scales;
        String data = raw(dims, 3, q);
        if (rows == 1) return op("DequantizeLinear", List.of(data, scalar(scales[0]), raw(new long[0], 3, new byte[1])));
        return op("DequantizeLinear", List.of(data, init(new long[] {rows}, scales), zeros(3, rows)), attr("axis", 0));
    }

    /** A bias as int32 at scale inputScale · weightScale[o] (zero point 0), as ONNX Runtime's int8 convolution reads it. */
    private String int32Bias(float[] b, float inputScale, float[] weightScales) {
        float[] scales = new float[b.length];
        ByteBuffer q = ByteBuffer.allocate(4 * b.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int o = 0; o < b.length; o++) {
            scales[o] = inputScale * weightScales[o];
            q.putInt((int) Math.max(Integer.MIN_VALUE + 1, Math.min(Integer.MAX_VALUE, Math.round((double) b[o] / scales[o]))));
        }
        long[] dims = {b.length};
        return op("DequantizeLinear", List.of(raw(dims, 6, q.array()), init(dims, scales), zeros(6, b.length)), attr("axis", 0));
    }

    // ---- pieces ------------------------------------------------------------------------------------------------

    private String conv(V x, float[] kernel, float[] bias, float[][] bn, long[] kdims, int[] k, int[] s, int[] d, Padding padding, int groups) {
        long out = kdims[0], per = kernel.length / out;
        float[] b = bias == null ? new float[(int) out] : bias.clone();
        long[] pads = pads(x.shape(), k, s, d, padding);
        if (x.pad() != null) for (int i = 0; i < 4; i++) pads[i] += x.pad()[i];
        boolean hasBias = bias != null || bn != null;
        if (x.affine() != null) { // uint8 pixels read as they are (see readsPixels): w' = w · a[c], b' = b + Σ w · b[c]
            float[] a = x.affine()[0], sh = x.affine()[1];
            int c = a.length, area = (int) (per / c);
            kernel = kernel.clone();
            for (int o = 0; o < out; o++)
                for (int ch = 0; ch < c; ch++)
                    for (int t = 0; t < area; t++) {
                        int at = (int) (o * per) + ch * area + t;
                        b[o] += kernel[at] * sh[ch];
                        kernel[at] *= a[ch];
                    }
            hasBias = true;
            x = padPixels(x, pads);
            pads = new long[4];
        }
        if (bn != null) { // w' = w · scale, b' = b · scale + shift
            kernel = kernel.clone();
            for (int o = 0; o < out; o++) {
                for (long i = 0; i < per; i++) kernel[(int) (o * per + i)] *= bn[0][o];
                b[o] = b[o] * bn[0][o] + bn[1][o];
            }
        }
        List<String> in = new ArrayList<>(List.of(x.name()));
        Quantized inputQ = quantization.get(x.name());
        if (ranges != null) { // int8 kernel per output channel; an int32 bias where the input is quantized too
            float[][] scales = new float[1][];
            in.add(int8Weight(kdims, kernel, (int) out, scales));
            if (hasBias) in.add(inputQ != null ? int32Bias(b, inputQ.scale(), scales[0]) : init(new long[] {out}, b));
        } else {
            in.add(init(kdims, kernel));
            if (hasBias) in.add(init(new long[] {out}, b));
        }
        return op("Conv", in, ints("kernel_shape", k[0], k[1]), ints("strides", s[0], s[1]), ints("dilations", d[0], d[1]),
                attr("group", groups), ints("pads", pads));
    }

    /**
     * uint8 pixels padded, per channel, with the pixel value nearest the one their scaling takes to 0, then read as
     * uint8 with scale 1 (what the int8 convolution takes).
     */
    private V padPixels(V x, long[] pads) {
        String y = x.name();
        int c = x.affine()[0].length;
        if (Arrays.stream(pads).anyMatch(p -> p > 0)) {
            byte[] value = new byte[c];
            for (int ch = 0; ch < c; ch++) value[ch] = (byte) Math.round(-x.affine()[1][ch] / x.affine()[0][ch]);
            String padding = longs(0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]);
            boolean same = true;
            for (byte v : value) same &= v == value[0];
            if (same) {
                y = op("Pad", List.of(y, padding, raw(new long[0], 2, new byte[] {value[0]})));
            } else {
                List<String> parts = new ArrayList<>();
                for (int ch = 0; ch < c; ch++) {
                    String one = op("Slice", List.of(y, longs(ch), longs(ch + 1), longs(1)));
                    parts.add(op("Pad", List.of(one, padding, raw(new long[0], 2, new byte[] {value[ch]}))));
                }
                y = op("Concat", parts, attr("axis", 1));
            }
        }
        Quantized q = new Quantized(1, scalar(1), raw(new long[0], 2, new byte[1]));
        String dq = op("DequantizeLinear", List.of(y, q.scaleName(), q.zeroName()));
        quantization.put(dq, q);
        return new V(dq, x.shape());
    }

    /** ONNX pads (top, left, bottom, right); Keras' "same" puts the odd pixel after. */
    private static long[] pads(Shape in, int[] k, int[] s, int[] d, Padding p) {
        int[] ph = p.amounts(in.height(), (k[0] - 1) * d[0] + 1, s[0]), pw = p.amounts(in.width(), (k[1] - 1) * d[1] + 1, s[1]);
        return new long[] {ph[0], pw[0], ph[1], pw[1]};
    }

    private String act(String x, Activation a, boolean image) {
        return switch (a) {
            case LINEAR -> x;
            case RELU -> op("Relu", List.of(x));
            case RELU6 -> op("Clip", List.of(x, scalar(0), scalar(6)));
            case SOFTMAX -> op("Softmax", List.of(x), attr("axis", image ? 1 : -1));
            case SIGMOID -> op("Sigmoid", List.of(x));
            case TANH -> op("Tanh", List.of(x));
            case SILU -> op("Mul", List.of(x, op("Sigmoid", List.of(x))));
            case HARD_SILU -> op("HardSwish", List.of(x));
            case HARD_SIGMOID -> op("HardSigmoid", List.of(x), attrF("alpha", 1f / 6), attrF("beta", 0.5f));
            case GELU -> op("Mul", List.of(op("Mul", List.of(x, scalar(0.5f))),
                    op("Add", List.of(scalar(1), op("Erf", List.of(op("Div", List.of(x, scalar((float) Math.sqrt(2))))))))));
            case ELU -> op("Elu", List.of(x));
            case SELU -> op("Selu", List.of(x));
            case SOFTPLUS -> op("Softplus", List.of(x));
            case LEAKY_RELU -> op("LeakyRelu", List.of(x), attrF("alpha", 0.2f));
        };
    }

    private String channelAffine(V x, float[] scale, float[] shift) {
        return op("Add", List.of(op("Mul", List.of(x.name(), channelConst(scale, x))), channelConst(shift, x)));
    }

    /** A per-channel constant that broadcasts over x: (1, C, 1, 1) for images, (C) on the last axis otherwise. */
    private String channelConst(float[] v, V x) {
        return x.image() ? init(new long[] {1, v.length, 1, 1}, v) : init(new long[] {v.length}, v);
    }

    private String perChannel(double[] v, V x) {
        if (v.length == 1) return scalar((float) v[0]);
        return channelConst(broadcast(v, v.length), x);
    }

    private String toKeras(V x) { return x.image() ? op("Transpose", List.of(x.name()), ints("perm", 0, 2, 3, 1)) : x.name(); }

    private String fromKeras(String y, Shape out) { return out.isImage() ? op("Transpose", List.of(y), ints("perm", 0, 3, 1, 2)) : y; }

    private static int channels(Shape s) { return s.dims()[s.dims().length - 1]; }

    private static float[] filled(int n, float v) {
        float[] f = new float[n];
        Arrays.fill(f, v);
        return f;
    }

    private static float[] broadcast(double[] v, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) v[v.length == 1 ? 0 : i];
        return f;
    }

    /** A kernel in ONNX's layout, which is libtorch's: the weight's own conversion from Keras'. */
    private float[] torchLayout(Layer l, Shape in, String path, String name) {
        for (dev.lote.nn.Weight wt : l.weights(List.of(in))) if (wt.name().equals(name)) return wt.toTorchLayout(w(path, name));
        throw new IllegalArgumentException(l.className() + " has no weight " + name + ".");
    }

    // ---- protobuf ----------------------------------------------------------------------------------------------

    private String op(String type, List<String> inputs, Proto... attrs) {
        String out = type.toLowerCase(java.util.Locale.ROOT) + "_" + counter++;
        nodes.add(node(type, inputs, out, Arrays.stream(attrs).filter(java.util.Objects::nonNull).toList()));
        return out;
    }

    private static Proto node(String type, List<String> inputs, String output, List<Proto> attrs) {
        Proto n = new Proto();
        for (String i : inputs) n.string(1, i);
        n.string(2, output).string(3, output).string(4, type);
        for (Proto a : attrs) n.message(5, a);
        return n;
    }

    private String init(long[] dims, float[] data) {
        String name = "w_" + counter++;
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        Proto t = new Proto();
        for (long d : dims) t.varint(1, d);
        inits.add(t.varint(2, 1).string(8, name).bytes(9, b.array()));
        return name;
    }

    /** An initializer of raw little-endian bytes of ONNX type {@code type} (2 uint8, 3 int8, 6 int32). */
    private String raw(long[] dims, int type, byte[] data) {
        String name = "q_" + counter++;
        Proto t = new Proto();
        for (long d : dims) t.varint(1, d);
        inits.add(t.varint(2, type).string(8, name).bytes(9, data));
        return name;
    }

    /** A vector of n zeros of an int type (3: int8, 6: int32), one initializer per shape: per-channel zero points repeat. */
    private String zeros(int type, int n) {
        return zeroPoints.computeIfAbsent(type + "x" + n, k -> raw(new long[] {n}, type, new byte[n * (type == 6 ? 4 : 1)]));
    }

    private String scalar(float v) {
        String name = "c_" + counter++;
        inits.add(new Proto().varint(2, 1).string(8, name).packedFloats(4, new float[] {v}));
        return name;
    }

    private String longs(long... v) {
        String name = "i_" + counter++;
        inits.add(new Proto().varint(1, v.length).varint(2, 7).string(8, name).packedLongs(7, v));
        return name;
    }

    private static Proto attr(String name, long v) { return new Proto().string(1, name).varint(3, v).varint(20, 2); }

    private static Proto attrF(String name, float v) { return new Proto().string(1, name).float32(2, v).varint(20, 1); }

    private static Proto ints(String name, long... v) { return new Proto().string(1, name).packedLongs(8, v).varint(20, 7); }

    private static Proto ints(String name, int... v) { return ints(name, Arrays.stream(v).asLongStream().toArray()); }

    private static Proto valueInfo(String name, int elemType, long[] dims) {
        Proto shape = new Proto();
        for (long d : dims) shape.message(1, d < 0 ? new Proto().string(2, "batch") : new Proto().varint(1, d));
        Proto tensor = new Proto().varint(1, elemType).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensor));
    }

}
