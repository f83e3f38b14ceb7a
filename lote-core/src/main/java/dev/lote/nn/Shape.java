package dev.lote.nn;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The shape of one sample, without the batch axis, in Keras' order: (height, width, channels) or (features). */
public record Shape(int... dims) {
    public Shape {
        dims = dims.clone();
        for (int d : dims) if (d <= 0) throw new IllegalArgumentException("Shape " + Arrays.toString(dims) + " has a non-positive axis.");
    }

    @JsonCreator static Shape fromJson(int[] dims) { return new Shape(dims); }

    @JsonValue int[] toJson() { return dims.clone(); }

    public static Shape image(int height, int width, int channels) { return new Shape(height, width, channels); }

    /** Parses {@code 768x1024x3} or {@code 768x1024} (3 channels). */
    public static Shape parse(String text) {
        String[] parts = text.trim().toLowerCase().split("[x×,]");
        try {
            int[] d = Arrays.stream(parts).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
            if (d.length == 2) return image(d[0], d[1], 3);
            if (d.length == 3) return image(d[0], d[1], d[2]);
        } catch (NumberFormatException ignored) { /* fall through to the message */ }
        throw new IllegalArgumentException("Invalid shape '" + text + "'. Expected HEIGHTxWIDTH or HEIGHTxWIDTHxCHANNELS, e.g. 768x1024x3.");
    }

    public boolean isImage() { return dims.length == 3; }
    public int height() { requireImage(); return dims[0]; }
    public int width() { requireImage(); return dims[1]; }
    public int channels() { requireImage(); return dims[2]; }

    public long size() {
        long n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    private void requireImage() {
        if (!isImage()) throw new IllegalStateException("Expected an image shape (height, width, channels), got " + this + ".");
    }

    /** Keras' summary form: {@code (None, 256, 341, 16)}. */
    public String withBatch() {
        return "(None, " + Arrays.stream(dims).mapToObj(Integer::toString).collect(Collectors.joining(", ")) + ")";
    }

    @Override public boolean equals(Object o) { return o instanceof Shape s && Arrays.equals(dims, s.dims); }
    @Override public int hashCode() { return Arrays.hashCode(dims); }
    @Override public String toString() { return Arrays.stream(dims).mapToObj(Integer::toString).collect(Collectors.joining("x")); }
}
