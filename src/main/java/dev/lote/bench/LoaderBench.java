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

    /** Seconds for the steps of an epoch on one batch kept in memory, and the same steps fed by the loader. */
    public record Epoch(double inMemorySeconds, double loaderSeconds, double loaderWaitSeconds, int steps) {
        public double overhead() { return loaderSeconds / inMemorySeconds - 1; }
    }

    public static Epoch epoch(BatchSequence sequence, int classes, int workers, int prefetch) {
        Shape shape = sequence.shape();
        try (Network net = Network.build(Presets.seedCnn(shape, classes), 1)) {
            Batch first = sequence.get(0);
            net.trainStep(first); // warm-up
            long t = System.nanoTime();
            for (int i = 0; i < sequence.size(); i++) net.trainStep(first);
            double memory = (System.nanoTime() - t) / 1e9;
            t = System.nanoTime();
            double wait;
            try (Loader loader = new Loader(sequence, workers, prefetch)) {
                while (loader.hasNext()) net.trainStep(loader.next());
                wait = loader.waitSeconds();
            }
            return new Epoch(memory, (System.nanoTime() - t) / 1e9, wait, sequence.size());
        }
    }

    /** Fills a cache for {@code sequence}'s files (one pass), then returns a sequence reading from it. */
    public static BatchSequence cached(BatchSequence sequence, Path dir, int workers) {
        DecodedCache cache = DecodedCache.open(dir, sequence.files(), sequence.shape(), Resize.STRETCH, sequence.source());
        BatchSequence fromCache = sequence.source(cache);
        loaderImagesPerSecond(fromCache, workers, 4);
        return fromCache;
    }
}
