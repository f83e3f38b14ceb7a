package dev.lote.torch;

import java.util.Arrays;

/**
 * Fewer intra-op threads while the machine is busy. With other CPU-bound processes on the cores, libtorch's
 * threads wait for each other at every parallel region while the loader and the neighbours hold the cores: one
 * epoch of the notebook's job beside two busy loops took 7.7× as long as alone with 2 threads, 2.1× with 1.
 *
 * <p>It watches training steps in windows of {@value #WINDOW}: their wall time (loader wait included) and how long
 * this process's threads sat runnable without a core (Linux's schedstat). While that wait stays small and a
 * window's mean step stays within 1.5× the best seen, nothing happens (so alone it costs nothing). Otherwise one
 * window runs on one thread, and the faster setting stays. On one thread it tries all threads again after 60 steps,
 * then 120, 240 … while one thread keeps winning (a probe that stalls ends after one step), and at once when nothing
 * waits for a core any more (the neighbours left). A thread count the user chose ({@link Engine#pinned()}) is never
 * changed. Thread counts change how sums
 * round, so a run it adapts is not bit-identical to one it did not: pin the count for exact reruns and resumes.
 */
public final class ThreadGovernor {
    private static final int WINDOW = 5;
    private static final double SLOWER = 1.5, CONTENDED = 0.3, FREE = 0.05; // cores' worth of threads waiting
    private static final boolean DEBUG = System.getenv("LOTE_DEBUG_THREADS") != null;

    private final int full;
    private final double[] window = new double[WINDOW];
    private int filled, stepsOnOne, backoff = 60;
    private double bestFull = Double.POSITIVE_INFINITY, lastFull, lastOne;
    private boolean onOne, probing, contendedOk; // contendedOk: all threads won a probe despite the waiting
    private final java.util.function.LongSupplier waitedNanos, clock;
    private long waitedAt, wallAt;

    /** {@code waitedNanos}: this process's threads' total time runnable without a core (-1: unknown); {@code clock}: ns. */
    ThreadGovernor(int full, java.util.function.LongSupplier waitedNanos, java.util.function.LongSupplier clock) {
        this.full = full;
        this.waitedNanos = waitedNanos;
        this.clock = clock;
        waitedAt = waitedNanos.getAsLong();
        wallAt = clock.getAsLong();
    }

    /**
     * A governor for the current thread count, or null where there is nothing to adapt: one thread, a count the user
     * chose, or {@code LOTE_ADAPTIVE_THREADS=0}.
     */
    public static ThreadGovernor forThisProcess() {
        int n = Engine.threads();
        boolean off = "0".equals(System.getenv("LOTE_ADAPTIVE_THREADS"));
        return n > 1 && !Engine.pinned() && !off ? new ThreadGovernor(n, ThreadGovernor::waited, System::nanoTime) : null;
    }

    /** Threads now in use. */
    public int threads() { return onOne ? 1 : full; }

    /** Called after each training step with its wall time. */
    public void stepTook(double ms) {
        window[filled++] = ms;
        if (onOne) stepsOnOne++;
        if (!onOne && probing && ms > 2 * lastOne) { // one stalled step on all threads settles it: back to one
            filled = WINDOW;
            Arrays.fill(window, ms);
        }
        if (filled < WINDOW) return;
        double mean = Arrays.stream(window).sum() / WINDOW; // not the median: rare stalls of seconds are what busy machines cost
        filled = 0;
        long now = clock.getAsLong(), w = waitedNanos.getAsLong();
        // unknown (NaN) where the kernel does not say, or threads that ended took their counts with them
        double waiting = w < 0 || waitedAt < 0 || w < waitedAt ? Double.NaN : (double) (w - waitedAt) / Math.max(1, now - wallAt);
        waitedAt = w;
        wallAt = now;
        if (DEBUG) System.err.printf("threads %d: mean step %.0f ms, %.2f cores' worth of threads waiting for a core%n", threads(), mean, waiting);
        if (!onOne) {
            if (probing) { // back on all threads to see whether the neighbours left
                probing = false;
                if (mean > lastOne) {
                    backoff = Math.min(backoff * 2, 960);
                    use(true);
                    return;
                }
                backoff = 60;
            }
            bestFull = Math.min(bestFull, mean);
            lastFull = mean;
            if (mean > SLOWER * bestFull || (waiting > CONTENDED && !contendedOk)) {
                probing = true;
                use(true);
            }
            return;
        }
        if (probing) { // the first window on one thread
            probing = false;
            if (mean >= lastFull) { // one thread is no better: stay, and do not probe again at once for this
                use(false);
                bestFull = Math.max(bestFull, lastFull / SLOWER);
                contendedOk = true;
                return;
            }
            lastOne = mean;
            stepsOnOne = 0;
            return;
        }
        boolean freed = waiting < FREE;
        lastOne = Math.min(lastOne, mean);
        if (freed || stepsOnOne >= backoff) {
            probing = true;
            use(false);
        }
    }

    /** Nanoseconds this process's threads have spent runnable but not running, or -1 where the kernel does not say. */
    private static long waited() {
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) return -1;
        long sum = 0;
        for (java.io.File t : tasks) {
            try {
                String[] f = java.nio.file.Files.readString(t.toPath().resolve("schedstat")).trim().split(" ");
                sum += Long.parseLong(f[1]);
            } catch (java.io.IOException | RuntimeException e) {
                // a thread that ended meanwhile
            }
        }
        return sum;
    }

    /** All threads again, for whatever runs after training. */
    public void release() {
        if (onOne) use(false);
    }

    private void use(boolean one) {
        onOne = one;
        stepsOnOne = 0;
        Engine.adapt(one ? 1 : full);
    }
}
