package dev.lote.torch;

import java.util.Arrays;

/**
 * Fewer intra-op threads while the machine is busy. With other CPU-bound processes on the cores, libtorch's
 * threads wait for each other at every parallel region while the loader and the neighbours hold the cores: one
 * epoch of the notebook's job beside two busy loops took 7.7× as long as alone with 2 threads, 2.1× with 1.
 *
 * <p>It watches training steps in windows of {@value #WINDOW}: their wall time (loader wait included) and how many
 * other processes' threads are runnable, sampled at each step (Linux's {@code /proc/loadavg} count of runnable
 * threads, less this process's own). While there are none and a window's mean step stays within 1.5× the best
 * seen, nothing happens (so alone it costs nothing). Otherwise one window runs on one thread, and the faster
 * setting stays. On one thread it tries all threads again as soon as the neighbours are gone; where their count is
 * unknown, after 60 steps, then 120, 240 … while one thread keeps winning (a probe that stalls ends after one step). A thread count the user chose ({@link Engine#pinned()}) is never
 * changed. Thread counts change how sums
 * round, so a run it adapts is not bit-identical to one it did not: pin the count for exact reruns and resumes.
 */
public final class ThreadGovernor {
    private static final int WINDOW = 5;
    private static final double SLOWER = 1.5, BUSY = 0.5, GONE = 0.2; // other processes' runnable threads, on average
    private static final boolean DEBUG = System.getenv("LOTE_DEBUG_THREADS") != null;

    private final int full;
    private final double[] window = new double[WINDOW];
    private int filled, stepsOnOne, backoff = 60;
    private double bestFull = Double.POSITIVE_INFINITY, lastFull, lastOne;
    private boolean onOne, probing, busyOk, warm; // busyOk: all threads won a probe despite the neighbours
    private final java.util.function.DoubleSupplier others;
    private double othersSum;

    /** {@code others}: other processes' runnable threads now (NaN: unknown). */
    ThreadGovernor(int full, java.util.function.DoubleSupplier others) {
        this.full = full;
        this.others = others;
    }

    /**
     * A governor for the current thread count, or null where there is nothing to adapt: one thread, a count the user
     * chose, or {@code LOTE_ADAPTIVE_THREADS=0}.
     */
    public static ThreadGovernor forThisProcess() {
        int n = Engine.threads();
        boolean off = "0".equals(System.getenv("LOTE_ADAPTIVE_THREADS"));
        return n > 1 && !Engine.pinned() && !off ? new ThreadGovernor(n, ThreadGovernor::otherRunnable) : null;
    }

    /** Threads now in use. */
    public int threads() { return onOne ? 1 : full; }

    /** Called after each training step with its wall time. */
    public void stepTook(double ms) {
        window[filled++] = ms;
        othersSum += others.getAsDouble();
        if (onOne) stepsOnOne++;
        if (!onOne && probing && ms > 2 * lastOne) { // one stalled step on all threads settles it: back to one
            filled = WINDOW;
            Arrays.fill(window, ms);
        }
        if (filled < WINDOW) return;
        double mean = Arrays.stream(window).sum() / WINDOW; // not the median: rare stalls of seconds are what busy machines cost
        double neighbours = othersSum / filled; // NaN where unknown: then only step times decide
        filled = 0;
        othersSum = 0;
        if (DEBUG) System.err.printf("threads %d: mean step %.0f ms, %.2f other runnable threads%n", threads(), mean, neighbours);
        if (!warm) { // the first steps warm caches and allocators up: no measure of anything
            warm = true;
            return;
        }
        if (!onOne) {
            if (probing) { // back on all threads to see whether the neighbours left
                probing = false;
                if (mean > lastOne) {
                    backoff = Math.min(backoff * 2, 960);
                    use(true);
                    return;
                }
                backoff = 60;
                bestFull = mean; // a new regime: the old best was from before the neighbours came
            }
            bestFull = Math.min(bestFull, mean);
            lastFull = mean;
            if (mean > SLOWER * bestFull || (neighbours >= BUSY && !busyOk)) {
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
                busyOk = true;
                return;
            }
            lastOne = mean;
            stepsOnOne = 0;
            return;
        }
        boolean freed = neighbours < GONE, unknown = Double.isNaN(neighbours); // known neighbours: no blind probes
        lastOne = Math.min(lastOne, mean);
        if (freed || (unknown && stepsOnOne >= backoff)) {
            probing = true;
            use(false);
        }
    }

    /**
     * Runnable threads of other processes: the system's (the fourth field of {@code /proc/loadavg}) less this
     * process's own in state R; NaN where Linux does not say.
     */
    private static double otherRunnable() {
        try {
            String[] load = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            int all = Integer.parseInt(load[3].substring(0, load[3].indexOf('/')));
            java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
            if (tasks == null) return Double.NaN;
            int mine = 0;
            for (java.io.File t : tasks) {
                try {
                    String stat = java.nio.file.Files.readString(t.toPath().resolve("stat"));
                    int end = stat.lastIndexOf(')');
                    if (end > 0 && end + 2 < stat.length() && stat.charAt(end + 2) == 'R') mine++;
                } catch (java.io.IOException e) {
                    // a thread that ended meanwhile
                }
            }
            return Math.max(0, all - mine);
        } catch (java.io.IOException | RuntimeException e) {
            return Double.NaN;
        }
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
