package dev.lote;

import dev.lote.data.BatchSequence;
import dev.lote.data.DataException;
import dev.lote.data.Dataset;
import dev.lote.data.Duplicates;
import dev.lote.data.ImageFolder;
import dev.lote.data.LabelSets;
import dev.lote.data.ImageFolder.Sample;
import dev.lote.data.SkippedFiles;
import dev.lote.data.Split;
import dev.lote.io.ModelInfo;
import dev.lote.nn.Shape;
import dev.lote.train.ClassWeight;
import dev.lote.train.Recipe;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The images a run trains and validates on: a resumed run's recorded lists, a validation folder or split column, or
 * the recipe's stratified split; then the checks that change what a user should trust: identical files across the
 * split (named, or dropped with the recipe's dedup) and imbalanced classes (named, or weighed by the recipe's class weights);
 * and the batch sequences the recipe makes of them.
 */
final class RunImages {
    private RunImages() {}

    /** The training and validation images, and the class weights the loss uses (null: none). */
    record Parts(List<Sample> train, List<Sample> validation, float[] classWeights) {}

    /** {@code past}: a resumed run's record, whose classes are {@code pastClasses}; {@code warnings} may be null (other ranks). */
    static Parts choose(Dataset data, Recipe recipe, ModelInfo.Training past, List<String> pastClasses, PrintStream out, PrintStream warnings) {
        ImageFolder folder = data.train();
        if (folder.samples().isEmpty()) throw new DataException(data.labels(), "No training images: every row of " + data.labels()
                + " is in the val or test split.");
        out.println(folder.describe());
        List<Sample> train = folder.samples(), validation = List.of();
        if (past != null) {
            train = RunRecord.samples(past.trainFiles(), pastClasses, data);
            validation = RunRecord.samples(past.validationFiles(), pastClasses, data);
        } else if (data.hasValidationFolder()) {
            validation = data.validation().orElseThrow().samples();
            out.println("Using " + validation.size() + " validation images from " + (data.labels() != null ? data.labels() + "'s split column"
                    : data.validation().orElseThrow().root()));
        } else if (recipe.validationSplit() > 0) {
            Split split = Split.stratified(folder.samples(), folder.classes().size(), recipe.validationSplit(), recipe.seed());
            train = split.train();
            validation = split.validation();
            out.printf(Locale.ROOT, "Using %d images for training, %d for validation (%.0f %% of each class)%n",
                    train.size(), validation.size(), recipe.validationSplit() * 100);
        }
        if (past == null) { // a resumed run keeps its recorded images
            Split kept = copies(train, validation, recipe, out, warnings);
            train = kept.train();
            validation = kept.validation();
        }
        if (recipe.multiLabel()) {
            if (recipe.classWeight() != null) throw new IllegalArgumentException("Class weights are for one label per image; a "
                    + "multi-label model weighs each class's yes and no alike (--sampler balanced draws the label sets equally often).");
            return new Parts(train, validation, null);
        }
        return new Parts(train, validation, classWeights(folder.classes(), train, recipe, warnings));
    }

    /** The model's classes: the data's, or for a multi-label recipe (a run's is, where some image has several labels) the single labels ({@link LabelSets}). */
    static List<String> modelClasses(Dataset data, Recipe recipe) {
        return recipe.multiLabel() ? LabelSets.classes(data.train().classes()) : data.train().classes();
    }

    /**
     * Identical files among the run's images: a one-line warning when validation images are copies of training ones (the
     * validation score is inflated), or, with the recipe's dedup, one file of each group kept (training's before validation's).
     */
    private static Split copies(List<Sample> train, List<Sample> validation, Recipe recipe, PrintStream out, PrintStream warnings) {
        List<Sample> all = new ArrayList<>(train);
        all.addAll(validation);
        List<Duplicates.Group> groups = Duplicates.exact(Split.files(all));
        if (groups.isEmpty()) return new Split(train, validation);
        java.util.Set<Path> training = new java.util.HashSet<>(Split.files(train));
        List<Duplicates.Group> leaks = groups.stream().filter(g -> g.files().stream().anyMatch(training::contains)
                && !training.containsAll(g.files())).toList();
        if (!recipe.dedup()) {
            if (!leaks.isEmpty() && warnings != null) warnings.printf(Locale.ROOT, "lote: warning: %d validation "
                    + "image(s) are identical to training images (%s): the validation score is inflated; --dedup keeps one copy of each%n",
                    leaks.stream().mapToLong(g -> g.files().stream().filter(f -> !training.contains(f)).count()).sum(),
                    String.join(" = ", leaks.get(0).files().stream().map(Path::toString).toList()));
            return new Split(train, validation);
        }
        java.util.Set<Path> dropped = new java.util.HashSet<>();
        for (Duplicates.Group g : groups) dropped.addAll(g.files().subList(1, g.files().size()));
        out.printf(Locale.ROOT, "Dropped %d identical cop%s of other images (one of each of %d groups kept, %d of them in validation)%n",
                dropped.size(), dropped.size() == 1 ? "y" : "ies", groups.size(), validation.stream().filter(v -> dropped.contains(v.file())).count());
        return new Split(train.stream().filter(t -> !dropped.contains(t.file())).toList(),
                validation.stream().filter(v -> !dropped.contains(v.file())).toList());
    }

    /** The ratio of the largest class to the smallest over which a run warns. */
    static final int IMBALANCE = 5;

    /** The recipe's class weights for this training split, or null; warns once when the classes are imbalanced and nothing counters it. */
    private static float[] classWeights(List<String> classes, List<Sample> train, Recipe recipe, PrintStream warnings) {
        int[] counts = ClassWeight.counts(Split.labels(train), classes.size());
        int most = 0, fewest = 0;
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] > counts[most]) most = c;
            if (counts[c] < counts[fewest]) fewest = c;
        }
        if (counts[most] > IMBALANCE * counts[fewest] && recipe.classWeight() == null && recipe.sampler() == Recipe.Sampler.SHUFFLE
                && warnings != null) warnings.printf(Locale.ROOT, "lote: warning: the classes are imbalanced: '%s' has %d "
                + "training images, '%s' %d; --class-weight balanced or --sampler balanced makes the rare ones count (and evaluate "
                + "shows balanced accuracy)%n", classes.get(most), counts[most], classes.get(fewest), counts[fewest]);
        return recipe.classWeight() == null ? null : recipe.classWeight().resolve(classes, Split.labels(train));
    }

    /** The training images as the recipe draws them: augmented, shuffled or balanced, the last partial batch as asked. */
    static BatchSequence training(Recipe recipe, List<Sample> samples, Shape input, BatchSequence.ImageSource source, SkippedFiles skipped) {
        return sequence(recipe, samples, input, source, skipped).keepLast(recipe.keepLastBatch()).augment(recipe.augmentation())
                .balancedSampling(recipe.sampler() == Recipe.Sampler.BALANCED);
    }

    /** The images in batches of the recipe's size, in its seed's order, bad files skipped unless it is strict. */
    static BatchSequence sequence(Recipe recipe, List<Sample> samples, Shape input, BatchSequence.ImageSource source, SkippedFiles skipped) {
        BatchSequence s = new BatchSequence(Split.files(samples), Split.labels(samples), recipe.batchSize(), input).source(source)
                .seed(recipe.seed());
        return recipe.strict() ? s : s.skipBadFiles(skipped);
    }
}
