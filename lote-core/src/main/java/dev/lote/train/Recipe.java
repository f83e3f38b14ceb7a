package dev.lote.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.lote.image.Augmentation;
import dev.lote.image.Resize;
import dev.lote.nn.Shape;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Everything that decides a training run, and nothing that only decides how fast it goes: the model, the input
 * size, the optimizer and its schedule, augmentation, the validation split, the callbacks that change the result,
 * the seed, and fine-tuning's phases. Immutable; the model file stores it as the run's record, so a run from the
 * Java API records as much as one from the CLI and {@code --resume} reads it back.
 * {@code model.fit(Dataset.open(dir), Recipe.defaults().withEpochs(10))}
 *
 * @param model          a preset ({@code small-cnn}, {@code seed-cnn}), a spec in JSON, or a model file to start from
 * @param imageSize      the model's input (height × width); null: the first image's size, or the preset's own
 * @param earlyStopping  patience in epochs; null: off
 * @param monitor        the metric early stopping, reduce-on-plateau and the best checkpoint watch; null: {@code
 *                       val_loss} with validation data, else {@code loss}
 * @param reduceLr       halve the learning rate after this many epochs without improvement; null: off
 * @param classWeight    each class's weight in the training loss (Keras' {@code class_weight}); null: all 1
 * @param sampler        how an epoch draws its training images: each once, shuffled, or classes equally often
 * @param dedup          keep one file of each group of identical files (training's copy before validation's)
 * @param labelSmoothing Keras' {@code label_smoothing}: the loss's target is (1 − s)·one-hot + s / classes; 0: off
 * @param fineTuning     a pretrained backbone under a new head; null: none
 * @param multiLabel     each class a yes or no of its own (sigmoid outputs, binary cross-entropy, a threshold per class),
 *                       as for images with several labels; implied by a labels file with several labels in a row
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Recipe(
        @JsonProperty("model") String model,
        @JsonProperty("image_size") Shape imageSize,
        @JsonProperty("resize") Resize resize,
        @JsonProperty("batch_size") int batchSize,
        @JsonProperty("epochs") int epochs,
        @JsonProperty("learning_rate") double learningRate,
        @JsonProperty("weight_decay") double weightDecay,
        @JsonProperty("schedule") Schedule schedule,
        @JsonProperty("augmentation") Augmentation augmentation,
        @JsonProperty("validation_split") double validationSplit,
        @JsonProperty("early_stopping") Integer earlyStopping,
        @JsonProperty("min_delta") double minDelta,
        @JsonProperty("monitor") String monitor,
        @JsonProperty("reduce_lr") Integer reduceLr,
        @JsonProperty("seed") long seed,
        @JsonProperty("keep_last_batch") boolean keepLastBatch,
        @JsonProperty("strict") boolean strict,
        @JsonProperty("class_weight") ClassWeight classWeight,
        @JsonProperty("sampler") Sampler sampler,
        @JsonProperty("dedup") boolean dedup,
        @JsonProperty("label_smoothing") double labelSmoothing,
        @JsonProperty("fine_tuning") FineTuning fineTuning,
        @JsonProperty("multi_label") boolean multiLabel) {

    /** The learning rate over the run: constant, or Keras' cosine decay to 0 over the planned steps. */
    public enum Schedule {
        CONSTANT, COSINE;

        @JsonCreator public static Schedule parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Unknown learning-rate schedule '" + s + "'. Expected constant or cosine.");
            }
        }

        @JsonValue public String label() { return name().toLowerCase(Locale.ROOT); }
    }

    /**
     * How an epoch draws its training images: {@code shuffle} takes each once in a new order (Keras' {@code shuffle=True});
     * {@code balanced} draws as many, with replacement, every class equally likely (PyTorch's {@code WeightedRandomSampler}
     * with weights 1 / class size), so rare classes are seen as often as common ones.
     */
    public enum Sampler {
        SHUFFLE, BALANCED;

        @JsonCreator public static Sampler parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Unknown sampler '" + s + "'. Expected shuffle or balanced.");
            }
        }

        @JsonValue public String label() { return name().toLowerCase(Locale.ROOT); }
    }

    /**
     * Fine-tuning a pretrained network: phase 1 trains a new head on the frozen backbone's cached features for at
     * most {@code headEpochs}; phase 2 (the recipe's {@code epochs}) trains the whole network, the backbone at
     * {@code backboneLrScale} of the head's learning rate, which is a tenth of phase 1's.
     *
     * @param backbone     a torchvision architecture by name, or a model file cut at {@code cut}
     * @param weights      the backbone's weights file (.pth, .safetensors); null: downloaded once into the weight cache
     * @param warmupEpochs phase 2's rate rises from 0 over these first epochs (with the cosine schedule)
     * @param unfreeze     phase 2 trains only the backbone's top {@code unfreeze} convolution and dense layers (a share
     *                     of them when below 1), the rest staying frozen (no gradients: less memory and time); null: all
     * @param discriminative {@code backboneLrScale} is the bottom trained layer's share, rising geometrically to the
     *                     head's rate layer by layer (fastai's {@code slice(lo, hi)}); false: one share for the backbone
     * @param views        phase 1's features of each training image: the image and {@code views − 1} augmented copies
     *                     (the recipe's augmentation), so the head learns what phase 2 will show it (0, in older files: 1)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FineTuning(@JsonProperty("backbone") String backbone, @JsonProperty("cut") String cut,
                             @JsonProperty("weights") String weights, @JsonProperty("head_epochs") int headEpochs,
                             @JsonProperty("backbone_lr_scale") double backboneLrScale, @JsonProperty("warmup_epochs") int warmupEpochs,
                             @JsonProperty("unfreeze") Double unfreeze, @JsonProperty("discriminative") boolean discriminative,
                             @JsonProperty("views") int views) {
        public FineTuning {
            if (backbone == null || backbone.isBlank()) throw new IllegalArgumentException("Fine-tuning needs a backbone.");
            if (headEpochs < 1) throw new IllegalArgumentException("head epochs must be at least 1, got " + headEpochs + ".");
            if (!(backboneLrScale >= 0)) throw new IllegalArgumentException("The backbone's learning-rate scale must be 0 or more, got "
                    + backboneLrScale + ".");
            if (warmupEpochs < 0) throw new IllegalArgumentException("Warm-up epochs must be 0 or more, got " + warmupEpochs + ".");
            if (unfreeze != null && !(unfreeze >= 0 && (unfreeze < 1 || unfreeze == Math.rint(unfreeze)))) throw new IllegalArgumentException(
                    "--unfreeze takes a number of layers, a share of them below 1, or all; got " + unfreeze + ".");
            if (views == 0) views = 1;
            if (views < 1 || views > MAX_VIEWS) throw new IllegalArgumentException("--views must be 1 to " + MAX_VIEWS + ", got " + views + ".");
        }

        /**
         * The default phase 2: {@link #WARMUP_EPOCHS} of warm-up, the top {@link #UNFREEZE} of the backbone trained at
         * discriminative rates from {@code backboneLrScale} at the bottom, {@link #VIEWS} views in phase 1.
         */
        public FineTuning(String backbone, String cut, String weights, int headEpochs, double backboneLrScale) {
            this(backbone, cut, weights, headEpochs, backboneLrScale, WARMUP_EPOCHS, UNFREEZE, true, VIEWS);
        }

        public static final int WARMUP_EPOCHS = 1, VIEWS = 5, MAX_VIEWS = 20;
        /** The top half: as good on validation as the whole backbone on real photos, in half the memory and two thirds of the time. */
        public static final double UNFREEZE = 0.5;
        /** The bottom layer's share of the head's rate with discriminative rates (fastai's fine_tune: lr_mult 100); the whole backbone's without. */
        public static final double BOTTOM_LR_SCALE = 0.01, UNIFORM_LR_SCALE = 0.1;
    }

    public Recipe {
        if (model == null || model.isBlank()) throw new IllegalArgumentException("A recipe needs a model.");
        if (resize == null) resize = Resize.STRETCH;
        if (schedule == null) schedule = Schedule.CONSTANT;
        if (sampler == null) sampler = Sampler.SHUFFLE;
        if (augmentation == null) augmentation = Augmentation.parse("none");
        if (batchSize < 1) throw new IllegalArgumentException("The batch size must be at least 1, got " + batchSize + ".");
        if (epochs < 0 || (epochs == 0 && fineTuning == null)) throw new IllegalArgumentException("epochs must be at least 1, got "
                + epochs + (fineTuning == null ? "." : " (0 trains the head alone)."));
        if (!(learningRate > 0)) throw new IllegalArgumentException("The learning rate must be above 0, got " + learningRate + ".");
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new IllegalArgumentException("Label smoothing must be in [0, 1), got "
                + labelSmoothing + ".");
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("Weight decay must be 0 or more, got " + weightDecay + ".");
        if (!(validationSplit >= 0 && validationSplit < 1)) throw new IllegalArgumentException("The validation split must be in [0, 1), got "
                + validationSplit + ".");
        if (earlyStopping != null && earlyStopping < 0) throw new IllegalArgumentException("Early stopping's patience must be 0 or more, got "
                + earlyStopping + ".");
        if (reduceLr != null && reduceLr < 1) throw new IllegalArgumentException("Reduce-on-plateau's patience must be at least 1, got "
                + reduceLr + ".");
    }

    /**
     * The recipe that generalizes: the small CNN, batches of 32, 30 epochs with cosine decay, augmentation (flip,
     * crop, rotate, colour), 20 % of every class held out, early stopping after 10 epochs without a better val_loss.
     */
    public static Recipe defaults() {
        return new Recipe("small-cnn", null, Resize.STRETCH, 32, 30, 1e-3, 0, Schedule.COSINE, Augmentation.DEFAULT, 0.2,
                10, 0, null, null, 42, false, false, null, Sampler.SHUFFLE, false, 0, null, false);
    }

    /**
     * The classroom notebook's recipe, exactly: its CNN at the images' own size, batches of 5, 5 epochs of Adam at a
     * constant 1e-3, no augmentation, no early stopping, the last partial batch dropped; Lote still holds out 20 % for
     * validation so the memorising shows ({@code withValidationSplit(0)} for the notebook's own run).
     */
    public static Recipe notebook() {
        return new Recipe("seed-cnn", null, Resize.STRETCH, 5, 5, 1e-3, 0, Schedule.CONSTANT, Augmentation.parse("none"), 0.2,
                null, 0, null, null, 42, false, false, null, Sampler.SHUFFLE, false, 0, null, false);
    }

    /**
     * Fine-tuning {@code backbone} (a torchvision name, or a model file with {@code withFineTuning}'s cut): the default
     * recipe with 10 epochs for phase 2, centre crops (what pretrained networks saw) and early stopping after 5.
     */
    public static Recipe fineTuning(String backbone) {
        return defaults().withModel(backbone).withEpochs(10).withResize(Resize.CROP).withEarlyStopping(5)
                .withFineTuning(new FineTuning(backbone, null, null, 100, FineTuning.BOTTOM_LR_SCALE));
    }

    /** The recipe a model name implies: the notebook's for {@code seed-cnn}, else the default one with that model. */
    public static Recipe forModel(String model) {
        return model.equals("seed-cnn") ? notebook() : defaults().withModel(model);
    }

    /** Reduce-on-plateau, when on, halves the learning rate each time, down to {@link #MIN_LEARNING_RATE} (Keras' factor 0.5). */
    public static final double REDUCE_LR_FACTOR = 0.5, MIN_LEARNING_RATE = 1e-6;
    /** The gap between training and validation accuracy over which a run warns that it is overfitting. */
    public static final double OVERFITTING_GAP = 0.2;
    /** Fine-tuning: phase 2 starts at this share of phase 1's learning rate; phase 1 keeps the head's best epoch within this patience; dropout before the new head. */
    public static final double PHASE_TWO_RATE = 0.1, HEAD_DROPOUT = 0.2;
    public static final int HEAD_PATIENCE = 5;

    /** The rate the ordinary fit starts at: the recipe's, or {@link #PHASE_TWO_RATE} of it in fine-tuning's phase 2. */
    public double fitLearningRate() { return fineTuning != null ? learningRate * PHASE_TWO_RATE : learningRate; }

    /** True for the notebook's own CNN, whose recipe stays the notebook's. */
    public boolean isNotebook() { return model.equals("seed-cnn") && fineTuning == null; }

    /** The metric that early stopping, reduce-on-plateau and the best checkpoint watch. */
    public String monitor(boolean hasValidation) { return monitor != null ? monitor : hasValidation ? "val_loss" : "loss"; }

    public Recipe withModel(String v) { return new Recipe(v, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withImageSize(Shape v) { return new Recipe(model, v, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withResize(Resize v) { return new Recipe(model, imageSize, v, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withBatchSize(int v) { return new Recipe(model, imageSize, resize, v, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withEpochs(int v) { return new Recipe(model, imageSize, resize, batchSize, v, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withLearningRate(double v) { return new Recipe(model, imageSize, resize, batchSize, epochs, v, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withWeightDecay(double v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, v, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withSchedule(Schedule v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, v, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withAugmentation(Augmentation v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, v, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withValidationSplit(double v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, v, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    /** {@code null} turns early stopping off. */
    public Recipe withEarlyStopping(Integer v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, v, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withMinDelta(double v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, v, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withMonitor(String v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, v, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    /** {@code null} turns reduce-on-plateau off. */
    public Recipe withReduceLr(Integer v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, v, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withSeed(long v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, v, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withKeepLastBatch(boolean v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, v, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withStrict(boolean v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, v, classWeight, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    /** {@code null}: every class weighs 1. */
    public Recipe withClassWeight(ClassWeight v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, v, sampler, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withSampler(Sampler v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, v, dedup, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withDedup(boolean v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, v, labelSmoothing, fineTuning, multiLabel); }
    public Recipe withLabelSmoothing(double v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, v, fineTuning, multiLabel); }
    public Recipe withFineTuning(FineTuning v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, v, multiLabel); }
    public Recipe withMultiLabel(boolean v) { return new Recipe(model, imageSize, resize, batchSize, epochs, learningRate, weightDecay, schedule, augmentation, validationSplit, earlyStopping, minDelta, monitor, reduceLr, seed, keepLastBatch, strict, classWeight, sampler, dedup, labelSmoothing, fineTuning, v); }

    /** The recipe as rows for people (the report's settings table). */
    public Map<String, String> describe() {
        Map<String, String> rows = new LinkedHashMap<>();
        rows.put("model", model);
        rows.put("input size", imageSize == null ? "the first image's" : imageSize.toString());
        rows.put("resize", resize.label());
        rows.put("augmentation", augmentation.label());
        rows.put("learning rate", learningRate + " (" + schedule.label() + ")");
        if (weightDecay > 0) rows.put("weight decay", Double.toString(weightDecay));
        rows.put("validation split", Double.toString(validationSplit));
        rows.put("early stopping", earlyStopping == null ? "off" : "patience " + earlyStopping);
        if (reduceLr != null) rows.put("reduce learning rate", "patience " + reduceLr);
        if (keepLastBatch) rows.put("last partial batch", "trained on");
        if (classWeight != null) rows.put("class weight", classWeight.label());
        if (sampler != Sampler.SHUFFLE) rows.put("sampler", sampler.label());
        if (dedup) rows.put("identical files", "one kept");
        if (labelSmoothing > 0) rows.put("label smoothing", Double.toString(labelSmoothing));
        if (multiLabel) rows.put("labels", "several per image (sigmoid outputs, a threshold per class)");
        if (fineTuning != null) {
            rows.put("backbone", fineTuning.backbone() + (fineTuning.cut() == null ? "" : " cut at " + fineTuning.cut()));
            rows.put("head epochs", "at most " + fineTuning.headEpochs());
            rows.put("backbone learning-rate scale", Double.toString(fineTuning.backboneLrScale()));
            if (fineTuning.warmupEpochs() > 0) rows.put("phase 2 warm-up", fineTuning.warmupEpochs() + " epoch(s)");
            if (fineTuning.unfreeze() != null) rows.put("backbone layers trained", fineTuning.unfreeze() < 1
                    ? "the top " + Math.round(100 * fineTuning.unfreeze()) + " %" : "the top " + fineTuning.unfreeze().intValue());
            if (fineTuning.discriminative()) rows.put("backbone learning rates", "rising layer by layer to the head's");
            if (fineTuning.views() > 1) rows.put("phase 1 views", fineTuning.views() + " per training image (" + (fineTuning.views() - 1) + " augmented)");
        }
        return rows;
    }

    /**
     * The recipe of a run recorded before recipes existed (its command's flags, as Lote 0.1's training record kept
     * them), so such checkpoints still resume.
     */
    public static Recipe fromSettings(Map<String, String> s, long seed, int batchSize, int epochs) {
        Recipe r = forModel(s.getOrDefault("--model", "small-cnn"));
        if (s.containsKey("--backbone")) r = fineTuning(s.get("--backbone")).withFineTuning(new FineTuning(s.get("--backbone"), null,
                null, 100, s.containsKey("--backbone-lr-scale") ? Double.parseDouble(s.get("--backbone-lr-scale")) : FineTuning.UNIFORM_LR_SCALE, 0, null, false, 1)); // as Lote 0.1 trained it
        r = r.withSeed(seed).withBatchSize(batchSize).withEpochs(epochs);
        if (s.containsKey("--augment")) r = r.withAugmentation(Augmentation.parse(s.get("--augment")));
        if (s.containsKey("--lr-schedule") && !s.get("--lr-schedule").equals("auto")) r = r.withSchedule(Schedule.parse(s.get("--lr-schedule")));
        if (s.containsKey("--learning-rate")) r = r.withLearningRate(Double.parseDouble(s.get("--learning-rate")));
        if (s.containsKey("--weight-decay")) r = r.withWeightDecay(Double.parseDouble(s.get("--weight-decay")));
        if (s.containsKey("--resize")) r = r.withResize(Resize.parse(s.get("--resize")));
        if (s.containsKey("--validation-split")) r = r.withValidationSplit(Double.parseDouble(s.get("--validation-split")));
        String es = s.get("--early-stopping");
        if (es != null && !es.equals("auto")) r = r.withEarlyStopping(es.equals("off") ? null : Integer.valueOf(es));
        return r.withStrict(Boolean.parseBoolean(s.getOrDefault("--strict", "false")))
                .withKeepLastBatch(Boolean.parseBoolean(s.getOrDefault("--keep-last-batch", "false")));
    }
}
