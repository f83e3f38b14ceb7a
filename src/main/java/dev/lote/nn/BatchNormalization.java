package dev.lote.nn;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Normalises each channel (the last axis, as Keras) with the batch's statistics while training and with running
 * averages at inference; then scales by gamma and shifts by beta. Keras' defaults: momentum 0.99, epsilon 1e-3.
 * The running mean and variance are state, not trained, and are saved in the model file.
 */
public record BatchNormalization(double momentum, double epsilon) implements Layer {
    @JsonCreator public BatchNormalization(@JsonProperty("momentum") Double momentum, @JsonProperty("epsilon") Double epsilon) {
        this(momentum == null ? 0.99 : momentum, epsilon == null ? 1e-3 : epsilon);
    }

    public BatchNormalization {
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum + ".");
        if (!(epsilon > 0)) throw new IllegalArgumentException("epsilon must be positive, got " + epsilon + ".");
    }

    public BatchNormalization() { this(0.99, 1e-3); }

    @Override public Shape outputShape(Shape in) { return in; }

    /** Gamma and beta are trained (2 × channels); the moving mean and variance are counted as Keras does, non-trainable. */
    @Override public long parameterCount(Shape in) { return 4L * channels(in); }

    @Override public long trainableCount(Shape in) { return 2L * channels(in); }

    @Override public int weightTensors() { return 2; }

    @Override public int stateTensors() { return 2; }

    static int channels(Shape in) { return in.dims()[in.dims().length - 1]; }
}
