package dev.lote.train;

/** Hooks into {@link Trainer#fit}; each fires exactly once per run, epoch or batch. Defaults do nothing. */
public interface Callback {
    default void onTrainBegin(int epochs, int stepsPerEpoch) {}
    default void onEpochBegin(int epoch) {}
    /** After batch {@code batch} of the epoch, with the running means of the epoch so far. */
    default void onBatchEnd(int batch, Logs logs) {}
    default void onEpochEnd(int epoch, Logs logs) {}
    /** After {@code onEpochEnd}: how long training waited for decoded images during the epoch. */
    default void onDataWait(int epoch, double waitSeconds, double epochSeconds) {}
    default void onTrainEnd(History history) {}
    /** Asked after every epoch (and batch): true ends training, as Keras' {@code model.stop_training = True}. */
    default boolean stopTraining() { return false; }
}
