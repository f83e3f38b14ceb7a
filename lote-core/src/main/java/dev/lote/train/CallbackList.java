package dev.lote.train;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Keras' {@code CallbackList}: the run's callbacks as one, itself a {@link Callback}. It always holds the run's
 * {@link History} first (so every other callback sees the epoch already recorded) and, given a console, the
 * progress bar; training stops when any callback asks.
 */
public final class CallbackList implements Callback {
    private final List<Callback> callbacks = new ArrayList<>();

    /** {@code console}: where the progress bar draws; null for none. */
    public CallbackList(History history, PrintStream console, List<? extends Callback> others) {
        callbacks.add(history);
        if (console != null) callbacks.add(new ProgressBar(console, System.console() != null));
        callbacks.addAll(others);
    }

    public CallbackList add(Callback c) {
        callbacks.add(c);
        return this;
    }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) { callbacks.forEach(c -> c.onTrainBegin(epochs, stepsPerEpoch)); }
    @Override public void onEpochBegin(int epoch) { callbacks.forEach(c -> c.onEpochBegin(epoch)); }
    @Override public void onBatchEnd(int batch, Logs logs) { callbacks.forEach(c -> c.onBatchEnd(batch, logs)); }
    @Override public void onEpochEnd(int epoch, Logs logs) { callbacks.forEach(c -> c.onEpochEnd(epoch, logs)); }
    @Override public void onDataWait(int epoch, double wait, double seconds) { callbacks.forEach(c -> c.onDataWait(epoch, wait, seconds)); }
    @Override public void onTrainEnd(History history) { callbacks.forEach(c -> c.onTrainEnd(history)); }
    @Override public boolean stopTraining() { return callbacks.stream().anyMatch(Callback::stopTraining); }
}
