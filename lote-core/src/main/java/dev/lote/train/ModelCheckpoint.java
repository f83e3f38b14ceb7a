package dev.lote.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Saves the model after every epoch as {@code DIR/epoch-NNN.lote}, keeping the last {@code keep}, and the best so
 * far by {@code monitor} as {@code DIR/best.lote}. Writing a file is the caller's {@link Saver}: the trainer knows
 * nothing of model files.
 */
public final class ModelCheckpoint implements Callback {
    /** Writes the current model, with {@code epochsDone} epochs of training, to {@code file}. */
    @FunctionalInterface
    public interface Saver {
        void save(Path file, int epochsDone) throws IOException;
    }

    private final Path dir;
    private final int keep;
    private final Monitor monitor;
    private final Saver saver;
    private final Deque<Path> kept = new ArrayDeque<>();
    private double best;

    public ModelCheckpoint(Path dir, int keep, String monitor, Saver saver) {
        if (keep < 1) throw new IllegalArgumentException("keep must be at least 1, got " + keep + ".");
        this.dir = dir;
        this.keep = keep;
        this.monitor = new Monitor(monitor, 0);
        this.saver = saver;
    }

    private double bestBefore = Double.NaN;

    /** A resumed run: the best value its earlier epochs reached, so a worse first epoch does not replace best.lote. */
    public ModelCheckpoint resuming(java.util.List<Double> earlier) {
        if (earlier != null) for (double v : earlier) if (monitor.improves(v, bestBefore)) bestBefore = v;
        return this;
    }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) {
        best = bestBefore;
        kept.clear();
    }

    /** Saves the model now as {@code DIR/name}, outside the epochs' rotation (fine-tuning's model after phase 1). */
    public void save(String name, int epochsDone) {
        try {
            Files.createDirectories(dir);
            saver.save(dir.resolve(name), epochsDone);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write a checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override public void onEpochEnd(int epoch, Logs logs) {
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(String.format("epoch-%03d.lote", epoch + 1));
            saver.save(file, epoch + 1);
            kept.addLast(file);
            while (kept.size() > keep) Files.deleteIfExists(kept.removeFirst());
            double value = logs.has(monitor.metric()) ? logs.require(monitor.metric()) : Double.NaN;
            if (monitor.improves(value, best)) {
                best = value;
                saver.save(dir.resolve("best.lote"), epoch + 1);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write a checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }
}
