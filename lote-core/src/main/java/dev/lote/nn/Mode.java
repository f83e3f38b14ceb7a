package dev.lote.nn;

/**
 * How a layer is being run. {@code training}: dropout and batch statistics on. {@code logits}: this call gives the
 * model's output and a final softmax or sigmoid is left to the loss. {@code pads}: zero padding (top, bottom, left, right) that a
 * ZeroPadding2D before this convolution handed to it ({@link Fusion}), or null. {@code reluLater}: the layer's own ReLU
 * is left to the max pooling that reads it (they commute), which an inference pass applies on fewer values.
 */
public record Mode(boolean training, boolean logits, int[] pads, boolean reluLater) {
    public static final Mode INFERENCE = new Mode(false, false, null);

    public Mode(boolean training, boolean logits) { this(training, logits, null); }

    public Mode(boolean training, boolean logits, int[] pads) { this(training, logits, pads, false); }

    public Mode inner() { return new Mode(training, false, null); }

    public Mode padded(int[] p) { return new Mode(training, logits, p, reluLater); }

    public Mode withReluLater() { return new Mode(training, logits, pads, true); }
}
