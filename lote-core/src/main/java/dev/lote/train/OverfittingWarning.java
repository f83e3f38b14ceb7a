package dev.lote.train;

import java.io.PrintStream;
import java.util.Locale;

/** Says once, in one plain line, when training accuracy runs far above validation accuracy: the model memorises. */
public final class OverfittingWarning implements Callback {
    private final PrintStream out;
    private final double gap;
    private final String advice;
    private boolean said;

    public OverfittingWarning(PrintStream out, double gap, String advice) {
        this.out = out;
        this.gap = gap;
        this.advice = advice;
    }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) { said = false; }

    @Override public void onEpochEnd(int epoch, Logs logs) {
        if (said || !logs.has("val_accuracy")) return;
        double train = logs.require("accuracy"), val = logs.require("val_accuracy");
        if (train - val > gap) {
            said = true;
            out.printf(Locale.ROOT, "Warning: training accuracy %.2f is far above validation accuracy %.2f: the model is learning "
                    + "these images by heart, not the classes. %s%n", train, val, advice);
        }
    }
}
