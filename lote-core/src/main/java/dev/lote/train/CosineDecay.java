package dev.lote.train;

import dev.lote.torch.Network;

/**
 * Keras' CosineDecay: the learning rate falls from its start to 0 along half a cosine over the planned steps, after
 * an optional linear warm-up from 0 ({@code warmup_steps}; Adam's first steps are as large as its rate whatever the
 * gradient, which would throw a trained head off). The rate depends only on the step number, so a resumed run
 * continues the same curve.
 */
public final class CosineDecay implements Callback {
    private final Network network;
    private final double initial;
    private int stepsPerEpoch, from, warmupEpochs;
    private long totalSteps, step, warmupSteps;

    public CosineDecay(Network network, double initialLearningRate) {
        this.network = network;
        this.initial = initialLearningRate;
    }

    /** The curve starts at epoch {@code first} (a fine-tuning phase that follows the head's). */
    public CosineDecay from(int first) {
        this.from = first;
        return this;
    }

    /** The rate rises linearly from 0 over the first {@code epochs} of the curve. */
    public CosineDecay warmup(int epochs) {
        this.warmupEpochs = epochs;
        return this;
    }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) {
        this.stepsPerEpoch = stepsPerEpoch;
        this.totalSteps = (long) (epochs - from) * stepsPerEpoch;
        this.warmupSteps = Math.min(totalSteps, (long) warmupEpochs * stepsPerEpoch);
    }

    @Override public void onEpochBegin(int epoch) {
        step = (long) (epoch - from) * stepsPerEpoch;
        set();
    }

    @Override public void onBatchEnd(int batch, Logs logs) {
        step++;
        set();
    }

    private void set() { network.optimizer(network.optimizer().withLearningRate(rate(step))); }

    /** The rate for step {@code s} of the curve (the step about to run). */
    double rate(long s) {
        if (s < warmupSteps) return initial * (s + 1) / warmupSteps;
        long decay = totalSteps - warmupSteps;
        double progress = decay == 0 ? 1 : Math.min(1, (s - warmupSteps) / (double) decay);
        return initial * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
