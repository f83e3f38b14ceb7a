package dev.lote;

import dev.lote.data.BatchSequence;
import dev.lote.data.ImageFolder;
import dev.lote.data.ImageFolder.Sample;
import dev.lote.data.SkippedFiles;
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

/** The model a new run trains: the recipe's preset, spec or starting model file, or a backbone fine-tuned (its phase 1 here). */
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
    static LoteModel fineTuned(Recipe recipe, List<String> classes, List<Sample> train, List<Sample> validation, float[] classWeights,
                               float[][] labelSets, Decoder decoder, WeightCache weightCache, int workers, History history, PrintStream out) throws IOException {
        Recipe.FineTuning ft = recipe.fineTuning();
        Backbone bb = LoteModel.backbone(ft.backbone(), ft.cut(), ft.weights() == null ? null : Path.of(ft.weights()),
                weightCache);
        BatchSequence.ImageSource source = BatchSequence.decoding(decoder, bb.inputShape(), recipe.resize());
        SkippedFiles quiet = new SkippedFiles(null); // phase 2 names bad files once
        PhaseOne.Result p = PhaseOne.run(bb, classes.size(), RunImages.sequence(recipe, train, bb.inputShape(), source, quiet).keepLast(true),
                RunImages.sequence(recipe, validation, bb.inputShape(), source, quiet).keepLast(true), recipe, classWeights, labelSets, workers, history, out);
        LoteModel m = LoteModel.create(p.architecture(), classes, recipe.resize(), recipe.seed()).pixels(bb.pixelScale() == 1 ? "raw" : "unit");
        m.network().setWeightValues(p.weights());
        m.network().learningRateScale(p.backbonePrefix(), ft.backboneLrScale());
        m.network().optimizer(adam(recipe, recipe.fitLearningRate()));
        return m;
    }
}
