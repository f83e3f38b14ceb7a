package dev.lote.nn;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/** Fully connected layer: (features) → (units). {@code new Dense(60).activation(Activation.RELU)} */
public record Dense(int units, Activation activation, boolean useBias) implements Layer {
    @JsonCreator public Dense(@JsonProperty("units") int units, @JsonProperty("activation") Activation activation,
                              @JsonProperty("use_bias") Boolean useBias) {
        this(units, activation == null ? Activation.LINEAR : activation, useBias == null || useBias);
    }

    public Dense { Layer.positive("units", units); }

    public Dense(int units) { this(units, Activation.LINEAR, true); }

    public Dense activation(Activation a) { return new Dense(units, a, useBias); }

    @Override public Shape outputShape(Shape in) {
        if (in.dims().length != 1) throw new IllegalArgumentException("Dense expects a flat input, got "
                + in.withBatch() + ". Add a Flatten layer before it.");
        return new Shape(units);
    }

    @Override public long parameterCount(Shape in) { return (long) in.dims()[0] * units + (useBias ? units : 0); }

    @Override public int weightTensors() { return useBias ? 2 : 1; }
}
