package dev.lote;

import dev.lote.data.BatchSequence;
import dev.lote.data.DecodedCache;
import dev.lote.io.ModelInfo;
import dev.lote.data.LabelSets;
import dev.lote.data.ImageFolder;
import dev.lote.data.ImageFolder.Sample;
import dev.lote.data.SkippedFiles;
import dev.lote.image.Augmentation;
import dev.lote.image.Decoder;
import dev.lote.io.ModelFileException;
import dev.lote.nn.Adam;
import dev.lote.nn.Model;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import dev.lote.train.History;
import dev.lote.train.Recipe;
import dev.lote.transfer.Backbone;
import dev.lote.transfer.PhaseOne;
import dev.lote.weights.WeightCache;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * What a run starts from: the model a new run trains (the recipe's preset, spec or starting model file, or a backbone
 * fine-tuned, its phase 1 here) or the one it was given or resumes, with its images, history and loss settings.
 */
final class RunModels {
    private RunModels() {}

    /**
     * The model the recipe names for {@code classes}: a preset or spec at the input size, or a model file to start from;
     * with {@code multiLabel}, its softmax output a sigmoid one.
     */
    static LoteModel fromRecipe(Recipe recipe, ImageFolder folder, List<String> classes, boolean multiLabel, Decoder decoder) throws ModelFileException {
        LoteModel m;
        if (LoteModel.isModelFile(recipe.model())) {
            if (multiLabel) throw new IllegalArgumentException("Multi-label training starts from a preset or a backbone (--backbone), "
                    + "not from a model file.");
            m = LoteModel.startFrom(Path.of(recipe.model()), classes, recipe.resize(), recipe.seed());
            if (recipe.imageSize() != null && !recipe.imageSize().equals(m.architecture().inputShape())) {
                m.close();
                throw new IllegalArgumentException("The image size " + recipe.imageSize() + " differs from " + recipe.model()
                        + "'s input " + m.architecture().inputShape() + ".");
            }
        } else {
            Shape input = recipe.imageSize() != null ? recipe.imageSize()
                    : Presets.defaultInput(recipe.model(), folder.firstImageShape(decoder, recipe.strict()));
            Model spec = Presets.resolve(recipe.model(), input, classes.size());
            m = LoteModel.create(multiLabel ? spec.sigmoidOutput() : spec, classes, recipe.resize(), recipe.seed());
        }
        m.network().optimizer(adam(recipe, recipe.learningRate()));
        return m;
    }

    static Adam adam(Recipe recipe, double learningRate) { return new Adam(learningRate).withWeightDecay(recipe.weightDecay()); }

    /** Fine-tuning: phase 1 ({@link PhaseOne}) here; phase 2 is the ordinary fit that follows, the backbone at its share of the rate. */
    static LoteModel fineTuned(TrainingRun run, List<String> classes, List<Sample> train, List<Sample> validation, float[] classWeights,
                               float[][] labelSets, Decoder decoder, WeightCache weightCache, History history, PrintStream out) throws IOException {
        Recipe recipe = run.recipe;
        Recipe.FineTuning ft = recipe.fineTuning();
        Backbone bb = LoteModel.backbone(ft.backbone(), ft.cut(), ft.weights() == null ? null : Path.of(ft.weights()),
                weightCache);
        BatchSequence.ImageSource source = BatchSequence.decoding(decoder, bb.inputShape(), recipe.resize());
        SkippedFiles quiet = new SkippedFiles(null); // phase 2 names bad files once
        PhaseOne.Result p;
        // phase 1 reads every image once per view: from the decoded-image cache, which phase 2 then reuses
        try (DecodedCache cache = RunFit.cache(run, bb.inputShape(), recipe.resize(), source, train, validation, ft.views() + recipe.epochs(), out)) {
            BatchSequence.ImageSource images = cache != null ? cache : source;
            p = PhaseOne.run(bb, classes.size(), RunImages.sequence(recipe, train, bb.inputShape(), images, quiet).keepLast(true),
                    RunImages.sequence(recipe, validation, bb.inputShape(), images, quiet).keepLast(true), recipe, classWeights, labelSets,
                    run.workers, history, out);
        }
        LoteModel m = LoteModel.create(p.architecture(), classes, recipe.resize(), recipe.seed()).pixels(bb.pixelScale() == 1 ? "raw" : "unit");
        m.network().setWeightValues(p.weights());
        Backbone.learningRates(m.network(), p.architecture(), ft);
        m.network().optimizer(adam(recipe, recipe.fitLearningRate()));
        return m;
    }

    /** What a run starts from: its model (made here or given), split, history so far and where phase 2 starts. */
    record Start(LoteModel model, boolean made, List<Sample> train, List<Sample> validation, History history, int phaseTwoStart,
                         Decoder decoder) {}

    static Start start(TrainingRun run, PrintStream out) throws IOException {
        ModelInfo.Training past = run.past();
        if (past != null && past.worldSize() != run.world.size()) throw new IllegalArgumentException("The run was trained by "
                + past.worldSize() + " process(es); resume it with the same number, so its batches stay the same.");
        Decoder decoder = new Decoder(run.limits);
        ImageFolder folder = run.data.train();
        List<String> classes = RunImages.modelClasses(run.data, run.recipe); // multi-label: the single labels of the data's label sets
        RunImages.Parts parts = RunImages.choose(run.data, run.recipe, past, run.resumed == null ? null : run.recipe.multiLabel() ? folder.classes()
                : run.resumed.classes(), out, run.world.rank() == 0 ? run.warnings : null);
        float[][] labelSets = run.recipe.multiLabel() ? LabelSets.table(folder.classes(), classes) : null;
        List<Sample> train = parts.train(), validation = parts.validation();
        History history = past != null ? History.of(past.history()) : new History();
        int phaseTwoStart = past != null ? past.phaseTwoStart() : 0; // fine-tuning: where the whole network starts to train
        LoteModel m = run.resumed != null ? run.resumed : run.model;
        boolean made = m == null; // a model this run makes is closed here when the run fails
        if (m != null && !m.classes().equals(classes)) throw new IllegalArgumentException("The classes in " + run.data.root()
                + " " + classes + " differ from the model's " + m.classes() + ".");
        if (m != null && m.multiLabel() != run.recipe.multiLabel()) throw new IllegalArgumentException("The model answers "
                + (m.multiLabel() ? "each class yes or no (multi-label)" : "one class per image") + "; the run's data and recipe ask for "
                + (run.recipe.multiLabel() ? "several labels per image." : "one label per image."));
        if (m == null && run.recipe.fineTuning() != null) {
            m = RunModels.fineTuned(run, classes, train, validation, parts.classWeights(), labelSets, decoder,
                    run.weightCache != null ? run.weightCache : new WeightCache(WeightCache.defaultDir(), System.err), history, out);
            phaseTwoStart = history.epochs();
        } else if (m == null) {
            m = RunModels.fromRecipe(run.recipe, folder, classes, run.recipe.multiLabel(), decoder);
        } else if (run.resumed == null) {
            m.network().optimizer(RunModels.adam(run.recipe, run.recipe.learningRate()));
        }
        m.network().classWeights(parts.classWeights()).labelSmoothing(run.recipe.labelSmoothing());
        if (labelSets != null) m.network().labelSets(labelSets);
        var mixes = run.recipe.augmentation().mixes();
        m.network().mixing(mixes.contains(Augmentation.Op.MIXUP), mixes.contains(Augmentation.Op.CUTMIX));
        return new Start(m, made, train, validation, history, phaseTwoStart, decoder);
    }
}
