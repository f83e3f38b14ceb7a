package dev.lote.predict;

import dev.lote.image.Pixels;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;

/**
 * Gathers decoded images from concurrent requests into batches for one inference thread: a burst of requests
 * costs a few forward passes instead of one each, and at most {@code capacity} images wait in memory (beyond
 * that, {@link #submit} refuses and the caller is told it is busy).
 */
final class Batcher implements AutoCloseable {
    private record Job(Pixels image, CompletableFuture<float[]> result) {}

    private final Classifier classifier;
    private final int maxBatch;
    private final BlockingQueue<Job> queue;
    private final Thread worker;
    private volatile boolean closed;

    Batcher(Classifier classifier, int maxBatch, int capacity) {
        this.classifier = classifier;
        this.maxBatch = maxBatch;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.worker = new Thread(this::run, "lote-inference");
        worker.setDaemon(true);
        worker.start();
    }

    /** The image's class probabilities, later; null when the queue is full. */
    CompletableFuture<float[]> submit(Pixels image) {
        CompletableFuture<float[]> result = new CompletableFuture<>();
        if (closed || !queue.offer(new Job(image, result))) return null;
        return result;
    }

    private void run() {
        List<Job> jobs = new ArrayList<>(maxBatch);
        while (!closed) {
            try {
                jobs.add(queue.take());
            } catch (InterruptedException e) {
                break;
            }
            queue.drainTo(jobs, maxBatch - 1);
            try {
                List<float[]> p = classifier.probabilities(jobs.stream().map(Job::image).toList());
                for (int i = 0; i < jobs.size(); i++) jobs.get(i).result().complete(p.get(i));
            } catch (RuntimeException | Error e) {
                jobs.forEach(j -> j.result().completeExceptionally(e));
            }
            jobs.clear();
        }
        Job left;
        while ((left = queue.poll()) != null) left.result().completeExceptionally(new IllegalStateException("the server is stopping"));
    }

    @Override public void close() {
        closed = true;
        worker.interrupt();
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
