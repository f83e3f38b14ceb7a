package dev.lote.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How a model does on labelled images: loss, accuracy, top-k accuracy, balanced accuracy (the mean of the recalls of
 * the classes present: what accuracy would be if every class had as many images; scikit-learn's definition), per-class precision, recall, F1 and support,
 * the confusion matrix (rows: true class, columns: predicted), the files with the highest loss, the expected
 * calibration error, with a threshold how often the model answers "unknown" and how right it is otherwise, and the
 * images whose label looks wrong ({@link Suspect}).
 */
public record Evaluation(List<String> classes, int images, double loss, double accuracy, int topK, double topKAccuracy,
                         double balancedAccuracy, List<ClassReport> perClass, int[][] confusion, List<Mistake> highestLoss, List<String> skipped,
                         double calibrationError, Unknown unknown, List<Suspect> suspects) {

    /**
     * Answering "unknown" below a top probability of {@code threshold}: how many images got a class ({@code answered}),
     * the share that did ({@code coverage}) and the accuracy on those ({@code accuracy}; NaN when none did).
     */
    public record Unknown(double threshold, int answered, double coverage, double accuracy) {}

    public record ClassReport(String name, double precision, double recall, double f1, int support) {}

    /** A file the model found hard: its true and predicted class, and the probability given to the prediction. */
    public record Mistake(String file, String trueClass, String predictedClass, double probability, double loss) {}

    /**
     * An image whose given label the model doubts, by confident learning (Northcutt et al., as cleanlab's
     * {@code find_label_issues}): each class c has the threshold t_c, the mean probability of c over the images labelled c;
     * an image is a suspect when, of the classes whose probability reaches their threshold, the likeliest is not its label.
     * Suspects come least likely label first (cleanlab's self-confidence ranking). On images the model trained on, the
     * probabilities are overconfident and suspects are missed: use out-of-fold probabilities there.
     */
    public record Suspect(String file, String givenClass, String likelyClass, double givenProbability, double likelyProbability) {}

    /** At most this many suspects are kept, least likely label first. */
    public static final int MAX_SUSPECTS = 1000;

    /** One labelled prediction. */
    public record Sample(String file, int label, float[] probabilities) {}

    /** Keras clips probabilities to [1e-7, 1 − 1e-7] before the log; so does this loss. */
    private static final double EPSILON = 1e-7;

    public static Evaluation of(List<String> classes, List<Sample> samples, int topK, int worst, List<String> skipped) {
        return of(classes, samples, topK, worst, skipped, Double.NaN);
    }

    /** As above, with "unknown" answered below a top probability of {@code unknownBelow} (NaN: never). */
    public static Evaluation of(List<String> classes, List<Sample> samples, int topK, int worst, List<String> skipped, double unknownBelow) {
        int k = classes.size();
        int answered = 0, answeredRight = 0;
        int[][] confusion = new int[k][k];
        double lossSum = 0;
        int correct = 0, inTopK = 0;
        List<Mistake> all = new ArrayList<>();
        for (Sample s : samples) {
            int predicted = argmax(s.probabilities());
            confusion[s.label()][predicted]++;
            if (predicted == s.label()) correct++;
            if (!(s.probabilities()[predicted] < unknownBelow)) {
                answered++;
                if (predicted == s.label()) answeredRight++;
            }
            if (rank(s.probabilities(), s.label()) < topK) inTopK++;
            double p = Math.min(1 - EPSILON, Math.max(EPSILON, s.probabilities()[s.label()]));
            double loss = -Math.log(p);
            lossSum += loss;
            all.add(new Mistake(s.file(), classes.get(s.label()), classes.get(predicted), s.probabilities()[predicted], loss));
        }
        List<ClassReport> reports = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            int tp = confusion[c][c], support = 0, predictedAs = 0;
            for (int j = 0; j < k; j++) {
                support += confusion[c][j];
                predictedAs += confusion[j][c];
            }
            double precision = predictedAs == 0 ? 0 : tp / (double) predictedAs;
            double recall = support == 0 ? 0 : tp / (double) support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            reports.add(new ClassReport(classes.get(c), precision, recall, f1, support));
        }
        double balanced = reports.stream().filter(r -> r.support() > 0).mapToDouble(ClassReport::recall).average().orElse(Double.NaN);
        all.sort(Comparator.comparingDouble(Mistake::loss).reversed());
        int n = samples.size();
        return new Evaluation(classes, n, n == 0 ? Double.NaN : lossSum / n, n == 0 ? Double.NaN : correct / (double) n,
                topK, n == 0 ? Double.NaN : inTopK / (double) n, balanced, reports, confusion, all.subList(0, Math.min(worst, all.size())),
                skipped, Calibration.expectedCalibrationError(samples.stream().map(Sample::probabilities).toList(),
                        samples.stream().mapToInt(Sample::label).toArray(), 15),
                Double.isNaN(unknownBelow) ? null : new Unknown(unknownBelow, answered, n == 0 ? Double.NaN : answered / (double) n,
                        answered == 0 ? Double.NaN : answeredRight / (double) answered), suspects(classes, samples));
    }

    /** Confident learning's label issues ({@link Suspect}), least likely label first. */
    static List<Suspect> suspects(List<String> classes, List<Sample> samples) {
        int k = classes.size();
        double[] threshold = new double[k];
        int[] count = new int[k];
        for (Sample s : samples) {
            threshold[s.label()] += s.probabilities()[s.label()];
            count[s.label()]++;
        }
        for (int c = 0; c < k; c++) threshold[c] = count[c] == 0 ? Double.POSITIVE_INFINITY : threshold[c] / count[c];
        List<Suspect> out = new ArrayList<>();
        for (Sample s : samples) {
            int likely = -1;
            float[] p = s.probabilities();
            for (int c = 0; c < k; c++) if (p[c] >= threshold[c] && (likely < 0 || p[c] > p[likely])) likely = c;
            if (likely >= 0 && likely != s.label()) out.add(new Suspect(s.file(), classes.get(s.label()), classes.get(likely),
                    p[s.label()], p[likely]));
        }
        out.sort(Comparator.comparingDouble(Suspect::givenProbability));
        return List.copyOf(out.subList(0, Math.min(MAX_SUSPECTS, out.size())));
    }

    static int argmax(float[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
        return best;
    }

    /** How many classes score higher than {@code label} (0 = top-1). */
    static int rank(float[] p, int label) {
        int above = 0;
        for (int i = 0; i < p.length; i++) if (p[i] > p[label] || (p[i] == p[label] && i < label)) above++;
        return above;
    }
}
