package dev.lote.torch;

import java.util.Arrays;

/** Where training steps' time goes: forward, backward, the gradient exchange and Adam, summed until taken. */
final class PhaseTimes {
    private final long[] nanos = new long[4];

    /** One step's five marks: its start and the end of each phase, from {@link System#nanoTime()}. */
    void add(long... marks) {
        for (int i = 0; i < nanos.length; i++) nanos[i] += marks[i + 1] - marks[i];
    }

    /** The sums in ms, and a fresh start. */
    double[] take() {
        double[] ms = new double[nanos.length];
        for (int i = 0; i < ms.length; i++) ms[i] = nanos[i] / 1e6;
        Arrays.fill(nanos, 0);
        return ms;
    }
}
