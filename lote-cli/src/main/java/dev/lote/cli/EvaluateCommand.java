package dev.lote.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lote.LoteModel;
import dev.lote.eval.Evaluation;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Measure a model on a folder with its class folders: loss, accuracy, balanced accuracy, top-k, "
                + "per-class precision/recall/F1, the confusion matrix and the files with the highest loss.")
final class EvaluateCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "A .lote model file.")
    Path modelFile;

    @Parameters(index = "1", paramLabel = "DIR", description = "Folder with the model's class folders.")
    Path dataDir;

    @Option(names = "--top-k", defaultValue = "5", description = "k for top-k accuracy (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--worst", defaultValue = "10", description = "How many highest-loss files to list (default: ${DEFAULT-VALUE}).")
    int worst;

    @Option(names = "--batch-size", defaultValue = "16", description = "Images per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--format", defaultValue = "table", paramLabel = "table|json|csv",
            description = "table, JSON (everything), or CSV (the per-class report) (default: ${DEFAULT-VALUE}), as predict and inspect.")
    String format;

    @Option(names = "--unknown-below", paramLabel = "P",
            description = "Count an image whose top probability is below P (0 to 1) as answered 'unknown': prints the share answered "
                    + "and the accuracy on those.")
    Double unknownBelow;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "Labels from FILE instead of class folders (as train's --labels): its test rows when it has some, else every row.")
    Path labels;

    @Option(names = "--tta", defaultValue = "1", paramLabel = "VIEWS",
            description = "Test-time augmentation: average the predictions of VIEWS views of each image (2: and its mirror; up to 7 "
                    + "with 90 %% crops of the centre and corners) (default: ${DEFAULT-VALUE}, off).")
    int tta;

    @Option(names = "--suspects", defaultValue = "0", paramLabel = "N",
            description = "List the N images whose label the model doubts most (confident learning, as cleanlab), so you can fix the folder.")
    int suspects;

    @Option(names = "--folds", paramLabel = "K",
            description = "Evaluate out of fold: train K models by the model's recipe, each on the other folds of DIR, and let each "
                    + "predict the fold it never saw (honest on images the model trained on; what --suspects needs there).")
    Integer folds;

    @Option(names = "--json", hidden = true, description = "Same as --format json.")
    boolean json;

    @Option(names = "--csv", hidden = true, description = "Same as --format csv.")
    boolean csv;

    @picocli.CommandLine.Mixin EngineFlags engine; // --threads, --precision

    @Override public Integer call() throws Exception {
        engine.start(spec);
        double threshold = Options.probability(spec, "--unknown-below", unknownBelow);
        if (suspects < 0) Options.positive(spec, "--suspects", suspects);
        if (folds != null && folds < 2) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--folds must be at least 2, got " + folds + ".");
        if (folds != null && unknownBelow != null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--folds and --unknown-below do not go together.");
        try (LoteModel model = LoteModel.load(modelFile)) {
            model.testTimeAugmentation(tta);
            if (model.multiLabel()) return multiLabel(model);
            int k = Math.min(topK, model.classes().size());
            Evaluation e = folds != null ? outOfFold(model, k) : labels == null ? model.evaluate(dataDir, batchSize, k, worst, threshold)
                    : labelled(model, k, threshold);
            if (folds == null && suspects > 0) warnIfTrainedOn(model);
            PrintStream out = System.out;
            Options.oneOf(format, "--format", "table", "json", "csv");
            if (json) format = "json";
            if (csv) format = "csv";
            if (format.equals("json")) out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(e));
            else if (format.equals("csv")) printCsv(e, out);
            else print(e, model.info().calibration(), out);
            if (format.equals("table") && suspects > 0) printSuspects(e, out);
        }
        return ExitCodes.OK;
    }

    /** A multi-label model: per-class precision, recall, F1 and AP at its thresholds, micro/macro F1 and mAP. */
    private int multiLabel(LoteModel model) throws Exception {
        if (folds != null || suspects > 0 || unknownBelow != null) throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "--folds, --suspects and --unknown-below are for a model that answers one class per image; " + modelFile + " is multi-label.");
        Options.oneOf(format, "--format", "table", "json");
        dev.lote.data.Dataset data = dataset(System.err);
        dev.lote.eval.LabelEvaluation e = model.evaluateLabels(data, batchSize);
        if (json || format.equals("json")) System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(e));
        else System.out.print(e.table());
        return ExitCodes.OK;
    }

    /** {@code --folds}: the model's recipe trains K models on DIR; each predicts its held-out fold. */
    private Evaluation outOfFold(LoteModel model, int k) throws Exception {
        if (model.recipe() == null) throw new IllegalArgumentException(modelFile + " has no training recipe (it was imported); "
                + "--folds trains new models by it.");
        dev.lote.data.Dataset data = dataset(System.err);
        if (!data.train().classes().equals(model.classes())) throw new IllegalArgumentException("The classes in " + dataDir + " "
                + data.train().classes() + " differ from the model's " + model.classes() + ".");
        System.err.printf("Out of fold: training %d models by %s's recipe (%s, %d epochs)%n", folds, modelFile, model.recipe().model(),
                model.recipe().epochs());
        return dev.lote.OutOfFold.evaluate(data, model.recipe(), folds, batchSize, k, worst, System.err);
    }

    /** DIR's images: labelled by {@code --labels} when given (its problems named on {@code warnings}), else by their class folders. */
    private dev.lote.data.Dataset dataset(PrintStream warnings) {
        return labels != null ? dev.lote.data.Dataset.withLabels(dataDir, labels, false, warnings) : dev.lote.data.Dataset.open(dataDir);
    }

    /** In-sample probabilities on training images are overconfident: say so once, with the way out. */
    private void warnIfTrainedOn(LoteModel model) {
        var t = model.info().training();
        if (t == null || t.trainFiles() == null) return;
        java.util.Set<String> trained = new java.util.HashSet<>(t.trainFiles());
        long overlap = (labels != null ? dev.lote.data.Dataset.withLabels(dataDir, labels, false, null).samples()
                : dev.lote.data.ImageFolder.scan(dataDir, model.classes()).samples()).stream()
                .filter(x -> trained.contains(x.file().toAbsolutePath().toString())).count();
        if (overlap > 0) System.err.printf("lote: note: %d of these images trained the model, so its probabilities on them are "
                + "overconfident and wrong labels among them are missed; --folds 5 gives out-of-fold ones%n", overlap);
    }

    private void printSuspects(Evaluation e, PrintStream out) {
        out.printf("%nSuspect labels (%d flagged%s; the least likely label first)%n", e.suspects().size(),
                folds != null ? ", out of fold" : "");
        for (Evaluation.Suspect x : e.suspects().subList(0, Math.min(suspects, e.suspects().size()))) {
            out.printf(Locale.ROOT, "  %s  labelled %s (%.3f), looks like %s (%.3f)%n", x.file(), x.givenClass(), x.givenProbability(),
                    x.likelyClass(), x.likelyProbability());
        }
    }

    /** The images {@code --labels} names: its test rows, else all. */
    private Evaluation labelled(LoteModel model, int k, double threshold) {
        dev.lote.data.Dataset data = dataset(System.err);
        System.err.println("Evaluating " + (data.test().isPresent() ? "the " + data.test().get().samples().size() + " test rows"
                : "all " + data.samples().size() + " rows") + " of " + labels);
        return model.evaluate(data, batchSize, k, worst, threshold);
    }

    private static void print(Evaluation e, dev.lote.io.ModelInfo.Calibration calibrated, PrintStream out) {
        out.printf(Locale.ROOT, "%d images: loss %.4f, accuracy %.4f, balanced accuracy %.4f, top-%d accuracy %.4f%n", e.images(), e.loss(),
                e.accuracy(), e.balancedAccuracy(), e.topK(), e.topKAccuracy());
        out.printf(Locale.ROOT, "Expected calibration error %.4f (15 bins%s)%n", e.calibrationError(), calibrated == null
                ? "; lote calibrate lowers it" : String.format(Locale.ROOT, "; calibrated at temperature %.3f", calibrated.temperature()));
        if (e.unknown() != null) out.printf(Locale.ROOT, "Below %.2f, \"unknown\": %d of %d images answered (%.1f %%), accuracy on those %.4f%n",
                e.unknown().threshold(), e.unknown().answered(), e.images(), 100 * e.unknown().coverage(), e.unknown().accuracy());
        int w = Math.max(5, e.classes().stream().mapToInt(String::length).max().orElse(5));
        out.printf(Locale.ROOT, "%n%-" + w + "s  precision  recall      f1  support%n", "class");
        for (Evaluation.ClassReport r : e.perClass()) {
            out.printf(Locale.ROOT, "%-" + w + "s  %9.4f  %6.4f  %6.4f  %7d%n", r.name(), r.precision(), r.recall(), r.f1(), r.support());
        }
        out.println("\nConfusion matrix (rows: true class, columns: predicted)");
        int cw = Math.max(4, w);
        StringBuilder head = new StringBuilder(String.format("%-" + w + "s", ""));
        for (String c : e.classes()) head.append(String.format(" %" + cw + "s", c.length() > cw ? c.substring(0, cw) : c));
        out.println(head);
        for (int i = 0; i < e.classes().size(); i++) {
            StringBuilder row = new StringBuilder(String.format("%-" + w + "s", e.classes().get(i)));
            for (int n : e.confusion()[i]) row.append(String.format(" %" + cw + "d", n));
            out.println(row);
        }
        if (!e.highestLoss().isEmpty()) {
            out.println("\nHighest loss");
            for (Evaluation.Mistake m : e.highestLoss()) {
                out.printf(Locale.ROOT, "  %s  true %s, predicted %s (%.3f), loss %.3f%n", m.file(), m.trueClass(), m.predictedClass(),
                        m.probability(), m.loss());
            }
        }
        if (!e.skipped().isEmpty()) {
            out.println("\nSkipped " + e.skipped().size() + " bad files:");
            e.skipped().forEach(s -> out.println("  " + s));
        }
    }

    private static void printCsv(Evaluation e, PrintStream out) {
        out.println("class,precision,recall,f1,support");
        for (Evaluation.ClassReport r : e.perClass()) {
            out.printf(Locale.ROOT, "%s,%.6f,%.6f,%.6f,%d%n", r.name(), r.precision(), r.recall(), r.f1(), r.support());
        }
    }
}
