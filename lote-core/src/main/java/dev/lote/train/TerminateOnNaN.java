package dev.lote.train;

import java.io.PrintStream;

/** Stops training at the first batch whose loss is NaN or infinite. */
public final class TerminateOnNaN implements Callback {
    private final PrintStream out;
    private boolean stop;

    public TerminateOnNaN(PrintStream out) { this.out = out; }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) { stop = false; }

    @Override public void onBatchEnd(int batch, Logs logs) {
        double loss = logs.require("loss");
        if (!stop && (Double.isNaN(loss) || Double.isInfinite(loss))) {
            stop = true;
            if (out != null) out.println("Batch " + (batch + 1) + ": the loss is " + loss + "; stopping (TerminateOnNaN).");
        }
    }

    @Override public boolean stopTraining() { return stop; }

    /** True when training was stopped by a NaN or infinite loss. */
    public boolean stopped() { return stop; }
}
