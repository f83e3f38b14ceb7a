package dev.lote.nn;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/** Sets a fraction {@code rate} of inputs to zero while training and scales the rest by 1 / (1 - rate). */
public record Dropout(double rate) implements Layer {
    @JsonCreator public Dropout(@JsonProperty("rate") double rate) {
        if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("Dropout rate must be in [0, 1), got " + rate + ".");
        this.rate = rate;
    }

    @Override public Shape outputShape(Shape in) { return in; }
    @Override public long parameterCount(Shape in) { return 0; }
}
