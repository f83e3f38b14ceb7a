package dev.lote.data;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Decodes the batches of one pass over a {@link BatchSequence} ahead of training, in worker threads. Batches come
 * out in the sequence's order whatever the number of workers (each worker decodes whole batches; results are taken
 * in order). Memory is bounded by {@code prefetch + 1} batch buffers, reused, whatever the number of files: a batch
 * returned by {@link #next()} is valid until the following call. {@code try (Loader l = new Loader(seq, 2, 4)) {…}}
 */
public final class Loader implements AutoCloseable {
    private final BatchSequence sequence;
    private final ExecutorService workers;
    private final BlockingQueue<byte[]> buffers;
    private final Deque<Future<Batch>> ahead = new ArrayDeque<>();
    private final int prefetch;
    private int submitted, taken;
    private byte[] lent;
    private long waitNanos;

    public Loader(BatchSequence sequence, int workers, int prefetch) {
        if (workers <= 0) throw new IllegalArgumentException("workers must be positive, got " + workers + ".");
        if (prefetch <= 0) throw new IllegalArgumentException("prefetch must be positive, got " + prefetch + ".");
        this.sequence = sequence;
        this.prefetch = prefetch;
        this.workers = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "lote-loader");
            t.setDaemon(true);
            return t;
        });
        this.buffers = new ArrayBlockingQueue<>(prefetch + 1);
        for (int i = 0; i < prefetch + 1; i++) buffers.add(new byte[sequence.bufferLength()]);
        fill();
    }

    public boolean hasNext() { return taken < sequence.size(); }

    /** The next batch in order; blocks while it is still being decoded (that time is {@link #waitSeconds()}). */
    public Batch next() {
        if (!hasNext()) throw new NoSuchElementException();
        if (lent != null) {
            buffers.add(lent); // the caller is done with the previous batch
            lent = null;
            fill();
        }
        long start = System.nanoTime();
        try {
            Batch b = ahead.removeFirst().get();
            taken++;
            lent = b.pixels();
            return b;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re; // DataException names the file
            throw new IllegalStateException("Loading batch " + taken + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("Interrupted while loading batch " + taken + ".");
        } finally {
            waitNanos += System.nanoTime() - start;
            fill();
        }
    }

    /** Seconds the caller spent waiting for batches that were not decoded yet. */
    public double waitSeconds() { return waitNanos / 1e9; }

    private void fill() {
        while (submitted < sequence.size() && ahead.size() < prefetch) {
            byte[] buffer = buffers.poll();
            if (buffer == null) return;
            int i = submitted++;
            ahead.addLast(workers.submit(() -> sequence.get(i, buffer)));
        }
    }

    @Override public void close() {
        for (Future<Batch> f : ahead) f.cancel(true);
        workers.shutdownNow();
    }
}
