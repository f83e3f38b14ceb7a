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
        TfliteExport g = new TfliteExport(weights);
        TfliteOps ops = g.ops;
        V x = ops.tensor("pixels", model.inputShape(), TfliteOps.FLOAT32, 0);
        int input = x.index();
        if (scale != 1) x = ops.multiply(x, ops.constant((float) scale));
        if (offset != 0) x = ops.add(x, ops.constant((float) offset));
        V y = g.graph(model, List.of(x), "");
        Op last = ops.operators.isEmpty() ? null : ops.operators.get(ops.operators.size() - 1);
        if (model.activation() == Activation.LINEAR) y = ops.activation(y, Activation.SOFTMAX); // a model that ends in logits
        else if (temperature != 1 && (last == null || last.code != TfliteOps.SOFTMAX || last.output != y.index()))
            throw new IllegalArgumentException("The model does not end in a softmax: its calibration temperature cannot be applied in TFLite.");
        Op softmax = ops.operators.get(ops.operators.size() - 1);
        if (softmax.code == TfliteOps.SOFTMAX) softmax.options = new Table().f32(0, (float) (1 / temperature)); // softmax(logits / T)
        g.fuseRelus(y.index());
        ops.tensors.get(y.index()).ref(3, "probabilities"); // the graph's output is called what ONNX and serve call it

        Map<Integer, Integer> opcodes = new LinkedHashMap<>(); // builtin code → index
        List<Table> operators = new ArrayList<>();
        for (Op op : ops.operators) {
            Table t = new Table().i32(0, opcodes.computeIfAbsent(op.code, k -> opcodes.size())).ref(1, FlatBuffer.ints(op.inputs))
                    .ref(2, FlatBuffer.ints(op.output));
            if (op.fused != 0) op.options.i8(op.fusedField, op.fused);
            if (op.options != null) t.i8(3, op.optionsType).ref(4, op.options);
            operators.add(t);
        }
        Table subgraph = new Table().ref(0, ops.tensors).ref(1, FlatBuffer.ints(input)).ref(2, FlatBuffer.ints(y.index()))
                .ref(3, operators).ref(4, model.name());
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
            if (foldAt >= 0 && l.activation() == Activation.LINEAR) {
                Layer bn = calls.get(foldAt).layer();
                float[][] affine = bn.inferenceAffine(weights, prefix + bn.name() + "/", c.output().dims()[c.output().dims().length - 1]);
                w = Fusion.fold(l, c.inputShapes().get(0), weights, path, affine);
                out[foldAt] = out[i] = compute(c, in, w, path, f.padInto(i));
            } else {
                out[i] = compute(c, in, w, path, f.padInto(i));
            }
        }
        return out[model.outputIndex()];
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
