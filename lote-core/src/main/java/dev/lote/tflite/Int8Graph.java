package dev.lote.tflite;

import dev.lote.onnx.BiasCorrection;
import dev.lote.onnx.OnnxExport;
import dev.lote.tflite.TfliteOps.Op;
import dev.lote.tflite.TfliteOps.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The float graph made full-integer where TFLite's int8 kernels can run it (TFLite's quantization spec): activations
 * int8 per tensor from the calibrated ranges, convolution kernels int8 per output channel and dense kernels per tensor
 * (symmetric), biases int32 at the input's scale × the kernel's. An operator whose inputs or output have no known
 * range runs in float, with DEQUANTIZE before and QUANTIZE after it, as TensorFlow's converter leaves an operator it
 * cannot quantize: the graph stays correct, only slower there. The input and the probabilities stay float.
 */
final class Int8Graph {
    /** int8 kernels that rescale: their output has a quantization of its own (calibrated, or fixed by TFLite). */
    private static final Set<Integer> RESCALING = Set.of(TfliteOps.CONV_2D, TfliteOps.DEPTHWISE_CONV_2D, TfliteOps.FULLY_CONNECTED, TfliteOps.ADD,
            TfliteOps.MUL, TfliteOps.SUB, TfliteOps.MEAN, TfliteOps.RELU, TfliteOps.RELU6, TfliteOps.HARD_SWISH, TfliteOps.LEAKY_RELU,
            TfliteOps.LOGISTIC, TfliteOps.TANH);
    /** int8 kernels that move values without rescaling them: their output must be quantized as their input is. */
    private static final Set<Integer> SAME_AS_INPUT = Set.of(TfliteOps.MAX_POOL_2D, TfliteOps.AVERAGE_POOL_2D, TfliteOps.RESHAPE, TfliteOps.PAD,
            TfliteOps.TRANSPOSE, TfliteOps.SLICE, TfliteOps.REDUCE_MAX, TfliteOps.RESIZE_BILINEAR, TfliteOps.RESIZE_NEAREST);

    /** An int8 tensor's quantization: real = scale · (q − zero). */
    private record Q(float scale, int zero) {}

    private final TfliteOps ops;
    private final Map<Integer, String> tags;
    private final Map<String, float[]> ranges;
    private final Map<Integer, Q> int8 = new HashMap<>(); // tensors that hold int8
    private final Map<Integer, Integer> quantizedOf = new HashMap<>(), floatOf = new HashMap<>(); // twins made by QUANTIZE / DEQUANTIZE
    private final List<Op> out = new ArrayList<>();

    private Int8Graph(TfliteOps ops, Map<Integer, String> tags, Map<String, float[]> ranges) {
        this.ops = ops;
        this.tags = tags;
        this.ranges = ranges;
    }

    /**
     * Rewrites {@code ops}' operators; {@code tags}: the calibration tap each computed tensor holds, {@code ranges}: each
     * tap's (lo, hi). Returns the graph's output tensor (a float one) and how many operators run as int8.
     */
    static int[] apply(TfliteOps ops, Map<Integer, String> tags, Map<String, float[]> ranges, int output) {
        Int8Graph g = new Int8Graph(ops, tags, ranges);
        int quantized = 0;
        for (Op op : ops.operators) if (g.rewrite(op)) quantized++;
        int y = g.floating(output);
        ops.operators.clear();
        ops.operators.addAll(g.out);
        return new int[] {y, quantized};
    }

    /** The range a float tensor was calibrated to, as int8; null where none is known. */
    private Q calibrated(int t) {
        String tap = tags.get(t);
        float[] r = tap == null ? null : ranges.get(tap);
        if (r == null) return null;
        float[] u = OnnxExport.uint8(r[0], r[1]); // uint8's scale; int8's zero point is 128 lower
        return new Q(u[0], (int) u[1] - 128);
    }

    /** Each channel's mean of the value tensor t holds, from calibration; null where unknown. */
    private float[] means(int t) {
        String tap = tags.get(t);
        float[] r = tap == null ? null : ranges.get(tap);
        return r == null || r.length <= 2 ? null : Arrays.copyOfRange(r, 2, r.length);
    }

    private Q known(int t) { return int8.containsKey(t) ? int8.get(t) : calibrated(t); }

    private boolean rewrite(Op op) {
        List<Integer> computed = new ArrayList<>();
        for (int t : op.inputs) if (ops.tensors.get(t).computed()) computed.add(t);
        Q result = null;
        if ((RESCALING.contains(op.code) || SAME_AS_INPUT.contains(op.code)) && !computed.isEmpty() && computed.stream().allMatch(t -> known(t) != null)) {
            Q first = known(computed.get(0));
            result = SAME_AS_INPUT.contains(op.code) ? first
                    : op.code == TfliteOps.LOGISTIC ? new Q(1f / 256, -128) // the fixed output ranges of TFLite's int8 kernels
                    : op.code == TfliteOps.TANH ? new Q(1f / 128, 0)
                    : calibrated(op.output);
        }
        if (result == null) { // float: int8 inputs come back to float first
            for (int j = 0; j < op.inputs.length; j++) if (ops.tensors.get(op.inputs[j]).computed()) op.inputs[j] = floating(op.inputs[j]);
            out.add(op);
            return false;
        }
        boolean weighted = op.code == TfliteOps.CONV_2D || op.code == TfliteOps.DEPTHWISE_CONV_2D || op.code == TfliteOps.FULLY_CONNECTED;
        float[] kernelScale = null, means = means(op.source >= 0 ? op.source : op.inputs[0]);
        Tensor kernel = weighted ? ops.tensors.get(op.inputs[1]) : null;
        for (int j = 0; j < op.inputs.length; j++) {
            int t = op.inputs[j];
            Tensor x = ops.tensors.get(t);
            if (x.computed()) op.inputs[j] = quantized(t);
            else if (x.type != TfliteOps.FLOAT32) continue; // shapes and axes
            else if (weighted && j == 1) kernelScale = kernel(x, op.code == TfliteOps.CONV_2D ? 0 : op.code == TfliteOps.DEPTHWISE_CONV_2D ? 3 : -1);
            else if (weighted && j == 2) {
                float[] b = x.values;
                if (means != null && op.window != null) { // as the ONNX export does (BiasCorrection)
                    int[] w = op.window, in = ops.tensors.get(op.source).shape, out = ops.tensors.get(op.output).shape;
                    float[] inside = BiasCorrection.inside(in[1], in[2], new int[] {w[0], w[1]}, new int[] {w[2], w[3]}, new int[] {w[4], w[5]}, w[6], w[7],
                            out[1], out[2]);
                    b = BiasCorrection.corrected(b, kernel.values, kernelScale, means, 1, inside,
                            op.code == TfliteOps.CONV_2D ? BiasCorrection.Layout.OUT_AREA_IN : BiasCorrection.Layout.AREA_OUT);
                }
                bias(x, b, known(op.inputs[0]).scale(), kernelScale);
            }
            else constant(x);
        }
        Tensor y = ops.tensors.get(op.output);
        quantize(y, result);
        int8.put(op.output, result);
        out.add(op);
        return true;
    }

    /** Tensor t as int8: itself, or its QUANTIZE twin at its calibrated range. */
    private int quantized(int t) {
        if (int8.containsKey(t)) return t;
        return quantizedOf.computeIfAbsent(t, k -> {
            int q = ops.twin(k, TfliteOps.INT8);
            Q p = calibrated(k);
            quantize(ops.tensors.get(q), p);
            int8.put(q, p);
            convert(TfliteOps.QUANTIZE, k, q);
            return q;
        });
    }

    /** Tensor t as float: itself, or its DEQUANTIZE twin. */
    private int floating(int t) {
        if (!int8.containsKey(t)) return t;
        return floatOf.computeIfAbsent(t, k -> {
            int f = ops.twin(k, TfliteOps.FLOAT32);
            convert(TfliteOps.DEQUANTIZE, k, f);
            return f;
        });
    }

    private void convert(int code, int from, int to) {
        out.add(new Op(code, new int[] {from}, to, 0, null, -1));
    }

    private static void quantize(Tensor t, Q q) {
        t.type = TfliteOps.INT8;
        t.scale = new float[] {q.scale()};
        t.zeroPoint = new long[] {q.zero()};
        t.axis = 0;
    }

    /** A kernel as int8 in [−127, 127], one scale per slice along {@code axis} (−1: one for all); returns the scales. */
    private float[] kernel(Tensor k, int axis) {
        float[] v = k.values;
        int channels = axis < 0 ? 1 : k.shape[axis];
        int inner = 1; // values between two of the same channel's
        for (int d = axis + 1; axis >= 0 && d < k.shape.length; d++) inner *= k.shape[d];
        float[] peak = new float[channels], scale = new float[channels];
        for (int i = 0; i < v.length; i++) {
            int c = channel(i, channels, inner);
            peak[c] = Math.max(peak[c], Math.abs(v[i]));
        }
        for (int c = 0; c < channels; c++) scale[c] = peak[c] > 0 ? peak[c] / 127 : 1;
        byte[] q = new byte[v.length];
        for (int i = 0; i < v.length; i++) q[i] = (byte) Math.max(-127, Math.min(127, Math.round(v[i] / scale[channel(i, channels, inner)])));
        ops.rewrite(k.buffer, q);
        k.type = TfliteOps.INT8;
        k.scale = scale;
        k.zeroPoint = new long[channels];
        k.axis = Math.max(axis, 0);
        return scale;
    }

    private static int channel(int i, int channels, int inner) { return channels == 1 ? 0 : (i / inner) % channels; }

    /** A bias ({@code v}: its values) as int32 at the input's scale × each channel's kernel scale (what the kernels accumulate in). */
    private void bias(Tensor b, float[] v, float inputScale, float[] kernelScale) {
        float[] scale = new float[v.length];
        ByteBuffer q = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int c = 0; c < v.length; c++) {
            scale[c] = inputScale * kernelScale[kernelScale.length == 1 ? 0 : c];
            q.putInt((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, Math.round((double) v[c] / scale[c]))));
        }
        ops.rewrite(b.buffer, q.array());
        b.type = TfliteOps.INT32;
        b.scale = kernelScale.length == 1 ? new float[] {scale[0]} : scale;
        b.zeroPoint = new long[b.scale.length];
        b.axis = 0;
    }

    /** Any other float constant (a shift to add, a factor): int8 over its own range. */
    private void constant(Tensor c) {
        float lo = 0, hi = 0;
        for (float f : c.values) { lo = Math.min(lo, f); hi = Math.max(hi, f); }
        float[] u = OnnxExport.uint8(lo, hi);
        Q p = new Q(u[0], (int) u[1] - 128);
        byte[] q = new byte[c.values.length];
        for (int i = 0; i < q.length; i++) q[i] = (byte) Math.max(-128, Math.min(127, Math.round(c.values[i] / p.scale()) + p.zero()));
        ops.rewrite(c.buffer, q);
        quantize(c, p);
    }
}
