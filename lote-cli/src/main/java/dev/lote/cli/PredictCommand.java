package dev.lote.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lote.LoteModel;
import dev.lote.data.ImageFolder;
import dev.lote.data.SkippedFiles;
import dev.lote.predict.Prediction;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Classify images (files, or folders searched recursively) with a model: top-k classes per image.")
final class PredictCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "A .lote model file.")
    Path modelFile;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "IMG|DIR", description = "Image files or folders.")
    List<Path> inputs;

    @Option(names = "--top-k", defaultValue = "3", description = "Classes shown per image (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--format", defaultValue = "table", paramLabel = "table|csv|json",
            description = "Output format (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--batch-size", defaultValue = "16", description = "Images per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--unknown-below", paramLabel = "P",
            description = "Answer 'unknown' for an image whose top probability is below P (0 to 1); see lote calibrate.")
    Double unknownBelow;

    @Option(names = "--tta", defaultValue = "1", paramLabel = "VIEWS",
            description = "Test-time augmentation: average the predictions of VIEWS views of each image (2: and its mirror; up to 7 "
                    + "with 90 %% crops of the centre and corners) (default: ${DEFAULT-VALUE}, off).")
    int tta;

    @Option(names = "--explain", paramLabel = "OUT.png|DIR",
            description = "Also draw what the model looked at (Grad-CAM for the predicted class over the image): one image to OUT.png, "
                    + "several to DIR/NAME.png.")
    Path explain;

    @Option(names = "--layer", paramLabel = "NAME", description = "With --explain: the layer to explain (default: the last one with an "
            + "image-shaped output; backbone/LAYER reaches inside a nested model).")
    String layer;

    @picocli.CommandLine.Mixin EngineFlags engine; // --threads, --precision

    @Override public Integer call() throws Exception {
        engine.start(spec);
        Options.oneOf(format, "--format", "table", "csv", "json");
        if (layer != null && explain == null) throw new IllegalArgumentException("--layer chooses what --explain draws; add --explain.");
        double threshold = Options.probability(spec, "--unknown-below", unknownBelow);
        boolean answers = !Double.isNaN(threshold);
        List<Path> files = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) files.addAll(imagesUnder(p));
            else files.add(p); // a missing or bad file gets its own error line below
        }
        if (files.isEmpty()) throw new IllegalArgumentException("No images in " + inputs + ".");
        PrintStream out = System.out;
        SkippedFiles bad = new SkippedFiles(null);
        List<Prediction> predictions;
        try (LoteModel model = LoteModel.load(modelFile)) {
            model.testTimeAugmentation(tta);
            predictions = model.predict(files, batchSize, bad);
            if (explain != null) explain(model, predictions);
        }
        switch (format) {
            case "json" -> {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (Prediction p : predictions) rows.add(p.json(topK, threshold));
                bad.asMap().forEach((f, why) -> rows.add(Map.of("file", f.toString(), "error", why)));
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
            }
            case "csv" -> {
                out.println("file,rank,class,probability" + (answers ? ",answer" : ""));
                for (Prediction p : predictions) {
                    int rank = 1;
                    String answer = answers ? "," + csv(p.answer(threshold)) : "";
                    for (Prediction.Ranked r : p.top(topK)) out.printf(Locale.ROOT, "%s,%d,%s,%.6f%s%n", csv(p.file()), rank++, csv(r.className()),
                            r.probability(), answer);
                }
            }
            default -> {
                for (Prediction p : predictions) {
                    StringBuilder s = new StringBuilder(p.file()).append("  ");
                    if (answers && p.best().probability() < threshold) s.append(" unknown, best:");
                    if (p.labels() != null) s.append(" labels: ").append(p.labels().isEmpty() ? "(none)" : String.join(", ", p.labels())).append(";");
                    for (Prediction.Ranked r : p.top(topK)) s.append(String.format(Locale.ROOT, " %s %.3f", r.className(), r.probability()));
                    out.println(s);
                }
            }
        }
        bad.lines().forEach(l -> System.err.println("lote: cannot classify " + l));
        return bad.count() == 0 ? ExitCodes.OK : ExitCodes.BAD_DATA;
    }

    /** Grad-CAM of each classified image, to {@code --explain} (a file for one image, a folder for several). */
    private void explain(LoteModel model, List<Prediction> predictions) throws Exception {
        boolean one = predictions.size() == 1 && !Files.isDirectory(explain);
        if (!one) Files.createDirectories(explain);
        for (Prediction p : predictions) {
            var e = model.explain(Path.of(p.file()), layer, null);
            String name = Path.of(p.file()).getFileName().toString();
            Path out = one ? explain : explain.resolve((name.lastIndexOf('.') > 0 ? name.substring(0, name.lastIndexOf('.')) : name) + ".png");
            e.png(out, 256);
            System.err.printf(Locale.ROOT, "lote: %s: what the model looked at for %s (%.3f), Grad-CAM at %s: %s%n", p.file(), e.className(),
                    e.probability(), e.layer(), out);
        }
    }

    /** Image files under {@code dir}, recursively, sorted; hidden ones left out. */
    static List<Path> imagesUnder(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> Files.isRegularFile(p) && ImageFolder.isImageName(p)
                    && !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
    }

    static String csv(String s) { return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s; }
}
