package dev.lote.nn;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Activation applied after a layer, named as in Keras 3 (older names such as {@code swish} are read too). */
public enum Activation {
    LINEAR, RELU, RELU6, SOFTMAX, SIGMOID, TANH,
    /** x·sigmoid(x); Keras 2 called it swish. */
    SILU("swish"),
    /** x·relu6(x + 3)/6; Keras 2 called it hard_swish. */
    HARD_SILU("hard_swish"),
    /** Keras 3: relu6(x + 3)/6. */
    HARD_SIGMOID,
    /** Keras' default, exact (erf) form. */
    GELU, ELU, SELU, SOFTPLUS,
    /** Keras' default slope 0.2. */
    LEAKY_RELU;

    private final List<String> aliases;

    Activation(String... aliases) { this.aliases = List.of(aliases); }

    @JsonValue public String keras() { return name().toLowerCase(Locale.ROOT); }

    @JsonCreator public static Activation parse(String name) {
        if (name == null) return LINEAR;
        String n = name.toLowerCase(Locale.ROOT);
        for (Activation a : values()) if (a.keras().equals(n) || a.aliases.contains(n)) return a;
        throw new IllegalArgumentException("Unknown activation '" + name + "'. Available activations are: "
                + Arrays.stream(values()).map(Activation::keras).toList() + ".");
    }
}
