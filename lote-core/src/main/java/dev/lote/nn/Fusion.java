package dev.lote.nn;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The graph passes every engine makes, decided once here: a ZeroPadding2D read only by a "valid" convolution becomes
 * that convolution's padding (one pass over the image instead of two), and batch normalization after a convolution
 * folds into its weights where the engine does not train it. Built per model; calls are counted by index.
 */
public final class Fusion {
    private final Model model;
    private final int[] readers, reader; // how many calls read each call's output, and the last one that does
    private final Map<Layer, Integer> callsOf = new IdentityHashMap<>();

    public Fusion(Model model) {
        this.model = model;
        List<Model.Call> calls = model.calls();
        readers = new int[calls.size()];
        reader = new int[calls.size()];
        for (int i = 0; i < calls.size(); i++) {
            for (int j : calls.get(i).inputs()) {
                readers[j]++;
                reader[j] = i;
            }
            callsOf.merge(calls.get(i).layer(), 1, Integer::sum);
        }
    }

    /** How many calls read call i's output. */
    public int readers(int i) { return readers[i]; }

    /** How many times a layer is called in this model (a shared layer more than once). */
    public int callsOf(Layer l) { return callsOf.getOrDefault(l, 0); }

    /** The one call that reads call i's output, where i is not the output and each layer is called once; else -1. */
    public int onlyReader(int i) {
        if (readers[i] != 1 || i == model.outputIndex() || callsOf(layer(i)) != 1 || callsOf(layer(reader[i])) != 1) return -1;
        return reader[i];
    }

    private Layer layer(int i) { return model.calls().get(i).layer(); }

    /** Whether call i is a ZeroPadding2D that the convolution reading it takes in. */
    public boolean padTakenIn(int i) {
        int k = onlyReader(i);
        return layer(i) instanceof ZeroPadding2D && k >= 0 && isValidConvolution(layer(k));
    }

    /** For call k, the padding (top, bottom, left, right) it takes over from the ZeroPadding2D it reads; else null. */
    public int[] padInto(int k) {
        List<Integer> in = model.calls().get(k).inputs();
        if (in.size() != 1 || !padTakenIn(in.get(0))) return null;
        return ((ZeroPadding2D) layer(in.get(0))).amounts();
    }

    /** For a convolution call i whose output only a batch normalization reads: that call's index; else -1. */
    public int batchNormAfter(int i) {
        int k = onlyReader(i);
        return isConvolution(layer(i)) && k >= 0 && layer(k) instanceof BatchNormalization ? k : -1;
    }

    public static boolean isConvolution(Layer l) { return outputKernel(l) != null; }

    /** A convolution (not separable) with Keras' "valid" padding: one that can take in padding. */
    public static boolean isValidConvolution(Layer l) {
        return l instanceof Conv2D c && c.padding() == Padding.VALID || l instanceof DepthwiseConv2D d && d.padding() == Padding.VALID;
    }

    /** A Conv2D over all its input channels (groups 1). */
    public static boolean isDenseConvolution(Layer l) { return l instanceof Conv2D c && c.groups() == 1; }

    public static boolean isMaxPooling(Layer l) { return l instanceof MaxPooling2D; }

    /** A plain ReLU or ReLU6 layer (no threshold, no slope). */
    public static boolean isRelu(Layer l) {
        if (l instanceof ReLU r) return r.threshold() == 0 && r.negativeSlope() == 0;
        return l instanceof ActivationLayer a && (a.activation() == Activation.RELU || a.activation() == Activation.RELU6);
    }

    /** The weight of a convolution that makes its output channels; null for other layers. */
    public static String outputKernel(Layer l) {
        if (l instanceof Conv2D) return "kernel";
        if (l instanceof DepthwiseConv2D) return "depthwise_kernel";
        if (l instanceof SeparableConv2D) return "pointwise_kernel";
        return null;
    }

    /**
     * A convolution's weights (Keras' layout, under {@code path}) with the per-channel affine map {@code (scale, shift)}
     * after it folded in: kernel' = kernel · scale per output channel, bias' = bias · scale + shift (a bias is made
     * where there was none). The other weights are as given.
     */
    public static Map<String, float[]> fold(Layer conv, Shape input, Map<String, float[]> weights, String path, float[][] affine) {
        String kernel = outputKernel(conv);
        if (kernel == null) throw new IllegalArgumentException(conv.className() + " is not a convolution.");
        Map<String, float[]> out = new java.util.HashMap<>();
        for (Weight w : conv.weights(List.of(input))) {
            float[] v = weights.get(path + w.name());
            if (v != null) out.put(path + w.name(), v);
        }
        float[] s = affine[0], t = affine[1], k = out.get(path + kernel).clone();
        for (int i = 0; i < k.length; i++) k[i] *= s[i % s.length]; // Keras' kernels end with the output channel
        float[] b = out.getOrDefault(path + "bias", new float[s.length]).clone();
        for (int o = 0; o < b.length; o++) b[o] = b[o] * s[o] + t[o];
        out.put(path + kernel, k);
        out.put(path + "bias", b);
        return out;
    }
}
