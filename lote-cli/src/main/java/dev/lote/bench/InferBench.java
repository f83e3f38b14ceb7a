package dev.lote.bench;

import dev.lote.data.Batch;
import dev.lote.nn.Model;
import dev.lote.nn.Shape;
import dev.lote.torch.Network;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

/** Forward passes (inference, no autograd) of a model with its weights on in-memory batches of random pixels. */
public final class InferBench {
    public record Result(double medianMs, double imagesPerSecond, long peakRssBytes) {}

    private InferBench() {}

    public static Result run(Model spec, Map<String, float[]> weights, double pixelScale, int batchSize, int warmup, int steps) {
        Shape s = spec.inputShape();
        byte[] pixels = new byte[Math.toIntExact(batchSize * s.size())];
        new Random(1).nextBytes(pixels);
        Batch batch = new Batch(pixels, new int[batchSize], s, Collections.nCopies(batchSize, null));
        Map<String, float[]> mine = weights.entrySet().stream().filter(e -> spec.weightsByPath().containsKey(e.getKey()))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        double[] ms = new double[steps];
        try (Network net = Network.build(spec, 0).pixels(pixelScale, 0)) {
            net.setWeightValues(mine);
            for (int i = 0; i < warmup; i++) net.outputs(batch);
            for (int i = 0; i < steps; i++) {
                long t = System.nanoTime();
                net.outputs(batch);
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
        }
        Arrays.sort(ms);
        return new Result(ms[steps / 2], batchSize * 1000.0 / ms[steps / 2], Rss.peakBytes());
    }
}
