package dev.lote.predict;

import dev.lote.data.Batch;
import dev.lote.data.BatchSequence;
import dev.lote.data.Loader;
import dev.lote.data.SkippedFiles;
import dev.lote.image.BadImageException;
import dev.lote.image.Decoder;
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

/**
 * A trained model ready to classify images: the model file's weights, its classes and its preprocessing (the
 * input size and resize policy it was trained with). Inference runs without autograd. Thread-safe: calls are
 * served one at a time, which bounds memory. {@code try (Predictor p = Predictor.open(Path.of("model.lote"))) {…}}
 */
public final class Predictor implements AutoCloseable {
    private final ModelInfo info;
    private final Network network;
    private final Decoder decoder = new Decoder();
    private final Shape input;
    private final Resize policy;

    private final boolean owned;

    /** Uses {@code network} as it is (not a copy, not closed here): its weights now and after further training. */
    public Predictor(Network network, ModelInfo info) { this(network, info, false); }

    private Predictor(Network network, ModelInfo info, boolean owned) {
        this.info = info;
        this.network = network;
        this.owned = owned;
        this.input = info.architecture().inputShape();
        this.policy = Resize.parse(info.preprocessing().resize());
    }

    public static Predictor open(Path file) throws ModelFileException {
        ModelFile model = ModelFile.load(file);
        Engine.start(0);
        var pre = model.info().preprocessing();
        Network net = Network.build(model.architecture(), 0).pixels(pre.pixelScale(), pre.pixelOffset());
        net.setWeightValues(model.weights());
        return new Predictor(net, model.info(), true);
    }

    public List<String> classes() { return info.classes(); }
    public ModelInfo info() { return info; }
    public Shape inputShape() { return input; }

    /** Class probabilities for one image file, in {@link #classes()} order. */
    public float[] probabilities(Path image) throws BadImageException {
        Pixels px = decoder.read(image, input.height(), input.width(), policy);
        return probabilities(List.of(px)).get(0);
    }

    /** Class probabilities for decoded images already at the input size. */
    public synchronized List<float[]> probabilities(List<Pixels> images) {
        int per = Math.toIntExact(input.size());
        byte[] x = new byte[images.size() * per];
        for (int i = 0; i < images.size(); i++) System.arraycopy(images.get(i).rgb(), 0, x, i * per, per);
        Batch b = new Batch(x, new int[images.size()], input, Collections.nCopies(images.size(), null));
        return List.of(network.predict(b));
    }

    /** Decodes {@code imageBytes} (an uploaded file, say) and classifies it. */
    public float[] probabilities(byte[] imageBytes, String name) throws BadImageException {
        return probabilities(List.of(decoder.read(imageBytes, Path.of(name), input.height(), input.width(), policy))).get(0);
    }

    /** One file's result. */
    public record Result(Path file, int label, float[] probabilities) {}

    /**
     * Classifies many files in batches through the loader (decoding ahead in {@code workers} threads); memory stays
     * bounded whatever the number of files. Bad files go to {@code skipped} and the rest go on.
     * {@code labels} (may be null) are carried into the results, for evaluation.
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
                float[][] p;
                synchronized (this) {
                    p = network.predict(b);
                }
                for (int i = 0; i < b.size(); i++) out.add(new Result(b.files().get(i), b.labels()[i], p[i]));
            }
        }
        return out;
    }

    @Override public void close() {
        if (owned) network.close();
    }
}
