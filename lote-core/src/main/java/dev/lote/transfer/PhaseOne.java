package dev.lote.transfer;

import dev.lote.data.BatchSequence;
import dev.lote.nn.Model;
import dev.lote.torch.Network;
import dev.lote.train.History;
import dev.lote.train.Recipe;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * Fine-tuning's phase 1: the frozen backbone's features are computed once per image and a new head trains on them
 * (its epochs go into the run's history). What it gives phase 2, the ordinary fit that follows, is the whole
 * classifier, trainable but for its batch normalization, with the backbone's weights and the head's best.
 */
public final class PhaseOne {
    private PhaseOne() {}

    /** The classifier phase 2 trains and its weights. */
    public record Result(Model architecture, Map<String, float[]> weights) {}

    /**
     * {@code train} and {@code validation}: the run's images at the backbone's input size (every image, keepLast);
     * {@code classWeights} may be null; {@code labelSets}: multi-label's table ({@link Network#labelSets}), else null.
     */
    public static Result run(Backbone bb, int classes, BatchSequence train, BatchSequence validation, Recipe recipe, float[] classWeights,
                             float[][] labelSets, int workers, History history, PrintStream out) {
        Recipe.FineTuning ft = recipe.fineTuning();
        out.printf(Locale.ROOT, "Fine-tuning %s (%,d parameters) at %s: phase 1 trains a new head on its features%n", ft.backbone(),
                bb.features().parameterCount(), bb.inputShape());
        long start = System.nanoTime();
        HeadTraining.Features trainFeatures, valFeatures;
        int views = recipe.augmentation().isNone() ? 1 : ft.views(); // unaugmented copies would be the same features
        Model pooled = Backbone.pooled(bb.classifier(classes, 0, null, null));
        try (Network net = Network.build(pooled, recipe.seed()).pixels(bb.pixelScale(), 0)) {
            Map<String, float[]> w = bb.weightsIn(pooled);
            w.keySet().retainAll(pooled.weightsByPath().keySet());
            net.setWeightValues(w);
            trainFeatures = HeadTraining.features(net, train, workers);
            BatchSequence augmented = train.augment(recipe.augmentation());
            for (int v = 1; v < views; v++) trainFeatures = trainFeatures.and(HeadTraining.features(net, augmented.forEpoch(v), workers));
            valFeatures = HeadTraining.features(net, validation, workers);
        }
        out.printf(Locale.ROOT, "Features of %d images computed once in %.0f s%s%n", trainFeatures.labels().length / views + valFeatures.labels().length,
                (System.nanoTime() - start) / 1e9, views > 1 ? String.format(Locale.ROOT, " (each training image under %d views)", views) : "");
        HeadTraining.Head head = HeadTraining.train(trainFeatures, valFeatures, classes, recipe, classWeights, labelSets, history, out);
        Model arch = bb.classifier(classes, Recipe.HEAD_DROPOUT, head.mean(), head.variance());
        if (labelSets != null) arch.sigmoidOutput();
        long[] trained = Backbone.unfreeze(arch, ft.unfreeze());
        Map<String, float[]> all = bb.weightsIn(arch);
        all.putAll(head.weights());
        out.printf(Locale.ROOT, "Phase 2: %s (batch normalization frozen), learning rate %.0e for the head, %s%.0e for %s%s%n",
                trained[0] == trained[1] ? "the whole network" : "the head and the backbone's top " + trained[0] + " of " + trained[1]
                        + " convolution and dense layers",
                recipe.fitLearningRate(), ft.discriminative() ? "rising layer by layer from " : "", recipe.fitLearningRate() * ft.backboneLrScale(), ft.backbone(),
                ft.warmupEpochs() > 0 ? String.format(Locale.ROOT, ", warming up over %d epoch(s)", ft.warmupEpochs()) : "");
        return new Result(arch, all);
    }
}
