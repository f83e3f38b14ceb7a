package dev.lote.nn;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/** Activation applied after a layer, named as in Keras. */
public enum Activation {
    LINEAR, RELU, SOFTMAX, SIGMOID, TANH;

    @JsonValue public String keras() { return name().toLowerCase(Locale.ROOT); }

    @JsonCreator public static Activation parse(String name) {
        if (name == null) return LINEAR;
        for (Activation a : values()) if (a.keras().equals(name.toLowerCase(Locale.ROOT))) return a;
        throw new IllegalArgumentException("Unknown activation '" + name + "'. Available activations are: "
                + Arrays.stream(values()).map(Activation::keras).toList() + ".");
    }
}
