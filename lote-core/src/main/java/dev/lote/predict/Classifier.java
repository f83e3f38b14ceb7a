package dev.lote.predict;

import dev.lote.data.Batch;
import dev.lote.data.BatchSequence;
import dev.lote.data.Loader;
import dev.lote.data.SkippedFiles;
import dev.lote.eval.Calibration;
import dev.lote.image.BadImageException;
import dev.lote.image.Decoder;
import dev.lote.image.Limits;
import dev.lote.image.Pixels;
import dev.lote.image.Resize;
import dev.lote.io.ModelFile;
import dev.lote.io.ModelFileException;
import dev.lote.io.ModelInfo;
import dev.lote.nn.Shape;
import dev.lote.torch.Engine;
import dev.lote.torch.Network;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * A trained model as a classification service: images are decoded with the model's own preprocessing (its input
 * size and resize policy) within the decoder's limits, classified in batches without autograd, and ranked.
 * Thread-safe: any number of threads may call it; decoding runs at most one per core at a time and inference one
 * batch at a time, which bounds memory. The CLI's {@code predict} and {@code evaluate}, {@code serve} and
 * {@code LoteModel} all classify through it.
 * {@code try (Classifier c = Classifier.open(Path.of("model.lote"))) { c.classify(Path.of("cat.jpg")).best(); }}
 */
public final class Classifier implements AutoCloseable {
    /** Too many images are waiting for the model already; try again shortly. */
    public static final class Busy extends RuntimeException {
        Busy(int waiting) { super("The classifier is busy (" + waiting + " images waiting); try again shortly."); }
    }

    private final ModelInfo info;
    private final Network network;
    private final boolean owned;
    private final Decoder decoder;
    private final Shape input;
    private final Resize policy;
    private final Semaphore decoding = new Semaphore(Runtime.getRuntime().availableProcessors());
    private final int maxBatch, queue;
    private final double temperature;
    private final double[] thresholds; // multi-label: from which probability each class is answered; else null
    private Batcher batcher;
    private int views = 1; // test-time augmentation's views

    private Classifier(Network network, ModelInfo info, boolean owned, Limits limits, int maxBatch, int queue) {
        this.info = info;
        this.network = network;
        this.owned = owned;
        this.decoder = new Decoder(limits);
        this.input = info.architecture().inputShape();
        this.policy = Resize.parse(info.preprocessing().resize());
        this.maxBatch = maxBatch;
        this.queue = queue;
        this.temperature = info.calibration() == null ? 1 : info.calibration().temperature();
        this.thresholds = !network.multiLabel() ? null : info.thresholds() != null
                ? info.thresholds().stream().mapToDouble(Double::doubleValue).toArray()
                : java.util.stream.DoubleStream.generate(() -> 0.5).limit(info.classes().size()).toArray();
    }

    /**
     * Classifies with {@code network} as it is (not a copy, not closed here): its weights now and after further
     * training. {@code maxBatch} images at most per forward pass; {@code queue} images at most waiting for one.
     */
    public static Classifier over(Network network, ModelInfo info, Limits limits, int maxBatch, int queue) {
        return new Classifier(network, info, false, limits, maxBatch, queue);
    }

    /** Opens a model file for classifying only (no optimizer state), with the default limits. */
    public static Classifier open(Path file) throws ModelFileException { return open(file, Limits.DEFAULT, 16, 64); }

    public static Classifier open(Path file, Limits limits, int maxBatch, int queue) throws ModelFileException {
        ModelFile model = ModelFile.load(file);
        Engine.start(0);
        var pre = model.info().preprocessing();
        Network net = Network.build(model.architecture(), 0).pixels(pre.pixelScale(), pre.pixelOffset());
        try {
            net.setWeightValues(model.weights());
        } catch (IllegalArgumentException e) {
            net.close();
            throw new ModelFileException(file, "damaged: " + e.getMessage());
        }
        return new Classifier(net, model.info(), true, limits, maxBatch, queue);
    }

    public List<String> classes() { return info.classes(); }
    /** A multi-label model's per-class thresholds (0.5 each where none were chosen); null for one class per image. */
    public double[] thresholds() { return thresholds == null ? null : thresholds.clone(); }
    public ModelInfo info() { return info; }
    public Shape inputShape() { return input; }

    /** One image file's prediction. */
    public Prediction classify(Path image) throws BadImageException {
        return Prediction.of(image.toString(), classes(), probabilities(image), thresholds);
    }

    /** One image file's class probabilities, in {@link #classes()} order. */
    public float[] probabilities(Path image) throws BadImageException {
        Pixels px = decode(() -> decoder.read(image, input.height(), input.width(), policy));
        return probabilities(List.of(px)).get(0);
    }

    /**
     * Decodes {@code bytes} (an upload) in the calling thread and queues it for the next batch: concurrent callers
     * share forward passes. {@code name} labels the image in errors and in the prediction.
     *
     * @throws Busy when {@code queue} images are waiting already
     */
    public CompletableFuture<Prediction> submit(byte[] bytes, String name) throws BadImageException {
        Pixels px = decode(() -> decoder.read(bytes, uploadPath(name), input.height(), input.width(), policy));
        CompletableFuture<float[]> p = batcher().submit(px);
        if (p == null) throw new Busy(queue);
        return p.thenApply(probabilities -> Prediction.of(name, classes(), probabilities, thresholds));
    }

    /**
     * What the model looked at in {@code bytes} (an upload): Grad-CAM for its likeliest class at {@code layer} (null: the
     * last layer with an image-shaped output), between batches, as the image was decoded for classifying.
     */
    public Explanation explain(byte[] bytes, String name, String layer) throws BadImageException {
        Path named = uploadPath(name);
        return explain(decode(() -> decoder.read(bytes, named, input.height(), input.width(), policy)), named, layer, null);
    }

    /** As above for an image file, for {@code className} (null: the likeliest). */
    public Explanation explain(Path image, String layer, String className) throws BadImageException {
        return explain(decode(() -> decoder.read(image, input.height(), input.width(), policy)), image, layer, className);
    }

    private Explanation explain(Pixels px, Path file, String layer, String className) {
        int wanted = className == null ? -1 : classes().indexOf(className);
        if (className != null && wanted < 0) throw new IllegalArgumentException("No class '" + className + "'; the model's classes are "
                + classes() + ".");
        Batch b = new Batch(px.rgb().clone(), new int[1], input, List.of(file));
        synchronized (this) {
            float[] p = forward(b)[0];
            int c = wanted;
            if (c < 0) {
                c = 0;
                for (int i = 1; i < p.length; i++) if (p[i] > p[c]) c = i;
            }
            return Explanation.of(network, info.architecture(), b, layer != null ? layer : Explanation.defaultLayer(info.architecture()),
                    c, classes().get(c), p[c]);
        }
    }

    /** An upload's name as a path for messages: control characters and separators replaced. */
    private static Path uploadPath(String name) { return Path.of(name.replaceAll("[\\x00-\\x1f/\\\\]", "_")); }

    /** One file's class probabilities, with the label it was given (for evaluation). */
    public record Result(Path file, int label, float[] probabilities) {}

    /**
     * Classifies many files in batches through the loader (decoding ahead in {@code workers} threads); memory stays
     * bounded whatever the number of files. Bad files go to {@code skipped} and the rest go on. {@code labels} (may
     * be null) are carried into the results.
     */
    public List<Result> classify(List<Path> files, int[] labels, int batchSize, int workers, SkippedFiles skipped) {
        if (files.isEmpty()) return List.of();
        int[] y = labels != null ? labels : new int[files.size()];
        BatchSequence seq = new BatchSequence(files, y, batchSize, input)
                .source(BatchSequence.decoding(decoder, input, policy)).keepLast(true).skipBadFiles(skipped);
        List<Result> out = new ArrayList<>(files.size());
        try (Loader loader = new Loader(seq, workers, 2)) {
            while (loader.hasNext()) {
                Batch b = loader.next();
                if (b.size() == 0) continue;
                float[][] p = forward(b);
                for (int i = 0; i < b.size(); i++) out.add(new Result(b.files().get(i), b.labels()[i], p[i]));
            }
        }
        return out;
    }

    /** Predictions for many files, ranked; bad files go to {@code skipped}. */
    public List<Prediction> predict(List<Path> files, int batchSize, int workers, SkippedFiles skipped) {
        List<Prediction> out = new ArrayList<>();
        for (Result r : classify(files, null, batchSize, workers, skipped)) out.add(Prediction.of(r.file().toString(), classes(), r.probabilities(), thresholds));
        return out;
    }

    /** Class probabilities for decoded images already at the input size (what the batcher runs). */
    List<float[]> probabilities(List<Pixels> images) {
        int per = Math.toIntExact(input.size());
        byte[] x = new byte[images.size() * per];
        for (int i = 0; i < images.size(); i++) System.arraycopy(images.get(i).rgb(), 0, x, i * per, per);
        return List.of(forward(new Batch(x, new int[images.size()], input, Collections.nCopies(images.size(), null))));
    }

    /** Probabilities at the model's calibrated temperature (1 when it has none). */
    /**
     * Test-time augmentation from now on: every prediction is the mean over {@code views} views of the image (1: off;
     * {@link Network#predict(Batch, int)} says which), for evaluation and prediction alike.
     */
    public synchronized Classifier testTimeAugmentation(int views) {
        if (views < 1 || views > Network.MAX_VIEWS) throw new IllegalArgumentException("Test-time augmentation takes 1 to "
                + Network.MAX_VIEWS + " views, got " + views + ".");
        this.views = views;
        return this;
    }

    private synchronized float[][] forward(Batch b) {
        float[][] p = network.predict(b, views);
        for (int i = 0; i < p.length; i++) p[i] = Calibration.scale(p[i], temperature);
        return p;
    }

    private interface Decode { Pixels run() throws BadImageException; }

    private Pixels decode(Decode d) throws BadImageException {
        decoding.acquireUninterruptibly();
        try {
            return d.run();
        } finally {
            decoding.release();
        }
    }

    private synchronized Batcher batcher() {
        if (batcher == null) batcher = new Batcher(this, maxBatch, queue);
        return batcher;
    }

    @Override public synchronized void close() {
        if (batcher != null) batcher.close();
        if (owned) network.close();
    }
}
