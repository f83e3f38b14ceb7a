package dev.lote.bench;

import dev.lote.data.Batch;
import dev.lote.nn.Model;
import dev.lote.nn.Shape;
import dev.lote.torch.Network;
import java.util.Arrays;
import java.util.Collections;
import java.util.Random;
import java.util.stream.IntStream;

/** Times training steps of a model on batches already in memory: the compute cost alone, no decoding. */
public final class StepBench {
    /** Milliseconds per step (median and mean over the timed steps), images per second and peak RSS. */
    /** {@code phases}: mean ms per step in forward, backward, gradient exchange and Adam. */
    public record Result(double medianMs, double meanMs, double imagesPerSecond, long peakRssBytes, int steps, double[] phases) {}

    private StepBench() {}

    public static Result run(Model spec, int batchSize, int warmup, int steps, long seed) { return run(spec, batchSize, warmup, steps, seed, false); }

    /** {@code adapt}: let the thread governor act as training would (for the run beside busy neighbours). */
    public static Result run(Model spec, int batchSize, int warmup, int steps, long seed, boolean adapt) {
        Shape s = spec.inputShape();
        Random r = new Random(seed);
        byte[] pixels = new byte[Math.toIntExact(batchSize * s.size())];
        r.nextBytes(pixels);
        int[] labels = IntStream.range(0, batchSize).map(i -> i % spec.classes()).toArray();
        Batch batch = new Batch(pixels, labels, s, Collections.nCopies(batchSize, null));
        double[] ms = new double[steps], phases;
        try (Network net = Network.build(spec, seed)) {
            for (int i = 0; i < warmup; i++) net.trainStep(batch);
            net.takePhaseMillis();
            dev.lote.torch.ThreadGovernor governor = adapt ? dev.lote.torch.ThreadGovernor.forThisProcess() : null; // as training adapts
            for (int i = 0; i < steps; i++) {
                long t = System.nanoTime();
                net.trainStep(batch);
                ms[i] = (System.nanoTime() - t) / 1e6;
                if (governor != null) governor.stepTook(ms[i]);
            }
            if (governor != null) governor.release();
            phases = net.takePhaseMillis();
            for (int i = 0; i < phases.length; i++) phases[i] /= steps;
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = sorted[steps / 2], mean = Arrays.stream(ms).average().orElse(0);
        return new Result(median, mean, batchSize * 1000.0 / median, Rss.peakBytes(), steps, phases);
    }

    /**
     * CPU-bound processes beside a benchmark: a shell loop each, which also ends by itself once this JVM is gone
     * ({@code kill -0} is a builtin, so the loop never forks).
     */
    public static final class Neighbours implements AutoCloseable {
        private final java.util.List<Process> processes = new java.util.ArrayList<>();

        public static Neighbours start(int n) {
            Neighbours all = new Neighbours();
            long me = ProcessHandle.current().pid();
            try {
                for (int i = 0; i < n; i++) {
                    all.processes.add(new ProcessBuilder("sh", "-c", "while kill -0 " + me + " 2>/dev/null; do :; done").start());
                }
            } catch (java.io.IOException e) {
                all.close();
                throw new java.io.UncheckedIOException("Cannot start a neighbour process (sh): " + e.getMessage(), e);
            }
            return all;
        }

        @Override public void close() {
            for (Process p : processes) p.destroyForcibly();
        }
    }
}
