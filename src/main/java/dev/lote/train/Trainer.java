package dev.lote.train;

import dev.lote.data.Batch;
import dev.lote.data.BatchSequence;
import dev.lote.torch.Network;
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

    public Trainer(Network network) { this.network = network; }

    public Trainer callback(Callback c) {
        callbacks.add(c);
        return this;
    }

    public History fit(BatchSequence train, int epochs) { return fit(train, null, epochs); }

    /** Trains for {@code epochs} epochs; {@code validation} may be null. */
    public History fit(BatchSequence train, BatchSequence validation, int epochs) {
        if (epochs <= 0) throw new IllegalArgumentException("epochs must be positive, got " + epochs + ".");
        History history = new History();
        callbacks.forEach(c -> c.onTrainBegin(epochs, train.size()));
        for (int epoch = 0; epoch < epochs; epoch++) {
            final int e = epoch;
            callbacks.forEach(c -> c.onEpochBegin(e));
            BatchSequence order = train.forEpoch(epoch);
            Mean mean = new Mean();
            for (int i = 0; i < order.size(); i++) {
                mean.add(network.trainStep(order.get(i)));
                Logs running = mean.logs("");
                final int b = i;
                callbacks.forEach(c -> c.onBatchEnd(b, running));
            }
            Logs logs = mean.logs("");
            if (validation != null) evaluate(validation).asMap().forEach((k, v) -> logs.put("val_" + k, v));
            history.record(logs);
            callbacks.forEach(c -> c.onEpochEnd(e, logs));
        }
        callbacks.forEach(c -> c.onTrainEnd(history));
        return history;
    }

    /** Mean loss and accuracy over every batch of {@code data}, weights unchanged. */
    public Logs evaluate(BatchSequence data) {
        Mean mean = new Mean();
        for (int i = 0; i < data.size(); i++) {
            Batch batch = data.get(i);
            mean.add(network.test(batch));
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
            return new Logs().put(prefix + "loss", loss / samples).put(prefix + "accuracy", correct / (double) samples);
        }
    }
}
