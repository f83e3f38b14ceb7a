package dev.lote.data;

import dev.lote.nn.Shape;
import java.nio.file.Path;
import java.util.List;

/**
 * One batch: 8-bit RGB pixels laid out (size, height, width, channels) like Keras' arrays, and the class index of
 * each sample. The engine turns them into floats in [0, 1] (÷ 255, the notebook's scaling) inside the step, where
 * it is vectorised and multi-threaded; bytes also take a quarter of the memory. {@code pixels} may be a reused
 * buffer longer than {@code size × sample}: only the first {@code size()} samples are valid.
 */
public record Batch(byte[] pixels, int[] labels, Shape sampleShape, List<Path> files) {
    public Batch {
        if (pixels.length < labels.length * sampleShape.size()) throw new IllegalArgumentException(
                "Batch of " + labels.length + " samples of " + sampleShape + " needs " + labels.length * sampleShape.size()
                        + " bytes, got " + pixels.length + ".");
    }

    public int size() { return labels.length; }

    /** Pixel {@code i} as the model sees it: a float in [0, 1]. */
    public float value(int i) { return (pixels[i] & 0xff) / 255f; }

    /** One-hot targets (size × classes), as Keras' categorical cross-entropy takes them. */
    public float[][] oneHot(int classes) {
        float[][] y = new float[labels.length][classes];
        for (int i = 0; i < labels.length; i++) y[i][labels[i]] = 1f;
        return y;
    }
}
