package dev.lote;

import dev.lote.data.Dataset;
import dev.lote.data.ImageFolder;
import dev.lote.data.ImageFolder.Sample;
import dev.lote.data.SkippedFiles;
import dev.lote.data.Split;
import dev.lote.eval.Evaluation;
import dev.lote.train.Recipe;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;

/**
 * Out-of-fold probabilities (scikit-learn's {@code cross_val_predict}, what cleanlab asks for): the images are dealt into
 * k folds, stratified by class from the recipe's seed; k models, each trained by the recipe on the other folds, give
 * the probabilities of the fold they never saw. Their evaluation is honest on images a model would otherwise have
 * memorised, which is what finding wrong labels needs.
 */
public final class OutOfFold {
    private OutOfFold() {}

    /** Evaluates every image of {@code data} (all its parts) out of fold, training {@code folds} models by {@code recipe}. */
    public static Evaluation evaluate(Dataset data, Recipe recipe, int folds, int batchSize, int topK, int worst, PrintStream out)
            throws IOException {
        if (folds < 2) throw new IllegalArgumentException("Out-of-fold needs at least 2 folds, got " + folds + ".");
        List<String> classes = data.train().classes();
        List<List<Sample>> dealt = deal(data.samples(), classes.size(), folds, recipe.seed());
        if (dealt.stream().anyMatch(List::isEmpty)) throw new IllegalArgumentException(data.samples().size() + " images are too few for "
                + folds + " folds.");
        List<Evaluation.Sample> all = new ArrayList<>();
        SkippedFiles skipped = new SkippedFiles(null);
        PrintStream silent = new PrintStream(OutputStream.nullOutputStream());
        for (int f = 0; f < folds; f++) {
            List<Sample> rest = new ArrayList<>();
            for (int g = 0; g < folds; g++) if (g != f) rest.addAll(dealt.get(g));
            long start = System.nanoTime();
            Dataset others = new Dataset(data.root(), ImageFolder.of(data.root(), classes, rest), Optional.empty(), Optional.empty(), data.labels());
            try (LoteModel m = TrainingRun.of(others, recipe).console(silent).warnings(null).run().model()) {
                List<Sample> held = dealt.get(f);
                all.addAll(m.samples(Split.files(held), Split.labels(held), batchSize, skipped));
            }
            out.printf(Locale.ROOT, "Fold %d/%d: trained on %d images, predicted %d in %.0f s%n", f + 1, folds, rest.size(),
                    dealt.get(f).size(), (System.nanoTime() - start) / 1e9);
        }
        return Evaluation.of(classes, all, topK, worst, skipped.lines());
    }

    /** Each class's images shuffled by the seed and dealt round-robin into {@code folds} folds. */
    static List<List<Sample>> deal(List<Sample> samples, int classes, int folds, long seed) {
        List<List<Sample>> out = new ArrayList<>();
        for (int f = 0; f < folds; f++) out.add(new ArrayList<>());
        int next = 0;
        for (int c = 0; c < classes; c++) {
            List<Sample> mine = new ArrayList<>();
            for (Sample s : samples) if (s.label() == c) mine.add(s);
            Collections.shuffle(mine, new Random(seed * 131 + c));
            for (Sample s : mine) out.get(next++ % folds).add(s);
        }
        return out;
    }
}
