package dev.lote.train;

import dev.lote.nn.Adam;
import dev.lote.torch.Network;
import java.io.PrintStream;

/** Multiplies the learning rate by {@code factor} when {@code monitor} has not improved for {@code patience} epochs. */
public final class ReduceLROnPlateau implements Callback {
    private final Network network;
    private final Monitor monitor;
    private final double factor, minLearningRate;
    private final int patience;
    private final PrintStream out;
    private double best;
    private int wait;

    public ReduceLROnPlateau(Network network, String monitor, double factor, int patience, double minLearningRate, PrintStream out) {
        if (!(factor > 0 && factor < 1)) throw new IllegalArgumentException("factor must be in (0, 1), got " + factor + ".");
        this.network = network;
        this.monitor = new Monitor(monitor, 1e-4);
        this.factor = factor;
        this.patience = patience;
        this.minLearningRate = minLearningRate;
        this.out = out;
    }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) {
        best = Double.NaN;
        wait = 0;
    }

    @Override public void onEpochEnd(int epoch, Logs logs) {
        double value = logs.require(monitor.metric());
        if (monitor.improves(value, best)) {
            best = value;
            wait = 0;
        } else if (++wait >= patience) { // as Keras: reduce after `patience` epochs without improvement
            Adam a = network.optimizer();
            double lr = Math.max(minLearningRate, a.learningRate() * factor);
            if (lr < a.learningRate()) {
                network.optimizer(a.withLearningRate(lr));
                if (out != null) out.printf("Reducing the learning rate to %.3g (%s has not improved for %d epochs)%n", lr, monitor.metric(), wait);
            }
            wait = 0;
        }
    }
}
