package dev.lote.report;

import dev.lote.data.Dataset;
import dev.lote.data.LabelSets;
import dev.lote.eval.Evaluation;
import dev.lote.eval.LabelEvaluation;
import dev.lote.image.Decoder;
import dev.lote.io.AtomicFile;
import dev.lote.io.ModelInfo;
import dev.lote.nn.Summary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training report: one self-contained HTML file (inline SVG charts, thumbnails as data URIs, no scripts, no
 * fetches) with the learning curves, the confusion matrix as a heat map, the per-class table, the highest-loss
 * images, the model summary, the data and the run's settings.
 */
public final class Report {
    private Report() {}

    /** How many of the hardest images a report shows. */
    public static final int WORST = 12;

    /** {@code model.lote} → {@code model-report.html} beside it. */
    public static Path besideModel(Path model) {
        String name = model.getFileName().toString();
        String stem = name.endsWith(".lote") ? name.substring(0, name.length() - 5) : name;
        return model.resolveSibling(stem + "-report.html");
    }

    /**
     * The report of a model from its record, with {@code evaluation} (may be null) of the images {@code evaluatedOn}
     * names ("the images in DIR"); the hardest images are shown as thumbnails.
     */
    public static String build(ModelInfo info, Evaluation evaluation, String evaluatedOn) { return build(info, evaluation, evaluatedOn, Map.of()); }

    /** As above, showing the images in {@code explained} (file → PNG) instead of their thumbnails: what the model looked at. */
    public static String build(ModelInfo info, Evaluation evaluation, String evaluatedOn, Map<String, byte[]> explained) {
        Map<String, String> thumbnails = new LinkedHashMap<>();
        explained.forEach((f, png) -> thumbnails.put(f, "data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(png)));
        if (evaluation != null) {
            Decoder decoder = new Decoder();
            for (Evaluation.Mistake m : evaluation.highestLoss()) thumbnails.computeIfAbsent(m.file(), f -> Thumbnails.dataUri(decoder, Path.of(f), 120));
            for (Evaluation.Suspect x : suspects(evaluation)) thumbnails.computeIfAbsent(x.file(), f -> Thumbnails.dataUri(decoder, Path.of(f), 120));
        }
        return html(info, evaluation, evaluatedOn, thumbnails);
    }

    /** The suspects the page shows: the first {@link #WORST}. */
    private static List<Evaluation.Suspect> suspects(Evaluation e) { return e.suspects().subList(0, Math.min(WORST, e.suspects().size())); }

    /** A multi-label model's report, with {@code labels} (per-class thresholds, scores and precision-recall curves) of {@code evaluatedOn}. */
    public static String build(ModelInfo info, LabelEvaluation labels, String evaluatedOn) {
        return html(info, null, labels, evaluatedOn, Map.of());
    }

    /** The report from the model file alone: curves, model, data and settings, no evaluation. */
    public static String withoutEvaluation(ModelInfo info) { return html(info, null, null, Map.of()); }

    /** Writes {@code html} to {@code file} atomically. */
    public static void write(Path file, String html) throws IOException {
        byte[] bytes = html.getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, out -> out.write(bytes));
    }

    /** The page; {@code evaluation} may be null, {@code thumbnails} maps a file to its image (null when unreadable). */
    static String html(ModelInfo info, Evaluation evaluation, String evaluatedOn, Map<String, String> thumbnails) {
        return html(info, evaluation, null, evaluatedOn, thumbnails);
    }

    private static String html(ModelInfo info, Evaluation evaluation, LabelEvaluation labels, String evaluatedOn, Map<String, String> thumbnails) {
        ModelInfo.Training t = info.training();
        StringBuilder s = new StringBuilder(64 << 10);
        String title = "Lote report: " + info.classes().size() + " classes, " + (t == null ? "untrained" : t.epochsDone() + " epochs");
        s.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(Html.escape(title))
                .append("</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>").append(STYLE)
                .append("</style></head><body><h1>").append(Html.escape(title)).append("</h1>");
        s.append("<p class=\"meta\">Made ").append(Html.escape(info.created())).append(" by Lote ").append(Html.escape(info.loteVersion()))
                .append(" (libtorch ").append(Html.escape(info.libtorchVersion())).append(")").append(t == null ? ""
                        : " from " + Html.escape(t.data())).append(".</p>");
        headline(s, t, evaluation, evaluatedOn);
        if (labels != null) s.append("<p class=\"headline\">").append(metric("micro F1 on " + evaluatedOn, labels.microF1())).append(" · ")
                .append(metric("mAP", labels.meanAveragePrecision())).append("</p>");

        s.append("<h2>Learning curves</h2>");
        Map<String, List<Double>> h = t == null || t.history() == null ? Map.of() : t.history();
        if (h.isEmpty()) s.append("<p>No training history in this model file.</p>");
        else s.append("<div class=\"charts\">").append(Charts.curve("loss", h.get("loss"), h.get("val_loss"), true))
                .append(Charts.curve("accuracy", h.get("accuracy"), h.get("val_accuracy"), false)).append("</div>");

        s.append("<h2>Evaluation</h2>");
        if (labels != null) {
            labels(s, labels, evaluatedOn);
        } else if (evaluation == null) {
            s.append("<p>Not evaluated: the run kept no validation images, or they are gone. "
                    + "<code>lote report MODEL --data DIR</code> evaluates on a folder of labelled images.</p>");
        } else {
            evaluation(s, evaluation, evaluatedOn, thumbnails);
        }

        s.append("<h2>Model</h2><pre class=\"summary\">").append(Html.escape(Summary.of(info.architecture()))).append("</pre>");
        s.append("<p>Input ").append(info.preprocessing().height()).append("×").append(info.preprocessing().width())
                .append(" RGB, resized by <code>").append(Html.escape(info.preprocessing().resize())).append("</code>, pixels × ")
                .append(Html.escape(info.preprocessing().scale())).append(".</p>");

        if (t != null) {
            data(s, info.classes(), t);
            settings(s, info, t);
        }
        return s.append("</body></html>").toString();
    }

    private static void headline(StringBuilder s, ModelInfo.Training t, Evaluation e, String evaluatedOn) {
        List<String> facts = new ArrayList<>();
        if (t != null && t.history() != null && t.history().containsKey("accuracy")) {
            facts.add(metric("training accuracy", last(t.history().get("accuracy"))));
            if (t.history().containsKey("val_accuracy")) facts.add(metric("validation accuracy", last(t.history().get("val_accuracy"))));
        }
        if (e != null) facts.add(metric("accuracy on " + evaluatedOn, e.accuracy()));
        if (!facts.isEmpty()) s.append("<p class=\"headline\">").append(String.join(" · ", facts)).append("</p>");
    }

    private static String metric(String name, double v) {
        return Html.escape(name) + " <b>" + String.format(Locale.ROOT, "%.4f", v) + "</b>";
    }

    private static void evaluation(StringBuilder s, Evaluation e, String evaluatedOn, Map<String, String> thumbnails) {
        s.append(String.format(Locale.ROOT, "<p>On %s: loss %.4f, accuracy %.4f, balanced accuracy %.4f (the mean of the classes' recalls), "
                + "top-%d accuracy %.4f.</p>", Html.escape(evaluatedOn), e.loss(), e.accuracy(), e.balancedAccuracy(), e.topK(), e.topKAccuracy()));
        s.append("<h3>Confusion matrix</h3><p class=\"note\">Rows: true class; columns: predicted. Blue: right; red: wrong; "
                + "the shade is the share of the true class.</p>").append(Charts.heatMap(e.classes(), e.confusion()));
        s.append("<h3>Per class</h3><table class=\"classes\"><thead><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th>"
                + "<th>support</th></tr></thead><tbody>");
        for (Evaluation.ClassReport r : e.perClass()) {
            s.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%d</td></tr>",
                    Html.escape(r.name()), r.precision(), r.recall(), r.f1(), r.support()));
        }
        s.append("</tbody></table>");
        if (!e.highestLoss().isEmpty()) {
            s.append("<h3>Highest loss</h3>");
            if (thumbnails.values().stream().anyMatch(v -> v != null && v.startsWith("data:image/png"))) s.append("<p class=\"note\">"
                    + "Coloured over each image: what the model looked at for its prediction (Grad-CAM at its last convolutional layer; red: "
                    + "the strongest evidence).</p>");
            s.append("<div class=\"worst\">");
            for (Evaluation.Mistake m : e.highestLoss()) {
                String img = thumbnails.get(m.file());
                boolean right = m.trueClass().equals(m.predictedClass());
                s.append("<figure class=\"").append(right ? "right" : "wrong").append("\">");
                s.append(img == null ? "<div class=\"missing\">unreadable</div>" : "<img alt=\"\" src=\"" + img + "\">");
                s.append(String.format(Locale.ROOT, "<figcaption><b>true</b> %s<br><b>predicted</b> %s (%.2f)<br>loss %.2f<br>"
                        + "<span class=\"path\" title=\"%s\">%s</span></figcaption></figure>", Html.escape(m.trueClass()),
                        Html.escape(m.predictedClass()), m.probability(), m.loss(), Html.escape(m.file()),
                        Html.escape(Path.of(m.file()).getFileName().toString())));
            }
            s.append("</div>");
        }
        if (!suspects(e).isEmpty()) {
            s.append("<h3>Suspect labels</h3><p class=\"note\">").append(e.suspects().size()).append(" image(s) whose label the model "
                    + "doubts (confident learning: another class is at least as likely as that class usually is); the least likely "
                    + "label first. Check them and move the wrong ones.</p><div class=\"worst\">");
            for (Evaluation.Suspect x : suspects(e)) {
                String img = thumbnails.get(x.file());
                s.append("<figure class=\"wrong\">").append(img == null ? "<div class=\"missing\">unreadable</div>" : "<img alt=\"\" src=\"" + img + "\">");
                s.append(String.format(Locale.ROOT, "<figcaption><b>labelled</b> %s (%.2f)<br><b>looks like</b> %s (%.2f)<br>"
                        + "<span class=\"path\" title=\"%s\">%s</span></figcaption></figure>", Html.escape(x.givenClass()), x.givenProbability(),
                        Html.escape(x.likelyClass()), x.likelyProbability(), Html.escape(x.file()), Html.escape(Path.of(x.file()).getFileName().toString())));
            }
            s.append("</div>");
        }
        if (!e.skipped().isEmpty()) {
            s.append("<p>Skipped ").append(e.skipped().size()).append(" unreadable files:</p><ul>");
            e.skipped().forEach(f -> s.append("<li>").append(Html.escape(f)).append("</li>"));
            s.append("</ul>");
        }
    }

    private static void labels(StringBuilder s, LabelEvaluation e, String evaluatedOn) {
        s.append(String.format(Locale.ROOT, "<p>On %s (%d images), each class answered from its own threshold: micro F1 %.4f (precision %.4f, "
                + "recall %.4f), macro F1 %.4f, mean average precision %.4f, every class right on %.4f of the images.</p>",
                Html.escape(evaluatedOn), e.images(), e.microF1(), e.microPrecision(), e.microRecall(), e.macroF1(), e.meanAveragePrecision(), e.exactMatch()));
        s.append("<h3>Per class</h3><table class=\"classes\"><thead><tr><th>class</th><th>threshold</th><th>precision</th><th>recall</th>"
                + "<th>F1</th><th>AP</th><th>support</th></tr></thead><tbody>");
        for (LabelEvaluation.PerClass c : e.classes()) s.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.3f</td><td>%.4f</td><td>%.4f</td>"
                + "<td>%.4f</td><td>%.4f</td><td>%d</td></tr>", Html.escape(c.name()), c.threshold(), c.precision(), c.recall(), c.f1(),
                c.averagePrecision(), c.support()));
        s.append("</tbody></table><h3>Precision against recall</h3><p class=\"note\">One curve per class as its threshold falls; "
                + "the dot is the threshold the model answers from.</p><div class=\"charts\">");
        for (LabelEvaluation.PerClass c : e.classes()) s.append(Charts.precisionRecall(c.name(), c.curve(), c.recall(), c.precision()));
        s.append("</div>");
    }

    private static void data(StringBuilder s, List<String> classes, ModelInfo.Training t) {
        Map<String, int[]> counts = new LinkedHashMap<>();
        for (String c : classes) counts.put(c, new int[2]);
        Map<Path, String> labelled = labelled(t);
        count(counts, t.trainFiles(), 0, labelled);
        count(counts, t.validationFiles(), 1, labelled);
        s.append("<h2>Data</h2><table class=\"data\"><thead><tr><th>class</th><th>training</th><th>validation</th></tr></thead><tbody>");
        int train = 0, val = 0;
        for (var c : counts.entrySet()) {
            s.append("<tr><td>").append(Html.escape(c.getKey())).append("</td><td>").append(c.getValue()[0]).append("</td><td>")
                    .append(c.getValue()[1]).append("</td></tr>");
            train += c.getValue()[0];
            val += c.getValue()[1];
        }
        s.append("<tr class=\"total\"><td>total</td><td>").append(train).append("</td><td>").append(val).append("</td></tr></tbody></table>");
        Map<String, String> skipped = t.skippedFiles() == null ? Map.of() : t.skippedFiles();
        if (skipped.isEmpty()) s.append("<p>No file was skipped.</p>");
        else {
            s.append("<p>").append(skipped.size()).append(" bad file").append(skipped.size() == 1 ? " was" : "s were")
                    .append(" skipped:</p><ul class=\"skipped\">");
            skipped.forEach((f, why) -> s.append("<li><code>").append(Html.escape(f)).append("</code>: ").append(Html.escape(why)).append("</li>"));
            s.append("</ul>");
        }
    }

    /** A run trained with a labels file: each file's labels by that file (a set {@code a;b} counts for each), if it is still there; else null. */
    private static Map<Path, String> labelled(ModelInfo.Training t) {
        if (t.labels() == null || t.data() == null || !java.nio.file.Files.isRegularFile(Path.of(t.labels()))) return null;
        try {
            return Dataset.withLabels(Path.of(t.data()), Path.of(t.labels()), false, null).classesByFile();
        } catch (RuntimeException unreadable) {
            return null;
        }
    }

    private static void count(Map<String, int[]> counts, List<String> files, int column, Map<Path, String> labelled) {
        if (files == null) return;
        for (String f : files) {
            Path parent = Path.of(f).getParent();
            String set = labelled != null ? labelled.get(Path.of(f).toAbsolutePath().normalize()) : parent == null ? null : parent.getFileName().toString();
            for (String label : set == null ? List.<String>of() : labelled != null ? LabelSets.labels(set) : List.of(set)) {
                int[] c = counts.get(label);
                if (c != null) c[column]++;
            }
        }
    }

    private static void settings(StringBuilder s, ModelInfo info, ModelInfo.Training t) {
        Map<String, String> rows = new LinkedHashMap<>();
        rows.put("data", t.data());
        rows.put("data fingerprint", t.dataFingerprint());
        rows.put("seed", Long.toString(t.seed()));
        rows.put("batch size", Integer.toString(t.batchSize()));
        rows.put("epochs", t.epochsDone() + " of " + t.epochsPlanned() + " planned");
        if (info.optimizer() != null) rows.put("optimizer", info.optimizer().toString());
        rows.put("optimizer steps", Long.toString(info.optimizerSteps()));
        if (t.recipe() != null) t.recipe().describe().forEach(rows::put);
        if (t.environment() != null) t.environment().forEach((k, v) -> rows.put("ran on: " + k, v));
        s.append("<h2>Settings</h2><table class=\"settings\"><tbody>");
        rows.forEach((k, v) -> s.append("<tr><th>").append(Html.escape(k)).append("</th><td><code>").append(Html.escape(v)).append("</code></td></tr>"));
        s.append("</tbody></table>");
    }

    private static double last(List<Double> values) { return values == null || values.isEmpty() ? Double.NaN : values.get(values.size() - 1); }

    private static final String STYLE = """
            body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1040px;padding:0 16px;color:#222}
            h1{font-size:24px;margin-bottom:4px}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
            .meta,.note{color:#666}.headline{font-size:17px}
            .charts{display:flex;flex-wrap:wrap;gap:16px}
            svg text{font-size:11px;fill:#333}svg .title{font-size:13px;font-weight:600}svg .axis{fill:#666}
            svg .plot{fill:#fafafa;stroke:#ccc}svg .grid{stroke:#e6e6e6}svg .best{stroke:#2ca02c;stroke-dasharray:2 3}
            svg .count{font-size:11px}
            table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
            td:first-child,th:first-child{text-align:left}.settings th{text-align:left;font-weight:500;color:#555}
            .settings td{text-align:left}tr.total td{font-weight:600}
            pre.summary{background:#f6f6f6;padding:10px;overflow:auto;font-size:12px}
            .worst{display:flex;flex-wrap:wrap;gap:12px}
            figure{margin:0;width:140px;font-size:12px}figure img{max-width:140px;max-height:120px;display:block;border:3px solid #d62728}
            figure.right img{border-color:#1f77b4}.path{color:#777;word-break:break-all}
            .missing{width:120px;height:90px;background:#eee;color:#999;display:flex;align-items:center;justify-content:center}
            """;
}
