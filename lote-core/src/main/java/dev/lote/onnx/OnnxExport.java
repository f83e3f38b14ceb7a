package dev.lote.onnx;


import dev.lote.io.AtomicFile;
import dev.lote.wire.Proto;
import dev.lote.nn.Activation;
import dev.lote.nn.Flatten;
import dev.lote.nn.Fusion;
import dev.lote.nn.Layer;
import dev.lote.nn.MaxPooling2D;
import dev.lote.nn.Mode;
import dev.lote.nn.Model;
import dev.lote.nn.Reshape;
import dev.lote.nn.SeparableConv2D;
import dev.lote.nn.Shape;
import dev.lote.nn.Weights;
import dev.lote.onnx.OnnxOps.Quantized;
import dev.lote.onnx.OnnxOps.V;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model as an ONNX graph (opset 17, dynamic batch): pixels in (uint8 or float, NHWC or NCHW) with the model's own
 * scaling inside, probabilities out. Each layer writes its own nodes through {@link OnnxOps}; here are the graph's
 * walk and what it fuses: batch normalization after a convolution folds into it, a ZeroPadding2D into the
 * convolution that reads it, the pixel scaling into the first layer, and for int8 the quantization of activations.
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
    private final OnnxGraph g = new OnnxGraph();
    private final OnnxOps ops;
    /** int8: each tap's activation range (lo, hi); null exports float. */
    private final Map<String, float[]> ranges;
    /** Probing: each tap's float tensor, by tap name; null otherwise. */
    private final Map<String, String> taps;

    private OnnxExport(Map<String, float[]> weights, Map<String, float[]> ranges, boolean probe) {
        this.weights = weights;
        this.ranges = ranges;
        this.taps = probe ? new LinkedHashMap<>() : null;
        this.ops = new OnnxOps(g, ranges != null);
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
        Shape s = model.inputShape();
        long[] dims = input.nchw() ? new long[] {-1, s.channels(), s.height(), s.width()} : new long[] {-1, s.height(), s.width(), s.channels()};
        String x = "pixels";
        if (!input.nchw()) x = g.op("Transpose", List.of(x), OnnxGraph.ints("perm", 0, 3, 1, 2)); // on the bytes, before they widen
        if (input.uint8()) ops.bytes.add(x); // cast to float where it is read as floats
        float[][] pixels = {filled(s.channels(), (float) scale), filled(s.channels(), (float) offset)};
        V out = graph(model, List.of(new V(x, s, pixels, null, null)), "");
        String y = out.name();
        if (temperature != 1) { // softmax(log p / T) = softmax(logits / T)
            String logits = model.activation() == Activation.LINEAR ? y : g.op("Log", List.of(y));
            y = g.op("Softmax", List.of(g.op("Div", List.of(logits, g.scalar((float) temperature)))), OnnxGraph.attr("axis", -1));
        } else if (model.activation() == Activation.LINEAR) {
            y = g.op("Softmax", List.of(y), OnnxGraph.attr("axis", -1));
        }
        g.nodes.add(OnnxGraph.node("Identity", List.of(y), "probabilities", List.of()));

        Proto graph = new Proto();
        for (Proto n : g.nodes) graph.message(1, n);
        graph.string(2, model.name());
        for (Proto t : g.inits) graph.message(5, t);
        graph.message(11, OnnxGraph.valueInfo("pixels", input.uint8() ? 2 : 1, dims));
        graph.message(12, OnnxGraph.valueInfo("probabilities", 1, new long[] {-1, model.classes()}));
        if (taps != null) for (String t : new java.util.LinkedHashSet<>(taps.values())) graph.message(12, new Proto().string(1, t)
                .message(2, new Proto().message(1, new Proto().varint(1, 1)))); // float, any shape
        Proto m = new Proto().varint(1, IR_VERSION).string(2, "lote").string(3, dev.lote.io.ModelFile.loteVersion());
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
        Fusion f = new Fusion(model);
        for (int i = 0; i < calls.size(); i++) {
            Model.Call c = calls.get(i);
            Layer l = c.layer();
            if (c.inputs().isEmpty() || out[i] != null) continue; // the input, or a batch normalization folded into its convolution
            String path = prefix + l.name() + "/";
            int only = c.inputs().size() == 1 ? c.inputs().get(0) : -1;
            if (only >= 0 && out[only].affine() != null && f.readers(only) == 1) { // a pixel scaling joins the pending one
                float[][] joined = joinAffine(out[only].affine(), l.inferenceAffine(weights, path, channels(c.output())));
                if (joined != null) {
                    out[i] = new V(out[only].name(), c.output(), joined, null, null);
                    continue;
                }
            }
            for (int j : c.inputs())
                if (out[j].affine() != null && (f.readers(j) > 1 || !(l instanceof Model || readsPixels(model, f, i, out[j])))) out[j] = scaled(out[j]);
            List<V> in = c.inputs().stream().map(j -> out[j]).toList();
            if (l instanceof Model sub) {
                out[i] = graph(sub, in, path);
                continue;
            }
            if (f.padTakenIn(i)) { // the convolution that reads it pads (one pass, and int8 kernels handle it)
                out[i] = in.get(0);
                continue;
            }
            // a convolution read only by a batch normalization takes it into its weights
            int foldAt = f.batchNormAfter(i);
            Map<String, float[]> w = weights;
            if (foldAt >= 0) {
                Layer bn = calls.get(foldAt).layer();
                float[][] affine = bn.inferenceAffine(weights, prefix + bn.name() + "/", channels(c.output()));
                if (l.activation() == Activation.LINEAR) {
                    w = Fusion.fold(l, c.inputShapes().get(0), weights, path, affine);
                } else {
                    if (l.activation() == Activation.RELU && afterRelu(model, f, i, prefix, out, affine)) continue;
                    foldAt = -1;
                }
            }
            V y = compute(c, in, w, path, f.padInto(i));
            int last = foldAt >= 0 ? foldAt : i; // a folded convolution's output is its batch normalization's
            Layer named = calls.get(last).layer();
            boolean probabilities = (prefix.isEmpty() && last == model.outputIndex()) || named.activation() == Activation.SOFTMAX;
            // a value read only by a ReLU is not quantized: int8 kernels apply the ReLU as they write the convolution's output
            int next = f.onlyReader(last);
            boolean beforeRelu = next >= 0 && Fusion.isRelu(calls.get(next).layer());
            if (keepsRange(l) && ops.quantization.containsKey(in.get(0).name())) out[i] = requantized(in.get(0), y);
            else out[i] = probabilities || beforeRelu ? y : tap(prefix + named.name() + (f.callsOf(named) > 1 ? "@" + last : ""), y);
            if (foldAt >= 0) out[foldAt] = out[i];
        }
        return out[model.outputIndex()];
    }

    /** One call's nodes, written by its layer; {@code w}: the weights by path, {@code pads}: padding handed over by a ZeroPadding2D. */
    private V compute(Model.Call c, List<V> in, Map<String, float[]> w, String path, int[] pads) {
        Layer l = c.layer();
        Weights<V> view = Weights.of(l, c.inputShapes(), w, path, OnnxOps::weight);
        try {
            V y = l.compute(ops, in, view, new Mode(false, false, pads));
            return new V(y.name(), c.output());
        } catch (UnsupportedOperationException e) {
            throw new UnsupportedLayerException(l, e.getMessage());
        }
    }

    /**
     * A batch normalization after a ReLU convolution, when every channel's scale s is positive: s goes into the
     * convolution (s · relu(x) = relu(s · x)) and only the shift is left, added after a max pooling that reads it (max
     * commutes with it), where there are 4× fewer values. In int8 that is one uint8 add instead of a float multiply-add
     * at full resolution. False (nothing done) when a scale is not positive.
     */
    private boolean afterRelu(Model model, Fusion f, int i, String prefix, V[] out, float[][] ss) {
        List<Model.Call> calls = model.calls();
        Model.Call c = calls.get(i);
        int k = f.batchNormAfter(i);
        for (float v : ss[0]) if (!(v > 0)) return false;
        String path = prefix + c.layer().name() + "/";
        Map<String, float[]> w = Fusion.fold(c.layer(), c.inputShapes().get(0), weights, path, new float[][] {ss[0], new float[ss[0].length]});
        V y = tap(prefix + c.layer().name(), compute(c, c.inputs().stream().map(j -> out[j]).toList(), w, path, f.padInto(i)));
        out[i] = y;
        int last = k, pool = f.onlyReader(k);
        if (pool >= 0 && Fusion.isMaxPooling(calls.get(pool).layer())) {
            last = pool;
            y = requantized(y, compute(calls.get(pool), List.of(y), weights, prefix + calls.get(pool).layer().name() + "/", null));
            out[k] = y;
        }
        String shift = ranges == null ? channelConst(ss[1], y) : quantizedConst(ss[1], y);
        out[last] = tap(prefix + calls.get(last).layer().name(), new V(g.op("Add", List.of(y.name(), shift)), calls.get(last).output()));
        return true;
    }

    /**
     * int8: whether call i, a convolution (or zero padding into one) over the input's uint8 pixels, reads them as they
     * are, its weights taking in their scaling: then no float pass over the pixels is made at all. The one inexact
     * place is the border: the padding, which is 0 after scaling, is the pixel value nearest that (within half a
     * level), per channel.
     */
    private boolean readsPixels(Model model, Fusion f, int i, V x) {
        if (ranges == null || !ops.bytes.contains(x.name())) return false;
        if (f.callsOf(model.calls().get(i).layer()) != 1) return false;
        if (f.padTakenIn(i)) i = f.onlyReader(i);
        if (!Fusion.isConvolution(model.calls().get(i).layer()) || model.calls().get(i).layer() instanceof SeparableConv2D) return false;
        for (int ch = 0; ch < x.affine()[0].length; ch++) {
            double zero = -x.affine()[1][ch] / x.affine()[0][ch];
            if (!(zero >= 0 && zero <= 255)) return false;
        }
        return true;
    }

    /** The input's pending scaling followed by a layer's per-channel affine map {@code b}; null where there is none. */
    private static float[][] joinAffine(float[][] a, float[][] b) {
        if (b == null) return null;
        int c = a[0].length;
        float[] scale = a[0].clone(), shift = a[1].clone();
        for (int i = 0; i < c; i++) {
            scale[i] *= b[0][i];
            shift[i] = shift[i] * b[0][i] + b[1][i];
        }
        return new float[][] {scale, shift};
    }

    /** The input with its pending scaling applied (one multiply and one add, each left out when it does nothing), as the first layer reads it. */
    private V scaled(V v) {
        float[] scale = v.affine()[0], shift = v.affine()[1];
        String y = ops.bytes.contains(v.name()) ? g.op("Cast", List.of(v.name()), OnnxGraph.attr("to", 1)) : v.name();
        boolean ones = true, zeros = true;
        for (int i = 0; i < scale.length; i++) { ones &= scale[i] == 1; zeros &= shift[i] == 0; }
        if (!ones) y = g.op("Mul", List.of(y, uniformOrPerChannel(scale, v)));
        if (!zeros) y = g.op("Add", List.of(y, uniformOrPerChannel(shift, v)));
        return tap(INPUT_TAP, new V(y, v.shape()));
    }

    private String uniformOrPerChannel(float[] v, V x) {
        for (float f : v) if (f != v[0]) return channelConst(v, x);
        return g.scalar(v[0]);
    }

    /** A per-channel constant that broadcasts over x: (1, C, 1, 1) for images, (C) on the last axis otherwise. */
    private String channelConst(float[] v, V x) {
        return x.image() ? g.init(new long[] {1, v.length, 1, 1}, v) : g.init(new long[] {v.length}, v);
    }

    private static int channels(Shape s) { return s.dims()[s.dims().length - 1]; }

    private static float[] filled(int n, float v) { return OnnxOps.filled(n, v); }

    // ---- int8 ---------------------------------------------------------------------------------------------------

    /** The tap of the model's input, scaled as the first layer reads it. */
    public static final String INPUT_TAP = "(input)";

    /** A layer's output: recorded when probing; quantized to uint8 and back when its range is known. */
    private V tap(String name, V v) {
        if (taps != null && !v.name().equals("pixels")) taps.put(name, v.name());
        float[] r = ranges == null ? null : ranges.get(name);
        if (r == null || ops.quantization.containsKey(v.name())) return v;
        float[] q = uint8(r[0], r[1]);
        String scale = g.scalar(q[0]), zero = g.raw(new long[0], 2, new byte[] {(byte) q[1]});
        String dq = g.op("DequantizeLinear", List.of(g.op("QuantizeLinear", List.of(v.name(), scale, zero)), scale, zero));
        ops.quantization.put(dq, new Quantized(q[0], scale, zero, r.length > 2 ? java.util.Arrays.copyOfRange(r, 2, r.length) : null));
        return new V(dq, v.shape());
    }

    /**
     * A layer whose outputs are some of its input's values (a max pooling, a flatten, a reshape): quantized as its input
     * is, ONNX Runtime drops the DequantizeLinear/QuantizeLinear around it and runs it on the uint8 values.
     */
    private static boolean keepsRange(Layer l) {
        return l instanceof MaxPooling2D || l instanceof Flatten || l instanceof Reshape;
    }

    /** {@code v} quantized as {@code like} is (see {@link #keepsRange}): ONNX Runtime then runs the layer in uint8. */
    private V requantized(V like, V v) {
        Quantized q = ops.quantization.get(like.name());
        if (q == null) return v;
        String dq = g.op("DequantizeLinear", List.of(g.op("QuantizeLinear", List.of(v.name(), q.scaleName(), q.zeroName())), q.scaleName(), q.zeroName()));
        ops.quantization.put(dq, new Quantized(q.scale(), q.scaleName(), q.zeroName())); // the pooled values' means are not the input's
        return new V(dq, v.shape());
    }

    /**
     * Scale and zero point of uint8 for values in (lo, hi), widened to hold 0 exactly (ReLU's zero point is then 0,
     * which lets ONNX Runtime drop the ReLU into the convolution). The top, 255 · scale, stays at or below hi, so a
     * clip at hi (ReLU6) is redundant for it too.
     */
    public static float[] uint8(float lo, float hi) {
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
        return g.op("DequantizeLinear", List.of(g.raw(x.image() ? new long[] {1, v.length, 1, 1} : new long[] {v.length}, 2, data), g.scalar(q[0]),
                g.raw(new long[0], 2, new byte[] {(byte) q[1]})));
    }
}
