package dev.lote.data;

import dev.lote.image.BadImageException;
import dev.lote.image.ImageDecoder;
import dev.lote.image.Pixels;
import dev.lote.nn.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The notebook's batch generator ({@code keras.utils.Sequence}): random access to batches that are decoded only
 * when asked for. {@code size()} is floor(N / batchSize), or ceil when the last partial batch is kept.
 * {@code forEpoch(e)} gives the same samples in the order for epoch e, derived from the seed alone.
 * {@code new BatchSequence(folder.files(), folder.labels(), 5, Shape.image(768, 1024, 3)).forEpoch(0).get(7)}
 */
public final class BatchSequence {
    /** Reads one image; the default decodes it from disk. Tests pass a counting one. */
    @FunctionalInterface
    public interface ImageSource {
        Pixels read(Path file) throws BadImageException;
    }

    private final List<Path> files;
    private final int[] labels;
    private final int batchSize;
    private final Shape shape;
    private final boolean keepLast;
    private final long seed;
    private final ImageSource source;
    private final int[] order;

    public BatchSequence(List<Path> files, int[] labels, int batchSize, Shape shape) {
        this(files, labels, batchSize, shape, false, 42L, ImageDecoder::decode, null);
    }

    private BatchSequence(List<Path> files, int[] labels, int batchSize, Shape shape, boolean keepLast, long seed,
                          ImageSource source, int[] order) {
        if (files.size() != labels.length) throw new IllegalArgumentException(files.size() + " files but " + labels.length + " labels.");
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize + ".");
        if (!shape.isImage() || shape.channels() != 3) throw new IllegalArgumentException("Expected an RGB image shape, got " + shape + ".");
        this.files = List.copyOf(files);
        this.labels = labels.clone();
        this.batchSize = batchSize;
        this.shape = shape;
        this.keepLast = keepLast;
        this.seed = seed;
        this.source = source;
        this.order = order != null ? order : identity(files.size());
        if (size() == 0) throw new IllegalArgumentException("No complete batch: " + files.size() + " images with batch size "
                + batchSize + ". Use a smaller batch size or keep the last partial batch.");
    }

    /** Keeps the last partial batch instead of dropping it (Keras' default drops nothing; the notebook floors). */
    public BatchSequence keepLast(boolean keep) { return new BatchSequence(files, labels, batchSize, shape, keep, seed, source, order); }

    public BatchSequence seed(long s) { return new BatchSequence(files, labels, batchSize, shape, keepLast, s, source, order); }

    public BatchSequence source(ImageSource s) { return new BatchSequence(files, labels, batchSize, shape, keepLast, seed, s, order); }

    /** The same samples shuffled for epoch {@code epoch}: a permutation that depends only on (seed, epoch). */
    public BatchSequence forEpoch(int epoch) {
        return new BatchSequence(files, labels, batchSize, shape, keepLast, seed, source, permutation(files.size(), seed, epoch));
    }

    static int[] permutation(int n, long seed, int epoch) {
        int[] p = identity(n);
        Random r = new Random(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }

    public int size() { return keepLast ? (files.size() + batchSize - 1) / batchSize : files.size() / batchSize; }

    public int batchSize() { return batchSize; }
    public Shape shape() { return shape; }
    public int samples() { return files.size(); }

    /** Files of batch {@code i}, in order, without decoding them. */
    public List<Path> filesOf(int i) {
        checkIndex(i);
        List<Path> out = new ArrayList<>();
        for (int k = i * batchSize; k < Math.min((i + 1) * batchSize, files.size()); k++) out.add(files.get(order[k]));
        return out;
    }

    /** Decodes the images of batch {@code i} only; pixels / 255 in (n, h, w, 3) order. */
    public Batch get(int i) {
        checkIndex(i);
        int from = i * batchSize, to = Math.min(from + batchSize, files.size());
        int n = to - from, per = Math.toIntExact(shape.size());
        float[] x = new float[n * per];
        int[] y = new int[n];
        List<Path> batchFiles = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            int idx = order[from + k];
            Path file = files.get(idx);
            Pixels px;
            try {
                px = source.read(file);
            } catch (BadImageException e) {
                throw new DataException(file, "Cannot use image " + file + ": " + e.reason() + ".");
            }
            if (px.height() != shape.height() || px.width() != shape.width()) throw new DataException(file, "Image " + file
                    + " is " + px.height() + "x" + px.width() + " (HxW) but the model expects " + shape.height() + "x"
                    + shape.width() + ". Use images of one size or set the input size to match.");
            byte[] rgb = px.rgb();
            int base = k * per;
            for (int j = 0; j < per; j++) x[base + j] = (rgb[j] & 0xff) / 255f;
            y[k] = labels[idx];
            batchFiles.add(file);
        }
        return new Batch(x, y, shape, batchFiles);
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("Batch " + i + " of a sequence of " + size() + " batches.");
    }
}
