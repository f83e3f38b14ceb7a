package dev.lote.torch;

import dev.lote.nn.Adam;
import dev.lote.nn.Weight;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Keras' Adam (ε added to √v before bias correction; decoupled weight decay, AdamW, when set) over a network's
 * trained weights: a moment and a velocity per weight, a learning-rate scale per weight (a backbone learns slower
 * than its head), one pass over memory per weight with the native kernel where it runs, else libtorch's ops.
 */
final class Optimizer implements AutoCloseable {
    private final Parameters params;
    private final List<Tensor> moments = new ArrayList<>(), velocities = new ArrayList<>();
    private final List<Double> rateScales = new ArrayList<>();
    private Adam adam = new Adam();
    private long steps;

    Optimizer(Parameters params) {
        this.params = params;
        for (Tensor w : params.trained()) {
            moments.add(torch.empty_like(w).zero_());
            velocities.add(torch.empty_like(w).zero_());
            rateScales.add(1.0);
        }
    }

    Adam settings() { return adam; }

    void settings(Adam a) { adam = a; }

    /** Scales the learning rate of the trained weights whose path starts with {@code prefix}. */
    void learningRateScale(String prefix, double scale) {
        List<String> paths = params.trainedPaths();
        for (int i = 0; i < paths.size(); i++) if (paths.get(i).startsWith(prefix)) rateScales.set(i, scale);
    }

    /** Each trained weight's learning-rate scale, by path. */
    Map<String, Double> learningRateScales() {
        Map<String, Double> out = new LinkedHashMap<>();
        List<String> paths = params.trainedPaths();
        for (int i = 0; i < paths.size(); i++) out.put(paths.get(i), rateScales.get(i));
        return out;
    }

    /** One update from the weights' gradients, which it zeroes. */
    void step() {
        steps++;
        double b1 = adam.beta1(), b2 = adam.beta2();
        double alpha = adam.learningRate() * Math.sqrt(1 - Math.pow(b2, steps)) / (1 - Math.pow(b1, steps));
        List<Tensor> weights = params.trained();
        try (NoGradGuard guard = new NoGradGuard()) {
            Scalar oneMinusB1 = new Scalar(1 - b1), b2s = new Scalar(b2), oneMinusB2 = new Scalar(1 - b2);
            Scalar eps = new Scalar(adam.epsilon()), minusAlpha = new Scalar(-alpha);
            Scalar decay = new Scalar(1 - adam.learningRate() * adam.weightDecay());
            boolean fused = Native.available();
            for (int i = 0; i < weights.size(); i++) {
                Tensor w = weights.get(i), g = w.grad(), m = moments.get(i), v = velocities.get(i);
                double scale = rateScales.get(i);
                if (fused && NativeAdam.fits(w, g, m, v)) {
                    double decayed = adam.weightDecay() > 0 ? 1 - scale * adam.learningRate() * adam.weightDecay() : 1;
                    NativeAdam.step(w, g, m, v, b1, b2, adam.epsilon(), alpha * scale, decayed);
                    continue;
                }
                if (adam.weightDecay() > 0) w.mul_(scale == 1 ? decay : new Scalar(1 - scale * adam.learningRate() * adam.weightDecay())); // AdamW
                m.lerp_(g, oneMinusB1);
                v.mul_(b2s).addcmul_(g, g, oneMinusB2);
                w.addcdiv_(m, v.sqrt().add_(eps), scale == 1 ? minusAlpha : new Scalar(-alpha * scale));
                g.zero_();
            }
        }
    }

    /** Adam steps taken so far. */
    long steps() { return steps; }

    /** The steps taken and every moment and velocity by path, in Keras' layout. */
    Adam.State state() {
        Map<String, float[]> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
        List<String> paths = params.trainedPaths();
        try (PointerScope scope = new PointerScope()) {
            for (int i = 0; i < paths.size(); i++) {
                Weight w = params.spec(paths.get(i));
                m.put(paths.get(i), Parameters.values(w, moments.get(i)));
                v.put(paths.get(i), Parameters.values(w, velocities.get(i)));
            }
        }
        return new Adam.State(steps, m, v);
    }

    /** Restores Adam exactly where it was, so the next step is the one an uninterrupted run would take. */
    void restore(Adam.State state) {
        List<String> paths = params.trainedPaths();
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            for (int i = 0; i < paths.size(); i++) {
                String k = paths.get(i);
                float[] m = state.moments().get(k), v = state.velocities().get(k);
                if (m == null || v == null) throw new IllegalArgumentException("Adam's state for " + k + " is missing.");
                Weight w = params.spec(k);
                Parameters.copyInto(w, moments.get(i), m, "Adam moment " + k);
                Parameters.copyInto(w, velocities.get(i), v, "Adam velocity " + k);
            }
        }
        steps = state.steps();
    }

    @Override public void close() {
        for (List<Tensor> list : List.of(moments, velocities)) {
            for (Tensor t : list) t.close();
            list.clear();
        }
    }
}
