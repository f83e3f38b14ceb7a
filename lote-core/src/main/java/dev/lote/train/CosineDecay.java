package dev.lote.train;

import dev.lote.torch.Network;

/**
 * Keras' CosineDecay: the learning rate falls from its start to 0 along half a cosine over the planned steps.
 * The rate depends only on the step number, so a resumed run continues the same curve.
 */
public final class CosineDecay implements Callback {
    private final Network network;
    private final double initial;
    private int stepsPerEpoch, from;
    private long totalSteps, step;

    public CosineDecay(Network network, double initialLearningRate) {
        this.network = network;
        this.initial = initialLearningRate;
    }

    /** The curve starts at epoch {@code first} (a fine-tuning phase that follows the head's). */
    public CosineDecay from(int first) {
        this.from = first;
        return this;
    }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) {
        this.stepsPerEpoch = stepsPerEpoch;
        this.totalSteps = (long) (epochs - from) * stepsPerEpoch;
    }

    @Override public void onEpochBegin(int epoch) {
        step = (long) (epoch - from) * stepsPerEpoch;
        set();
    }

    @Override public void onBatchEnd(int batch, Logs logs) {
        step++;
        set();
    }

    private void set() {
        double progress = totalSteps == 0 ? 1 : Math.min(1, step / (double) totalSteps);
        network.optimizer(network.optimizer().withLearningRate(initial * 0.5 * (1 + Math.cos(Math.PI * progress))));
    }
}
