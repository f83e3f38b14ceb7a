package dev.lote.predict;

import dev.lote.data.Batch;
import dev.lote.data.BatchSequence;
import dev.lote.data.Loader;
import dev.lote.data.SkippedFiles;
import dev.lote.image.Decoder;
import dev.lote.image.Resize;
import dev.lote.nn.Model;
import dev.lote.nn.Shape;
import dev.lote.torch.Engine;
import dev.lote.torch.Network;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Feature vectors of images, for search, clustering and deduplication: a network's outputs, with images decoded and
 * batched as the classifier does, so memory stays flat whatever the number of files. {@code LoteModel.embedder()}
 * gives a trained model's features before its last layer, {@code Backbone.embedder()} a pretrained backbone's
 * pooled features. Not thread-safe; close it after use.
 */
public final class Embedder implements AutoCloseable {
    /** One image's features, with the label it was given (0 where none). */
    public record Embedding(Path file, int label, float[] features) {}

    /** Where a stream of embeddings goes, one image at a time (a CSV file, an index). */
    public interface Sink {
        void accept(Embedding e) throws IOException;
    }

    private final Network network;
    private final Shape input;
    private final Resize policy;
    private final int width;

    private Embedder(Network network, Shape input, Resize policy, int width) {
        this.network = network;
        this.input = input;
        this.policy = policy;
        this.width = width;
    }

    /** The network {@code features} with {@code weights} (by path; extra ones ignored), reading pixels × scale + offset. */
    public static Embedder of(Model features, Map<String, float[]> weights, double pixelScale, double pixelOffset, Resize policy) {
        Engine.start(0);
        Map<String, float[]> own = new LinkedHashMap<>(weights);
        own.keySet().retainAll(features.weightsByPath().keySet());
        Network net = Network.build(features, 0).pixels(pixelScale, pixelOffset);
        try {
            net.setWeightValues(own);
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
        return new Embedder(net, features.inputShape(), policy, Math.toIntExact(features.outputShape().size()));
    }

    /** How many values each image's features have. */
    public int width() { return width; }

    /**
     * Streams the features of {@code files} (labels may be null) to {@code out} in order, {@code batchSize} images a
     * forward pass, decoding ahead on every core; bad files go to {@code skipped} and the rest go on. Returns how many were written.
     */
    public int embed(List<Path> files, int[] labels, int batchSize, SkippedFiles skipped, Sink out) throws IOException {
        if (files.isEmpty()) return 0;
        BatchSequence seq = new BatchSequence(files, labels != null ? labels : new int[files.size()], batchSize, input).keepLast(true)
                .source(BatchSequence.decoding(new Decoder(), input, policy)).skipBadFiles(skipped);
        int count = 0;
        try (Loader loader = new Loader(seq, Runtime.getRuntime().availableProcessors(), 2)) {
            while (loader.hasNext()) {
                Batch b = loader.next();
                if (b.size() == 0) continue;
                float[][] rows = network.outputs(b);
                for (int i = 0; i < rows.length; i++) out.accept(new Embedding(b.files().get(i), b.labels()[i], rows[i]));
                count += rows.length;
            }
        }
        return count;
    }

    /** The features of {@code files}, in order, all in memory; bad files go to {@code skipped} and are left out. */
    public List<Embedding> embed(List<Path> files, int batchSize, SkippedFiles skipped) {
        List<Embedding> all = new ArrayList<>(files.size());
        try {
            embed(files, null, batchSize, skipped, all::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // adding to a list does not throw
        }
        return all;
    }

    @Override public void close() { network.close(); }
}
