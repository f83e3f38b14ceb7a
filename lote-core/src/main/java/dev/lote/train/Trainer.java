package dev.lote.train;

import dev.lote.data.Batch;
import dev.lote.data.BatchSequence;
import dev.lote.data.Loader;
import dev.lote.torch.Network;
import dev.lote.torch.ThreadGovernor;
import java.util.ArrayList;
import java.util.List;

/**
 * Keras' {@code fit} loop: for each epoch, the training batches in that epoch's order, one Adam step each, then
 * the validation batches; callbacks hear about every batch and epoch; the result is a {@link History}.
 * The trainer knows nothing of files or the console: the progress bar is a callback.
 */
public final class Trainer {
    private final Network network;
    private final List<Callback> callbacks = new ArrayList<>();
    private java.io.PrintStream console;
    private int workers = Runtime.getRuntime().availableProcessors(), prefetch = 4;

    public Trainer(Network network) { this.network = network; }

    /** Threads decoding images ahead of training (default: cores) and batches kept ready (default: 4). */
    public Trainer loader(int workers, int prefetch) {
        if (workers <= 0 || prefetch <= 0) throw new IllegalArgumentException("workers and prefetch must be positive.");
        this.workers = workers;
        this.prefetch = prefetch;
        return this;
    }

    /** Draws Keras' progress bar on {@code out} (default: none). */
    public Trainer console(java.io.PrintStream out) {
        this.console = out;
        return this;
    }

    public Trainer callback(Callback c) {
        callbacks.add(c);
        return this;
    }

    public History fit(BatchSequence train, int epochs) { return fit(train, null, epochs); }

    /** Trains for {@code epochs} epochs; {@code validation} may be null. */
    public History fit(BatchSequence train, BatchSequence validation, int epochs) {
        return fit(train, validation, 0, epochs, new History());
    }

    /**
     * Continues a run at epoch {@code initialEpoch} (0-based) up to {@code epochs}, appending to {@code history}:
     * with the weights and optimizer state of that point restored, the data order and dropout are those the
     * uninterrupted run would have had, so the result is the same.
     */
    public History fit(BatchSequence train, BatchSequence validation, int initialEpoch, int epochs, History history) {
        if (epochs <= 0) throw new IllegalArgumentException("epochs must be positive, got " + epochs + ".");
        if (initialEpoch < 0 || initialEpoch >= epochs) throw new IllegalArgumentException("Nothing to train: the run already "
                + "has " + initialEpoch + " of " + epochs + " epochs. Ask for more epochs to continue it.");
        if (train.size() == 0) throw new IllegalArgumentException("No complete batch: " + train.files().size()
                + " training images with batch size " + train.batchSize() + ". Use a smaller --batch-size or --keep-last-batch.");
        CallbackList callbacks = new CallbackList(history, console, this.callbacks);
        ThreadGovernor governor = ThreadGovernor.forThisProcess(); // fewer threads while other processes hold the cores
        callbacks.onTrainBegin(epochs, train.size());
        for (int epoch = initialEpoch; epoch < epochs; epoch++) {
            network.seedEpoch(epoch);
            final int e = epoch;
            callbacks.onEpochBegin(e);
            long start = System.nanoTime();
            Mean mean = new Mean();
            double wait;
            try (Loader loader = new Loader(train.forEpoch(epoch), workers, prefetch)) {
                for (int i = 0; loader.hasNext(); i++) {
                    long stepStart = System.nanoTime();
                    Batch batch = loader.next();
                    // a batch is empty when every file was bad; with other ranks the step still joins their all-reduce
                    if (batch.size() > 0 || network.group() != null) mean.add(network.trainStep(batch));
                    if (governor != null && network.group() == null) governor.stepTook((System.nanoTime() - stepStart) / 1e6);
                    Logs running = mean.logs("");
                    final int b = i;
                    callbacks.onBatchEnd(b, running);
                    if (callbacks.stopTraining()) break;
                }
                wait = loader.waitSeconds();
            }
            network.averageStateAcrossRanks();
            Logs logs = mean.logs("");
            if (validation != null) evaluate(validation).asMap().forEach((k, v) -> logs.put("val_" + k, v));
            double seconds = (System.nanoTime() - start) / 1e9;
            callbacks.onEpochEnd(e, logs);
            callbacks.onDataWait(e, wait, seconds);
            if (callbacks.stopTraining()) break;
        }
        if (governor != null) governor.release();
        callbacks.onTrainEnd(history);
        return history;
    }

    /** Mean loss and accuracy over every batch of {@code data}, weights unchanged. */
    public Logs evaluate(BatchSequence data) {
        Mean mean = new Mean();
        try (Loader loader = new Loader(data, workers, prefetch)) {
            while (loader.hasNext()) {
                Batch batch = loader.next();
                if (batch.size() > 0) mean.add(network.test(batch));
            }
        }
        if (network.group() != null) { // each rank saw its shard: the metrics are those of all shards together
            double[] total = network.group().sum(mean.loss, mean.correct, mean.samples);
            mean.loss = total[0];
            mean.correct = Math.round(total[1]);
            mean.samples = Math.round(total[2]);
        }
        return mean.logs("");
    }

    /** Sample-weighted running means, as Keras' epoch metrics. */
    private static final class Mean {
        double loss;
        long correct, samples;

        void add(Network.StepResult r) {
            loss += r.lossSum();
            correct += r.correct();
            samples += r.samples();
        }

        Logs logs(String prefix) {
            if (samples == 0) return new Logs().put(prefix + "loss", Double.NaN).put(prefix + "accuracy", Double.NaN);
            return new Logs().put(prefix + "loss", loss / samples).put(prefix + "accuracy", correct / (double) samples);
        }
    }
}
