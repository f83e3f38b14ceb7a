package dev.lote.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * Keras' progress output. On a terminal one line per epoch is redrawn in place:
 * {@code 120/280 ━━━━━━━━──────────── 1:45 870ms/step - accuracy: 0.4100 - loss: 1.9000};
 * otherwise (a log file, CI) only the finished epoch's line is printed.
 */
public final class ProgressBar implements Callback {
    private static final int WIDTH = 20;
    private final PrintStream out;
    private final boolean terminal;
    private int epochs, steps;
    private long epochStart, lastDraw;

    public ProgressBar(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) {
        this.epochs = epochs;
        this.steps = stepsPerEpoch;
    }

    @Override public void onEpochBegin(int epoch) {
        out.println("Epoch " + (epoch + 1) + "/" + epochs);
        epochStart = System.nanoTime();
        lastDraw = 0;
    }

    @Override public void onBatchEnd(int batch, Logs logs) {
        if (!terminal) return;
        long now = System.nanoTime();
        if (batch + 1 < steps && now - lastDraw < 100_000_000L) return; // redraw at most 10 times a second
        lastDraw = now;
        double elapsed = (now - epochStart) / 1e9, perStep = elapsed / (batch + 1);
        int done = (int) ((long) WIDTH * (batch + 1) / steps);
        out.print("\r" + count(batch + 1) + " " + "━".repeat(done) + "─".repeat(WIDTH - done) + " "
                + duration(perStep * (steps - batch - 1)) + " " + perStep(perStep) + metrics(logs) + "\033[K");
        out.flush();
    }

    @Override public void onEpochEnd(int epoch, Logs logs) {
        double elapsed = (System.nanoTime() - epochStart) / 1e9;
        String line = count(steps) + (terminal ? " " + "━".repeat(WIDTH) + " " : " - ") + Math.round(elapsed) + "s "
                + perStep(elapsed / steps) + metrics(logs);
        out.println(terminal ? "\r" + line + "\033[K" : line);
    }

    /** Says so when waiting for decoded images took more than 5 % of the epoch. */
    @Override public void onDataWait(int epoch, double waitSeconds, double epochSeconds) {
        if (waitSeconds > 0.05 * epochSeconds && waitSeconds > 0.5) {
            out.printf(Locale.ROOT, "  waited %.0f s of %.0f s for images: decoding held training back; --cache keeps decoded "
                    + "images so later epochs skip it%n", waitSeconds, epochSeconds);
        }
    }

    private String count(int done) {
        String total = Integer.toString(steps);
        return " ".repeat(Math.max(0, total.length() - Integer.toString(done).length())) + done + "/" + total;
    }

    private static String perStep(double seconds) {
        return seconds >= 1 ? String.format(Locale.ROOT, "%.0fs/step", seconds)
                : String.format(Locale.ROOT, "%.0fms/step", seconds * 1000);
    }

    /** Keras' ETA: {@code 1:45} above a minute, {@code 45s} below. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s >= 3600) return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
        if (s >= 60) return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
        return s + "s";
    }

    static String metrics(Logs logs) {
        StringBuilder s = new StringBuilder();
        for (Map.Entry<String, Double> e : logs.asMap().entrySet()) {
            s.append(" - ").append(e.getKey()).append(": ").append(String.format(Locale.ROOT, "%.4f", e.getValue()));
        }
        return s.toString();
    }
}
