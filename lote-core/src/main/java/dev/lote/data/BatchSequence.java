package dev.lote.data;

import dev.lote.image.Augmentation;
import dev.lote.image.BadImageException;
import dev.lote.image.Decoder;
import dev.lote.image.Pixels;
import dev.lote.image.Resize;
import dev.lote.nn.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * The notebook's batch generator ({@code keras.utils.Sequence}): random access to batches that are decoded only
 * when asked for. {@code size()} is floor(N / batchSize), or ceil when the last partial batch is kept.
 * {@code forEpoch(e)} gives the same samples in the order for epoch e, derived from the seed alone.
 * A bad file fails fast naming it, or with {@link #skipBadFiles} is reported once and left out of its batch.
 * {@code new BatchSequence(folder.files(), folder.labels(), 5, Shape.image(768, 1024, 3)).forEpoch(0).get(7)}
 */
public final class BatchSequence {
    /** Reads one image at the sequence's input size. Tests pass a counting one; the cache wraps another. */
    @FunctionalInterface
    public interface ImageSource {
        Pixels read(Path file) throws BadImageException;

        /** Reads an image of exactly {@code shape} into {@code buffer} at {@code offset}; sources may skip the copy. */
        default void readInto(Path file, byte[] buffer, int offset, Shape shape) throws BadImageException {
            Pixels px = read(file);
            if (px.height() != shape.height() || px.width() != shape.width()) throw new BadImageException(file, "is "
                    + px.height() + "x" + px.width() + " (HxW) but the model expects " + shape.height() + "x" + shape.width());
            System.arraycopy(px.rgb(), 0, buffer, offset, px.rgb().length);
        }
    }

    private final List<Path> files;
    private final int[] labels;
    private final int batchSize;
    private final Shape shape;
    private final boolean keepLast;
    private final long seed;
    private final ImageSource source;
    private final SkippedFiles skipped; // null: strict
    private final Augmentation augmentation;
    private final int epoch;
    private final int[] order;
    private final int rank, world; // this process's shard of every global batch of batchSize × world samples
    private final boolean balanced; // epochs draw classes equally often instead of shuffling

    /** Decodes with OpenCV, resizing to {@code shape} by stretching (Keras' default). */
    public BatchSequence(List<Path> files, int[] labels, int batchSize, Shape shape) {
        this(files, labels, batchSize, shape, false, 42L, decoding(new Decoder(), shape, Resize.STRETCH), null,
                Augmentation.parse("none"), 0, null, 0, 1, false);
    }

    private BatchSequence(List<Path> files, int[] labels, int batchSize, Shape shape, boolean keepLast, long seed,
                          ImageSource source, SkippedFiles skipped, Augmentation augmentation, int epoch, int[] order,
                          int rank, int world, boolean balanced) {
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
        this.skipped = skipped;
        this.augmentation = augmentation;
        this.epoch = epoch;
        this.order = order != null ? order : identity(files.size());
        this.rank = rank;
        this.world = world;
        this.balanced = balanced;
    }

    /** A source that decodes files and brings them to {@code shape} with {@code policy}. */
    public static ImageSource decoding(Decoder decoder, Shape shape, Resize policy) {
        return new ImageSource() {
            @Override public Pixels read(Path file) throws BadImageException {
                return decoder.read(file, shape.height(), shape.width(), policy);
            }

            @Override public void readInto(Path file, byte[] buffer, int offset, Shape target) throws BadImageException {
                decoder.readInto(file, target.height(), target.width(), policy, buffer, offset);
            }
        };
    }


    /** Keeps the last partial batch instead of dropping it (the notebook's generator drops it). */
    public BatchSequence keepLast(boolean keep) { return new BatchSequence(files, labels, batchSize, shape, keep, seed, source, skipped, augmentation, epoch, order, rank, world, balanced); }

    public BatchSequence seed(long s) { return new BatchSequence(files, labels, batchSize, shape, keepLast, s, source, skipped, augmentation, epoch, order, rank, world, balanced); }

    public BatchSequence source(ImageSource s) { return new BatchSequence(files, labels, batchSize, shape, keepLast, seed, s, skipped, augmentation, epoch, order, rank, world, balanced); }

    /** Reports bad files to {@code report} and leaves them out, instead of failing at the first one. */
    public BatchSequence skipBadFiles(SkippedFiles report) { return new BatchSequence(files, labels, batchSize, shape, keepLast, seed, source, report, augmentation, epoch, order, rank, world, balanced); }

    /** Applies {@code a} to every image, with randomness from (seed, epoch, sample): training data only. */
    public BatchSequence augment(Augmentation a) { return new BatchSequence(files, labels, batchSize, shape, keepLast, seed, source, skipped, a, epoch, order, rank, world, balanced); }

    /**
     * Epochs draw as many images as there are, with replacement, every class equally likely (PyTorch's
     * {@code WeightedRandomSampler} with weights 1 / class size), instead of each image once: rare classes are seen as
     * often as common ones. The draw depends only on (seed, epoch), as the shuffle does.
     */
    public BatchSequence balancedSampling(boolean on) { return new BatchSequence(files, labels, batchSize, shape, keepLast, seed, source, skipped, augmentation, epoch, order, rank, world, on); }

    /** The same samples shuffled for epoch {@code epoch}: a permutation that depends only on (seed, epoch). */
    public BatchSequence forEpoch(int epoch) {
        return new BatchSequence(files, labels, batchSize, shape, keepLast, seed, source, skipped, augmentation, epoch,
                balanced ? balancedDraw(labels, new Random(seed * 0x9E3779B97F4A7C15L + epoch)) : permutation(files.size(), seed, epoch),
                rank, world, balanced);
    }

    /**
     * Rank {@code rank}'s part of a run over {@code world} processes: every process walks the same epoch order in
     * global batches of batchSize × world samples and takes its own slice of each, so the processes together see
     * exactly the batches one process with batch size batchSize × world would.
     */
    public BatchSequence shard(int rank, int world) {
        if (world < 1 || rank < 0 || rank >= world) throw new IllegalArgumentException("rank " + rank + " is not in a world of " + world + ".");
        return new BatchSequence(files, labels, batchSize, shape, keepLast, seed, source, skipped, augmentation, epoch, order, rank, world, balanced);
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

    /** {@code labels.length} sample indices drawn with replacement: a class uniformly among those present, then one of its samples. */
    public static int[] balancedDraw(int[] labels, Random r) {
        int classes = Arrays.stream(labels).max().orElse(-1) + 1;
        int[][] members = new int[classes][];
        int[] count = new int[classes];
        for (int y : labels) count[y]++;
        for (int c = 0; c < classes; c++) members[c] = new int[count[c]];
        Arrays.fill(count, 0);
        for (int i = 0; i < labels.length; i++) members[labels[i]][count[labels[i]]++] = i;
        int[] present = java.util.stream.IntStream.range(0, classes).filter(c -> members[c].length > 0).toArray();
        int[] drawn = new int[labels.length];
        for (int i = 0; i < drawn.length; i++) {
            int[] m = members[present[r.nextInt(present.length)]];
            drawn[i] = m[r.nextInt(m.length)];
        }
        return drawn;
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }

    public int size() {
        int global = batchSize * world;
        return keepLast ? (files.size() + global - 1) / global : files.size() / global;
    }

    /** Positions in the epoch order of batch {@code i}'s samples on this rank: [from, to). */
    private int from(int i) { return Math.min(files.size(), (i * world + rank) * batchSize); }

    private int to(int i) { return Math.min(files.size(), (i * world + rank + 1) * batchSize); }

    public int batchSize() { return batchSize; }
    public Shape shape() { return shape; }
    public ImageSource source() { return source; }
    public List<Path> files() { return files; }

    /** Bytes one full batch needs: the size of a reusable buffer for {@link #get(int, byte[])}. */
    public int bufferLength() { return Math.toIntExact(batchSize * shape.size()); }

    /** Files of batch {@code i}, in order, without decoding them. */
    public List<Path> filesOf(int i) {
        checkIndex(i);
        List<Path> out = new ArrayList<>();
        for (int k = from(i); k < to(i); k++) out.add(files.get(order[k]));
        return out;
    }

    public Batch get(int i) { return get(i, new byte[bufferLength()]); }

    /** Decodes the images of batch {@code i} only, into {@code buffer}, in (n, h, w, 3) order. */
    public Batch get(int i, byte[] buffer) {
        checkIndex(i);
        int from = from(i), to = to(i);
        int per = Math.toIntExact(shape.size());
        if (buffer.length < (to - from) * per) throw new IllegalArgumentException("Buffer too small for batch " + i + ".");
        int[] y = new int[to - from];
        List<Path> used = new ArrayList<>(to - from);
        int n = 0;
        for (int k = from; k < to; k++) {
            Path file = files.get(order[k]);
            try {
                if (augmentation.isNone()) {
                    source.readInto(file, buffer, n * per, shape); // no intermediate copy: large arrays cost GC time
                } else {
                    Pixels px = source.read(file);
                    if (px.height() != shape.height() || px.width() != shape.width()) throw new BadImageException(file, "is "
                            + px.height() + "x" + px.width() + " (HxW) but the model expects " + shape.height() + "x" + shape.width());
                    px = augmentation.apply(px, sampleRandom(balanced ? files.size() + k : order[k])); // a repeated image: its own draw
                    System.arraycopy(px.rgb(), 0, buffer, n * per, per);
                }
            } catch (BadImageException e) {
                if (skipped == null) throw new DataException(file, "Bad image " + file + ": " + e.reason()
                        + ". Fix or remove it, or skip bad files instead of stopping.");
                skipped.report(file, e.reason());
                continue;
            }
            y[n++] = labels[order[k]];
            used.add(file);
        }
        return new Batch(buffer, Arrays.copyOf(y, n), shape, used);
    }

    /** The random stream of one sample in this epoch: independent of batch composition and worker threads. */
    private SplittableRandom sampleRandom(int sample) {
        return new SplittableRandom(new SplittableRandom(seed).split().nextLong() ^ (epoch * 0x9E3779B97F4A7C15L) ^ (sample * 0xC2B2AE3D27D4EB4FL));
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("Batch " + i + " of a sequence of " + size() + " batches.");
    }
}
