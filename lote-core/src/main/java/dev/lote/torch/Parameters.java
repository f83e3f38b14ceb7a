package dev.lote.torch;

import dev.lote.nn.Layer;
import dev.lote.nn.Shape;
import dev.lote.nn.Weight;
import dev.lote.nn.Weights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.MemoryFormat;

/**
 * A network's weights and layer state in libtorch, by path ({@code layer/weight}), in the order the layers made
 * them: created with Keras' initialisers in libtorch's layout (kernels OIHW, channels_last), read and written in
 * Keras' layout.
 */
final class Parameters implements AutoCloseable {
    private record Param(Weight spec, Tensor tensor, boolean trained) {}

    private final Map<String, Param> params = new LinkedHashMap<>();
    private final List<Tensor> trained = new ArrayList<>();
    private final List<String> trainedPaths = new ArrayList<>();
    private final List<Tensor> derived = new ArrayList<>(); // made from the weights (folded kernels), freed with them
    private long generation; // counts changes of any value, so what is derived from them knows when to redo it

    /** Creates a layer's weights under {@code prefix} and registers them; {@code trains}: whether Adam trains its trainable ones. */
    Weights<Tensor> create(Layer layer, String prefix, boolean trains, List<Shape> inputs) {
        Map<String, Tensor> mine = new LinkedHashMap<>();
        for (Weight w : layer.weights(inputs)) {
            Tensor t = create(w);
            boolean learns = trains && w.trainable();
            if (learns) {
                t.set_requires_grad(true);
                trained.add(t);
                trainedPaths.add(prefix + w.name());
            }
            params.put(prefix + w.name(), new Param(w, t, learns));
            mine.put(w.name(), t);
        }
        return new Weights<>() {
            @Override public Tensor get(String name) {
                Tensor t = mine.get(name);
                if (t == null) throw new IllegalStateException(layer.className() + " has no weight '" + name + "'.");
                return t;
            }
            @Override public boolean has(String name) { return mine.containsKey(name); }
            @Override public boolean trains() { return trains; }
        };
    }

    /** How many times the values may have changed: a training step, new values, averaged state. */
    long generation() { return generation; }

    void changed() { generation++; }

    /**
     * Keeps {@code t}, just made from the weights inside a step's scope, until {@link #forget} or {@link #close()}: it is
     * taken out of the scope it was made in, which would otherwise free it when the step ends.
     */
    Tensor keep(Tensor t) {
        PointerScope scope = PointerScope.getInnerScope();
        if (scope != null) {
            t.retainReference(); // detaching releases the scope's reference
            scope.detach(t);
        }
        derived.add(t);
        return t;
    }

    void forget(Tensor t) {
        if (t != null && derived.remove(t)) t.close();
    }

    /** The weights Adam trains, and their paths, in the same order. */
    List<Tensor> trained() { return trained; }

    List<String> trainedPaths() { return trainedPaths; }

    Weight spec(String path) { return params.get(path).spec(); }

    /** Every tensor, weights and state. */
    List<Tensor> all() { return params.values().stream().map(Param::tensor).toList(); }

    /** Layer state that is not trained by gradients (batch-norm statistics). */
    List<Tensor> state() { return params.values().stream().filter(p -> !p.spec().trainable()).map(Param::tensor).toList(); }

    long count() {
        long n = 0;
        for (Param p : params.values()) n += p.tensor().numel();
        return n;
    }

    Map<String, Weight> specs() {
        Map<String, Weight> out = new LinkedHashMap<>();
        params.forEach((k, p) -> out.put(k, p.spec()));
        return out;
    }

    /** A copy of every weight's values by path, in Keras' layout. */
    Map<String, float[]> values() {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (PointerScope scope = new PointerScope()) {
            params.forEach((k, p) -> out.put(k, values(p.spec(), p.tensor())));
        }
        return out;
    }

    /** Replaces every weight's values (Keras' layout); each must be there with the right size, and nothing else. */
    void setValues(Map<String, float[]> values) {
        for (String k : params.keySet()) if (!values.containsKey(k)) throw new IllegalArgumentException("weight " + k + " is missing.");
        for (String k : values.keySet()) if (!params.containsKey(k)) throw new IllegalArgumentException("weight " + k
                + " is not in the architecture.");
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            params.forEach((k, p) -> copyInto(p.spec(), p.tensor(), values.get(k), "weight " + k));
        }
        changed();
    }

    /** The values of {@code t}, a tensor of {@code w}'s engine shape (the weight or its Adam state), in Keras' layout. */
    static float[] values(Weight w, Tensor t) {
        Tensor k = toKeras(w, t);
        float[] v = new float[Math.toIntExact(k.numel())];
        k.detach().contiguous().data_ptr_float().get(v);
        return v;
    }

    /** Writes Keras-layout values {@code v} into {@code t}, a tensor of {@code w}'s engine shape; {@code what} names it in errors. */
    static void copyInto(Weight w, Tensor t, float[] v, String what) {
        if (v.length != t.numel()) throw new IllegalArgumentException(what + " has " + v.length + " values; the architecture needs "
                + t.numel() + " (shape " + Arrays.toString(w.shape()) + ").");
        long[] keras = Arrays.stream(w.shape()).mapToLong(i -> i).toArray();
        Tensor dense = torch.empty(keras);
        dense.data_ptr_float().put(v, 0, v.length);
        t.copy_(fromKeras(w, dense)); // copy_ handles channels_last
    }

    /** libtorch's shape for a Keras weight: conv kernels OIHW (channels_last), depthwise (C·M, 1, kh, kw), dense (out, in). */
    private static long[] engineShape(Weight w) {
        int[] s = w.shape();
        return switch (w.layout()) {
            case CONV_KERNEL -> new long[] {s[3], s[2], s[0], s[1]};
            case DEPTHWISE_KERNEL -> new long[] {(long) s[2] * s[3], 1, s[0], s[1]};
            case DENSE_KERNEL -> new long[] {s[1], s[0]};
            case VECTOR -> Arrays.stream(s).mapToLong(i -> i).toArray();
        };
    }

    private static Tensor create(Weight w) {
        long[] shape = engineShape(w);
        Tensor t = switch (w.init()) {
            case GLOROT_UNIFORM -> {
                double limit = Math.sqrt(6.0 / w.fanSum()); // U(−l, l), l = √(6 / (fanIn + fanOut)) with Keras' fans
                yield torch.empty(shape).uniform_(-limit, limit, new GeneratorOptional());
            }
            case ZEROS -> torch.zeros(shape);
            case ONES -> torch.ones(shape);
            case CONSTANT -> torch.ones(shape).mul_(new Scalar(w.fill()));
        };
        return shape.length == 4 ? t.contiguous(MemoryFormat.ChannelsLast) : t;
    }

    /** The engine tensor viewed in Keras' layout. */
    private static Tensor toKeras(Weight w, Tensor t) {
        int[] s = w.shape();
        return switch (w.layout()) {
            case CONV_KERNEL -> t.permute(2, 3, 1, 0);
            case DEPTHWISE_KERNEL -> t.reshape(s[2], s[3], s[0], s[1]).permute(2, 3, 0, 1);
            case DENSE_KERNEL -> t.t();
            case VECTOR -> t;
        };
    }

    /** A Keras-layout tensor in the engine's logical layout. */
    private static Tensor fromKeras(Weight w, Tensor k) {
        int[] s = w.shape();
        return switch (w.layout()) {
            case CONV_KERNEL -> k.permute(3, 2, 0, 1);
            case DEPTHWISE_KERNEL -> k.permute(2, 3, 0, 1).reshape((long) s[2] * s[3], 1, s[0], s[1]);
            case DENSE_KERNEL -> k.t();
            case VECTOR -> k;
        };
    }

    @Override public void close() {
        for (Param p : params.values()) p.tensor().close();
        for (Tensor t : derived) t.close();
        derived.clear();
        params.clear();
        trained.clear();
    }
}
