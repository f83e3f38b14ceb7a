package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Normalises each channel (the last axis, as Keras) with the batch's statistics while training and with moving
 * averages at inference; then scales by gamma and shifts by beta. Keras' defaults: momentum 0.99, epsilon 1e-3.
 * Weights: {@code gamma}, {@code beta} (trained), {@code moving_mean}, {@code moving_variance} (state, saved).
 * A frozen layer ({@code trainable(false)}) runs in inference mode, as Keras does when fine-tuning.
 */
public final class BatchNormalization extends Layer {
    private final double momentum, epsilon;
    private boolean center = true, scale = true;

    public BatchNormalization() { this(0.99, 1e-3); }

    public BatchNormalization(double momentum, double epsilon) {
        this.momentum = momentum;
        this.epsilon = epsilon;
        check();
    }

    public BatchNormalization(Config c) {
        super(c);
        c.requireChannelsAxis("axis");
        momentum = c.number("momentum", 0.99);
        epsilon = c.number("epsilon", 1e-3);
        center = c.bool("center", true);
        scale = c.bool("scale", true);
        check();
    }

    private void check() {
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum + ".");
        if (!(epsilon > 0)) throw new IllegalArgumentException("epsilon must be positive, got " + epsilon + ".");
    }

    public double momentum() { return momentum; }
    public double epsilon() { return epsilon; }
    public boolean center() { return center; }
    public boolean scale() { return scale; }

    @Override protected Shape outputShape(Shape in) { return in; }

    @Override protected List<Weight> weights(Shape in) {
        int c = channels(in);
        List<Weight> w = new ArrayList<>();
        if (scale) w.add(Weight.vector("gamma", c, Weight.Init.ONES, true));
        if (center) w.add(Weight.vector("beta", c, Weight.Init.ZEROS, true));
        w.add(Weight.vector("moving_mean", c, Weight.Init.ZEROS, false));
        w.add(Weight.vector("moving_variance", c, Weight.Init.ONES, false));
        return w;
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        return ops.batchNorm(x, w.optional("gamma"), w.optional("beta"), w.get("moving_mean"), w.get("moving_variance"), momentum, epsilon,
                mode.training() && w.trains());
    }

    @Override protected void writeConfig(ObjectNode c) {
        c.put("axis", -1);
        c.put("momentum", momentum);
        c.put("epsilon", epsilon);
        c.put("center", center);
        c.put("scale", scale);
    }

    /**
     * This layer in inference mode as a per-channel affine map, from its weights under {@code path} (gamma, beta,
     * moving_mean, moving_variance; gamma 1 and beta 0 where absent): scale = γ / √(var + ε), shift = β − mean · scale.
     */
    @Override public float[][] inferenceAffine(java.util.Map<String, float[]> weights, String path, int channels) {
        float[] gamma = weights.get(path + "gamma"), beta = weights.get(path + "beta");
        float[] mean = weights.get(path + "moving_mean"), var = weights.get(path + "moving_variance");
        if (mean == null || var == null) throw new IllegalArgumentException("weight " + path + (mean == null ? "moving_mean" : "moving_variance") + " is missing.");
        return affine(gamma, beta, mean, var, epsilon, channels);
    }

    /** γ / √(var + ε) and β − mean · scale per channel; γ and β may be null (1 and 0). */
    public static float[][] affine(float[] gamma, float[] beta, float[] mean, float[] var, double epsilon, int channels) {
        float[] scale = new float[channels], shift = new float[channels];
        for (int i = 0; i < channels; i++) {
            scale[i] = (float) ((gamma == null ? 1 : gamma[i]) / Math.sqrt(var[i] + epsilon));
            shift[i] = (beta == null ? 0 : beta[i]) - mean[i] * scale[i];
        }
        return new float[][] {scale, shift};
    }
}
