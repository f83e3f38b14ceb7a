package dev.lote.data;

import dev.lote.nn.Shape;
import java.nio.file.Path;
import java.util.List;

/**
 * One batch: pixels as floats in [0, 1], laid out (size, height, width, channels) like Keras' arrays, and the
 * class index of each sample. {@code pixels} may be a reused buffer longer than {@code size × sample}: only the
 * first {@code size()} samples are valid.
 */
public record Batch(float[] pixels, int[] labels, Shape sampleShape, List<Path> files) {
    public Batch {
        if (pixels.length < labels.length * sampleShape.size()) throw new IllegalArgumentException(
                "Batch of " + labels.length + " samples of " + sampleShape + " needs " + labels.length * sampleShape.size()
                        + " floats, got " + pixels.length + ".");
    }

    public int size() { return labels.length; }

    /** One-hot targets (size × classes), as Keras' categorical cross-entropy takes them. */
    public float[][] oneHot(int classes) {
        float[][] y = new float[labels.length][classes];
        for (int i = 0; i < labels.length; i++) y[i][labels[i]] = 1f;
        return y;
    }
}
