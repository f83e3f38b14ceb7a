package dev.lote.train;

import dev.lote.torch.Network;
import java.io.PrintStream;
import java.util.List;

/**
 * Stops training when {@code monitor} has not improved by more than {@code minDelta} for {@code patience} epochs,
 * and optionally puts back the weights of the best epoch (Keras' {@code restore_best_weights}).
 */
public final class EarlyStopping implements Callback {
    private final Monitor monitor;
    private final int patience;
    private final Network restoreInto;
    private final PrintStream out;
    private double best;
    private int bestEpoch, wait;
    private boolean stop;
    private java.util.Map<String, float[]> bestWeights;

    /** {@code restoreInto}: the network whose best weights are kept and restored; null keeps the last weights. */
    public EarlyStopping(String monitor, int patience, double minDelta, Network restoreInto, PrintStream out) {
        if (patience < 0) throw new IllegalArgumentException("patience must be 0 or more, got " + patience + ".");
        this.monitor = new Monitor(monitor, minDelta);
        this.patience = patience;
        this.restoreInto = restoreInto;
        this.out = out;
    }

    private double baseline = Double.NaN;
    private int baselineEpoch = -1;
    private java.util.Map<String, float[]> baselineWeights;

    /**
     * Starts from a result already reached (fine-tuning's phase 1: its best epoch and weights), so the run ends with
     * those weights when no later epoch beats them.
     */
    public EarlyStopping baseline(double value, int epoch, java.util.Map<String, float[]> weights) {
        this.baseline = value;
        this.baselineEpoch = epoch;
        this.baselineWeights = weights;
        return this;
    }

    private int baselineWait;

    /**
     * A resumed run: its earlier epochs' best and how long ago it was, so patience counts across the break. Their
     * weights are not in memory; the run's best.lote checkpoint holds them.
     */
    public EarlyStopping resuming(java.util.List<Double> earlier) {
        if (earlier == null) return this;
        for (int e = 0; e < earlier.size(); e++) if (monitor.improves(earlier.get(e), baseline)) { baseline = earlier.get(e); baselineEpoch = e; }
        baselineWait = baselineEpoch < 0 ? 0 : earlier.size() - 1 - baselineEpoch;
        return this;
    }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) {
        best = baseline;
        bestEpoch = baselineEpoch;
        wait = baselineWait;
        stop = false;
        bestWeights = baselineWeights;
    }

    @Override public void onEpochEnd(int epoch, Logs logs) {
        double value = logs.require(monitor.metric());
        if (monitor.improves(value, best)) {
            best = value;
            bestEpoch = epoch;
            wait = 0;
            if (restoreInto != null) bestWeights = restoreInto.weightValues();
        } else if (++wait >= patience && epoch > 0) { // as Keras: stop after `patience` epochs without improvement
            stop = true;
            if (out != null) out.printf("Early stopping: %s has not improved for %d epochs (best %.4f at epoch %d)%n",
                    monitor.metric(), wait, best, bestEpoch + 1);
        }
    }

    @Override public void onTrainEnd(History history) {
        if (restoreInto != null && bestWeights != null && bestEpoch < history.epochs() - 1) {
            restoreInto.setWeightValues(bestWeights);
            if (out != null) out.printf("Restored the weights of epoch %d (%s %.4f)%n", bestEpoch + 1, monitor.metric(), best);
        }
    }

    @Override public boolean stopTraining() { return stop; }

    public int bestEpoch() { return bestEpoch; }
}
