package dev.lote.nn;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Keras' padding modes: {@code valid} (no padding, floor) and {@code same} (output = ceil(input / stride)). */
public enum Padding {
    VALID, SAME;

    @JsonValue public String keras() { return name().toLowerCase(Locale.ROOT); }

    @JsonCreator public static Padding parse(String name) {
        if (name == null) return VALID;
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "valid" -> VALID;
            case "same" -> SAME;
            default -> throw new IllegalArgumentException("Unknown padding '" + name + "'. Expected 'valid' or 'same'.");
        };
    }

    /** Output length along one axis, as Keras computes it. */
    public int outputLength(int in, int kernel, int stride) {
        int out = this == SAME ? Math.floorDiv(in + stride - 1, stride) : Math.floorDiv(in - kernel, stride) + 1;
        if (out <= 0) throw new IllegalArgumentException("A kernel of " + kernel + " with stride " + stride
                + " and padding '" + keras() + "' does not fit an input of length " + in + ".");
        return out;
    }

    /** Padding before and after along one axis; Keras (like TensorFlow) puts the odd pixel after. */
    public int[] amounts(int in, int kernel, int stride) {
        if (this == VALID) return new int[] {0, 0};
        int out = outputLength(in, kernel, stride);
        int total = Math.max((out - 1) * stride + kernel - in, 0);
        return new int[] {total / 2, total - total / 2};
    }
}
