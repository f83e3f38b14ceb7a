package dev.lote.train;

import dev.lote.torch.Network;
import java.io.PrintStream;
import java.util.List;

/** The callbacks a {@link Recipe} asks for: reduce-on-plateau, cosine decay, early stopping, the overfitting warning. */
public final class RecipeCallbacks {
    private RecipeCallbacks() {}

    /**
     * Adds them to {@code trainer}, watching {@code watched}. {@code history} holds the epochs before this fit: a
     * resumed run's (the callbacks go on from them), or fine-tuning's phase 1 (phase 2 must beat its best loss).
     * {@code phaseTwoStart}: the epoch the cosine decay starts at; {@code out}: where they speak.
     */
    public static void add(Trainer trainer, Recipe recipe, Network net, String watched, History history, boolean resuming,
                           int phaseTwoStart, PrintStream out) {
        List<Double> seen = history.asMap().get(watched);
        if (recipe.reduceLr() != null)
            trainer.callback(new ReduceLROnPlateau(net, watched, Recipe.REDUCE_LR_FACTOR, recipe.reduceLr(), Recipe.MIN_LEARNING_RATE, out));
        if (recipe.schedule() == Recipe.Schedule.COSINE) trainer.callback(new CosineDecay(net, recipe.fitLearningRate()).from(phaseTwoStart)
                .warmup(recipe.fineTuning() == null ? 0 : recipe.fineTuning().warmupEpochs()));
        if (recipe.earlyStopping() != null) {
            EarlyStopping stopping = new EarlyStopping(watched, recipe.earlyStopping(), recipe.minDelta(), net, out).resuming(resuming ? seen : null);
            if (recipe.fineTuning() != null && !resuming && seen != null && !seen.isEmpty() && watched.endsWith("loss")) {
                int best = 0; // phase 1's best epoch, whose weights the model holds now: phase 2 must beat it
                for (int e = 1; e < seen.size(); e++) if (seen.get(e) < seen.get(best)) best = e;
                stopping.baseline(seen.get(best), best, net.weightValues());
            }
            trainer.callback(stopping);
        }
        trainer.callback(new OverfittingWarning(out, Recipe.OVERFITTING_GAP, recipe.isNotebook()
                ? "Try the default recipe (a small CNN with augmentation and early stopping) instead of the notebook's."
                : "Try more images, augmentation, or fewer epochs."));
    }
}
