package dev.lote.bench;

import dev.lote.data.Batch;
import dev.lote.data.BatchSequence;
import dev.lote.data.DecodedCache;
import dev.lote.data.Loader;
import dev.lote.image.BadImageException;
import dev.lote.image.Decoder;
import dev.lote.image.Resize;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import dev.lote.torch.Network;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The input pipeline's costs: one image on one core, the loader's throughput, and its share of an epoch. */
public final class LoaderBench {
    private LoaderBench() {}

    /** Median milliseconds to read, decode and resize one image into a batch buffer, on the calling thread. */
    public static double decodeMillis(List<Path> files, Shape shape, int images) throws BadImageException {
        Decoder decoder = new Decoder();
        byte[] buffer = new byte[Math.toIntExact(shape.size())];
        for (int i = 0; i < Math.min(20, files.size()); i++) decoder.read(files.get(i), shape.height(), shape.width(), Resize.STRETCH); // warm-up
        double[] ms = new double[Math.min(images, files.size())];
        for (int i = 0; i < ms.length; i++) {
            long t = System.nanoTime();
            byte[] rgb = decoder.read(files.get(i), shape.height(), shape.width(), Resize.STRETCH).rgb();
            System.arraycopy(rgb, 0, buffer, 0, buffer.length);
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    /** Images per second through the loader alone (nothing consumes the batches but the loop). */
    public static double loaderImagesPerSecond(BatchSequence sequence, int workers, int prefetch) {
        long t = System.nanoTime();
        int n = 0;
        try (Loader loader = new Loader(sequence, workers, prefetch)) {
            while (loader.hasNext()) n += loader.next().size();
        }
        return n / ((System.nanoTime() - t) / 1e9);
    }

    /**
     * Seconds for the steps of an epoch on one batch kept in memory, fed by the loader decoding every image, and fed
     * from the decoded-image cache; measured in alternating rounds and the fastest round of each kept, because the
     * machine is shared and a single run drifts by more than the differences being measured.
     */
    public record Epoch(double inMemorySeconds, double loaderSeconds, double cacheSeconds, int steps) {
        public double loaderOverhead() { return loaderSeconds / inMemorySeconds - 1; }
        public double cacheOverhead() { return cacheSeconds / inMemorySeconds - 1; }
    }

    public static Epoch epoch(BatchSequence sequence, BatchSequence cached, int classes, int workers, int prefetch, int rounds) {
        double memory = Double.MAX_VALUE, loader = Double.MAX_VALUE, cache = Double.MAX_VALUE;
        try (Network net = Network.build(Presets.seedCnn(sequence.shape(), classes), 1)) {
            Batch first = sequence.get(0);
            net.trainStep(first); // warm-up
            for (int r = 0; r < rounds; r++) {
                long t = System.nanoTime();
                for (int i = 0; i < sequence.size(); i++) net.trainStep(first);
                memory = Math.min(memory, (System.nanoTime() - t) / 1e9);
                loader = Math.min(loader, timeWithLoader(net, sequence, workers, prefetch));
                cache = Math.min(cache, timeWithLoader(net, cached, workers, prefetch));
            }
        }
        return new Epoch(memory, loader, cache, sequence.size());
    }

    private static double timeWithLoader(Network net, BatchSequence sequence, int workers, int prefetch) {
        long t = System.nanoTime();
        try (Loader l = new Loader(sequence, workers, prefetch)) {
            while (l.hasNext()) net.trainStep(l.next());
        }
        return (System.nanoTime() - t) / 1e9;
    }

    /** Fills a cache for {@code sequence}'s files (one pass), then returns a sequence reading from it. */
    public static BatchSequence cached(BatchSequence sequence, Path dir, int workers) {
        DecodedCache cache = DecodedCache.open(dir, sequence.files(), sequence.shape(), Resize.STRETCH, sequence.source());
        BatchSequence fromCache = sequence.source(cache);
        loaderImagesPerSecond(fromCache, workers, 4);
        return fromCache;
    }
}
