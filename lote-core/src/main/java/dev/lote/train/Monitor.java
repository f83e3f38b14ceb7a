package dev.lote.train;

/** A metric to watch and which way is better: {@code val_loss} goes down, accuracies go up (Keras' mode "auto"). */
record Monitor(String metric, double minDelta) {
    boolean higherIsBetter() { return metric.contains("acc"); }

    /** True when {@code value} beats {@code best} by more than {@code minDelta}. */
    boolean improves(double value, double best) {
        if (Double.isNaN(value)) return false;
        if (Double.isNaN(best)) return true;
        return higherIsBetter() ? value > best + minDelta : value < best - minDelta;
    }
}
