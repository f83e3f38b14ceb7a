package dev.lote.tflite;

import dev.lote.io.AtomicFile;
import dev.lote.wire.FlatBuffer;
import dev.lote.wire.FlatBuffer.Table;
import dev.lote.nn.Activation;
import dev.lote.nn.Fusion;
import dev.lote.nn.Layer;
import dev.lote.nn.Mode;
import dev.lote.nn.Model;
import dev.lote.nn.Shape;
import dev.lote.nn.Weights;
import dev.lote.onnx.OnnxExport;
import dev.lote.tflite.TfliteOps.Op;
import dev.lote.tflite.TfliteOps.V;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a model as a TensorFlow Lite flatbuffer (schema version 3), float32: input {@code pixels} [batch, height,
 * width, 3] as floats 0–255 (the model's own pixel scaling inside), output {@code probabilities} [batch, classes].
 * Each layer writes its own operators through {@link TfliteOps}; here are the graph's walk and what it fuses, as
 * TensorFlow's converter does: batch normalization into the convolution before it, a ZeroPadding2D into the
 * convolution that reads it, ReLU and ReLU6 into the operator that computes their input.
 */
public final class TfliteExport {
    /** A layer kind or setting TFLite's built-in operators cannot express here. */
    public static final class UnsupportedLayerException extends IllegalArgumentException {
        UnsupportedLayerException(Layer l, String why) { super("Layer '" + l.name() + "' (" + l.className() + ") cannot be exported to TFLite: " + why + "."); }
    }

    private final Map<String, float[]> weights;
    private final TfliteOps ops = new TfliteOps();

    private TfliteExport(Map<String, float[]> weights) { this.weights = weights; }

    public static void write(Model model, Map<String, float[]> weights, double scale, double offset, double temperature,
                             Map<String, String> metadata, Path target) throws IOException {
        byte[] bytes = build(model, weights, scale, offset, temperature, metadata);
        AtomicFile.write(target, out -> out.write(bytes));
    }

    /** The file's bytes; {@code temperature} (1: none) divides the logits before the softmax; metadata as JSON under "lote". */
    public static byte[] build(Model model, Map<String, float[]> weights, double scale, double offset, double temperature, Map<String, String> metadata) {
        return build(model, weights, scale, offset, temperature, metadata, null);
    }

    /**
     * The file's bytes in int8 ({@link Int8Graph}): {@code ranges} gives each value's calibrated (lo, hi) by the tap names
     * of {@link OnnxExport#probe} (this graph computes the same values at the same names), as {@link dev.lote.onnx.Int8Export} chose them.
     */
    public static byte[] buildInt8(Model model, Map<String, float[]> weights, double scale, double offset, double temperature,
                                   Map<String, String> metadata, Map<String, float[]> ranges) {
        return build(model, weights, scale, offset, temperature, metadata, Map.copyOf(ranges));
    }

    private static byte[] build(Model model, Map<String, float[]> weights, double scale, double offset, double temperature, Map<String, String> metadata,
                                Map<String, float[]> ranges) {
        TfliteExport g = new TfliteExport(weights);
        TfliteOps ops = g.ops;
        V x = ops.tensor("pixels", model.inputShape(), TfliteOps.FLOAT32, 0);
        int input = x.index();
        if (scale != 1) x = ops.multiply(x, ops.constant((float) scale));
        if (offset != 0) x = ops.add(x, ops.constant((float) offset));
        g.tag(OnnxExport.INPUT_TAP, x);
        V y = g.graph(model, List.of(x), "");
        Op last = ops.operators.isEmpty() ? null : ops.operators.get(ops.operators.size() - 1);
        if (model.activation() == Activation.LINEAR) y = ops.activation(y, Activation.SOFTMAX); // a model that ends in logits
        else if (temperature != 1 && (last == null || last.code != TfliteOps.SOFTMAX || last.output != y.index()))
            throw new IllegalArgumentException("The model does not end in a softmax: its calibration temperature cannot be applied in TFLite.");
        Op softmax = ops.operators.get(ops.operators.size() - 1);
        if (softmax.code == TfliteOps.SOFTMAX) softmax.options = new Table().f32(0, (float) (1 / temperature)); // softmax(logits / T)
        g.fuseRelus(y.index());
        int output = y.index();
        if (ranges != null) output = Int8Graph.apply(ops, g.tags, ranges, output)[0];
        ops.tensors.get(output).name = "probabilities"; // the graph's output is called what ONNX and serve call it

        Map<Integer, Integer> opcodes = new LinkedHashMap<>(); // builtin code → index
        List<Table> operators = new ArrayList<>();
        for (Op op : ops.operators) {
            Table t = new Table().i32(0, opcodes.computeIfAbsent(op.code, k -> opcodes.size())).ref(1, FlatBuffer.ints(op.inputs))
                    .ref(2, FlatBuffer.ints(op.output));
            if (op.fused != 0) op.options.i8(op.fusedField, op.fused);
            if (op.options != null) t.i8(3, op.optionsType).ref(4, op.options);
            operators.add(t);
        }
        Table subgraph = new Table().ref(0, ops.tensors.stream().map(TfliteOps.Tensor::table).toList()).ref(1, FlatBuffer.ints(input))
                .ref(2, FlatBuffer.ints(output)).ref(3, operators).ref(4, model.name());
        List<Table> codes = new ArrayList<>();
        for (int code : opcodes.keySet()) codes.add(new Table().i8(0, Math.min(code, 127)).i32(2, 1).i32(3, code));
        StringBuilder json = new StringBuilder("{");
        metadata.forEach((k, v) -> json.append(json.length() > 1 ? "," : "").append(quote(k)).append(':')
                .append(k.equals("classes") ? v : quote(v)));
        json.append('}');
        int metaBuffer = ops.buffer(json.toString().getBytes(StandardCharsets.UTF_8));
        Table root = new Table().i32(0, 3).ref(1, codes).ref(2, List.of(subgraph)).ref(3, "Lote " + dev.lote.io.ModelFile.loteVersion())
                .ref(4, ops.buffers).ref(6, List.of(new Table().ref(0, "lote").i32(1, metaBuffer)));
        return FlatBuffer.write(root, "TFL3");
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    // ---- the graph -----------------------------------------------------------------------------------------------

    /**
     * The calibration tap each computed tensor holds, by the names {@link OnnxExport#probe} gives the same values: the
     * scaled input, and each layer's output but the probabilities and a value only a ReLU reads.
     */
    private final Map<Integer, String> tags = new HashMap<>();

    private V tag(String name, V v) {
        if (v.index() >= 0) tags.put(v.index(), name);
        return v;
    }

    private V graph(Model model, List<V> inputs, String prefix) {
        List<Model.Call> calls = model.calls();
        V[] out = new V[calls.size()];
        for (int i = 0; i < inputs.size(); i++) out[model.inputIndices().get(i)] = inputs.get(i);
        Fusion f = new Fusion(model);
        for (int i = 0; i < calls.size(); i++) {
            Model.Call c = calls.get(i);
            Layer l = c.layer();
            if (c.inputs().isEmpty() || out[i] != null) continue; // the input, or a batch normalization folded into its convolution
            List<V> in = c.inputs().stream().map(j -> out[j]).toList();
            String path = prefix + l.name() + "/";
            if (l instanceof Model sub) {
                out[i] = graph(sub, in, path);
                continue;
            }
            if (f.padTakenIn(i)) { // the convolution that reads it pads: TFLite's SAME where the amounts are SAME's
                out[i] = in.get(0);
                continue;
            }
            int foldAt = f.batchNormAfter(i);
            Map<String, float[]> w = weights;
            if (foldAt >= 0) {
                Layer bn = calls.get(foldAt).layer();
                float[][] affine = bn.inferenceAffine(weights, prefix + bn.name() + "/", c.output().dims()[c.output().dims().length - 1]);
                if (l.activation() == Activation.LINEAR) w = Fusion.fold(l, c.inputShapes().get(0), weights, path, affine);
                else if (l.activation() == Activation.RELU && afterRelu(model, f, i, prefix, out, affine)) continue;
                else foldAt = -1;
            }
            V y = compute(c, in, w, path, f.padInto(i));
            int last = foldAt >= 0 ? foldAt : i; // a folded convolution's output is its batch normalization's
            Layer named = calls.get(last).layer();
            int only = c.inputs().size() == 1 ? c.inputs().get(0) : -1, next = f.onlyReader(last);
            if (only >= 0 && OnnxExport.INPUT_TAP.equals(tags.get(in.get(0).index())) && f.readers(only) == 1
                    && l.inferenceAffine(weights, path, c.output().dims()[c.output().dims().length - 1]) != null) {
                tags.remove(in.get(0).index()); // a scaling of the input: ONNX's graph joins it to the input's, whose tap is after it
                tag(OnnxExport.INPUT_TAP, y);
            } else if (!((prefix.isEmpty() && last == model.outputIndex()) || named.activation() == Activation.SOFTMAX
                    || next >= 0 && Fusion.isRelu(calls.get(next).layer()))) {
                tag(prefix + named.name() + (f.callsOf(named) > 1 ? "@" + last : ""), y);
            }
            out[i] = y;
            if (foldAt >= 0) out[foldAt] = y;
        }
        return out[model.outputIndex()];
    }

    /**
     * A batch normalization after a ReLU convolution, when every channel's scale s is positive: s goes into the
     * convolution (s · relu(x) = relu(s · x)) and only the shift is left, added after a max pooling that reads it (max
     * commutes with it), where there are 4× fewer values; as {@link OnnxExport} does, whose taps then name the same
     * values. False (nothing done) when a scale is not positive.
     */
    private boolean afterRelu(Model model, Fusion f, int i, String prefix, V[] out, float[][] ss) {
        List<Model.Call> calls = model.calls();
        Model.Call c = calls.get(i);
        for (float v : ss[0]) if (!(v > 0)) return false;
        String path = prefix + c.layer().name() + "/";
        Map<String, float[]> w = Fusion.fold(c.layer(), c.inputShapes().get(0), weights, path, new float[][] {ss[0], new float[ss[0].length]});
        V y = tag(prefix + c.layer().name(), compute(c, c.inputs().stream().map(j -> out[j]).toList(), w, path, f.padInto(i)));
        out[i] = y;
        int norm = f.batchNormAfter(i), last = norm, pool = f.onlyReader(norm);
        if (pool >= 0 && Fusion.isMaxPooling(calls.get(pool).layer())) {
            last = pool;
            y = compute(calls.get(pool), List.of(y), weights, prefix + calls.get(pool).layer().name() + "/", null);
            out[norm] = y;
        }
        out[last] = tag(prefix + calls.get(last).layer().name(), new V(ops.add(y, ops.constant(ss[1])).index(), calls.get(last).output()));
        return true;
    }

    /** One call's operators, written by its layer; {@code w}: the weights by path, {@code pads}: padding handed over by a ZeroPadding2D. */
    private V compute(Model.Call c, List<V> in, Map<String, float[]> w, String path, int[] pads) {
        Layer l = c.layer();
        Weights<V> view = Weights.of(l, c.inputShapes(), w, path, TfliteOps::weight);
        try {
            V y = l.compute(ops, in, view, new Mode(false, false, pads));
            return new V(y.index(), c.output());
        } catch (UnsupportedOperationException e) {
            throw new UnsupportedLayerException(l, e.getMessage());
        }
    }

    /** A RELU or RELU6 that is the only reader of a convolution's or dense layer's output rides on that operator. */
    private void fuseRelus(int graphOutput) {
        List<Op> all = ops.operators;
        Map<Integer, Op> producer = new HashMap<>();
        Map<Integer, Integer> readers = new HashMap<>();
        for (Op op : all) {
            producer.put(op.output, op);
            for (int t : op.inputs) readers.merge(t, 1, Integer::sum);
        }
        List<Op> kept = new ArrayList<>();
        for (Op op : all) {
            Op p = op.inputs.length == 1 ? producer.get(op.inputs[0]) : null;
            boolean relu = op.code == TfliteOps.RELU || op.code == TfliteOps.RELU6;
            if (relu && p != null && p.fusedField >= 0 && p.fused == 0 && p.output != graphOutput && readers.get(p.output) == 1) {
                p.fused = op.code == TfliteOps.RELU ? TfliteOps.FUSED_RELU : TfliteOps.FUSED_RELU6;
                p.output = op.output;
            } else {
                kept.add(op);
            }
        }
        all.retainAll(kept);
    }
}
