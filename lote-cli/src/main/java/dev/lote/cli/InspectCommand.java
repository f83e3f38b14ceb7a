package dev.lote.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lote.data.Dataset;
import dev.lote.data.Duplicates;
import dev.lote.data.ImageFolder;
import dev.lote.data.SkippedFiles;
import dev.lote.predict.Embedder;
import dev.lote.torch.Engine;
import dev.lote.data.Inspection;
import dev.lote.image.Decoder;
import dev.lote.image.Limits;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Check a folder of class folders (or DIR/train, DIR/val, DIR/test, or --labels) before training: counts, "
                + "sizes, formats, bad files, identical files (and with --duplicates near-duplicates), naming copies that cross "
                + "classes or parts. Exit code 0 when clean, 1 when there are bad files or duplicates.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Folder with one sub-folder of images per class.")
    Path dataDir;

    @Option(names = "--format", defaultValue = "table", paramLabel = "table|json",
            description = "A readable report or JSON (default: ${DEFAULT-VALUE}), as evaluate and predict.")
    String format;

    @Option(names = "--json", hidden = true, description = "Same as --format json.")
    boolean json;

    @Option(names = "--workers", defaultValue = "0", description = "Threads; 0 = cores (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--max-pixels", defaultValue = "100000000", paramLabel = "N",
            description = "Images whose header declares more pixels are bad (default: ${DEFAULT-VALUE}).")
    long maxPixels;

    @Option(names = "--labels", paramLabel = "FILE", description = "Labels from FILE instead of class folders (as train's --labels).")
    Path labels;

    @Option(names = "--duplicates", description = "Also find near-duplicates (resized, re-encoded, slightly cropped copies): images "
            + "whose features have a cosine similarity of at least --similarity.")
    boolean duplicates;

    @Option(names = "--similarity", paramLabel = "S", description = "With --duplicates: the cosine similarity from which two images count as "
            + "copies (default: 0.988 for the images' colours, 0.97 for a model's or backbone's features).")
    Double similarity;

    @Option(names = "--model", paramLabel = "FILE",
            description = "With --duplicates: compare a trained model's features (default: the images' 32x32 colours, whole and centre crops; no model needed).")
    Path model;

    @Option(names = "--backbone", paramLabel = "NAME|FILE", description = "With --duplicates: compare a pretrained backbone's pooled features.")
    String backbone;

    @Option(names = "--cut", paramLabel = "LAYER", description = "With --backbone FILE: the layer whose output is the features.")
    String cut;

    @Option(names = "--backbone-weights", paramLabel = "FILE", description = "The backbone's weights (.pth or .safetensors) instead of downloading them.")
    Path backboneWeights;

    @Override public Integer call() throws Exception {
        Options.oneOf(format, "--format", "table", "json");
        if (json) format = "json";
        if (similarity == null) similarity = model == null && backbone == null ? Duplicates.PIXEL_SIMILARITY : 0.97;
        if (!(similarity > 0 && similarity <= 1)) throw new IllegalArgumentException("--similarity must be in (0, 1], got " + similarity + ".");
        if (model != null && backbone != null) throw new IllegalArgumentException("Give --model or --backbone, not both.");
        if ((model != null || backbone != null) && !duplicates) throw new IllegalArgumentException("--model and --backbone choose the "
                + "features --duplicates compares; add --duplicates.");
        Dataset data = labels != null ? Dataset.withLabels(dataDir, labels, false, System.err) : Dataset.open(dataDir);
        Map<Path, Duplicates.Place> where = places(data);
        ImageFolder folder = ImageFolder.of(data.root(), data.train().classes(), data.samples());
        int threads = workers > 0 ? workers : Runtime.getRuntime().availableProcessors();
        Decoder decoder = new Decoder(new Limits(maxPixels, Limits.DEFAULT.maxFileBytes()));
        Inspection r = Inspection.of(folder, decoder, threads);
        List<Duplicates.Group> near = duplicates ? near(folder.files(), r, decoder, threads) : List.of();
        PrintStream out = System.out;
        if (format.equals("json")) {
            Map<String, Object> all = new java.util.LinkedHashMap<>(new ObjectMapper().convertValue(r, Map.class));
            if (duplicates) all.put("nearDuplicates", near.stream().map(g -> Map.of("files", g.files().stream().map(Path::toString).toList(),
                    "similarity", g.similarity(), "crosses", Duplicates.crosses(g, where))).toList());
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(all));
        } else {
            out.println(folder.describe());
            out.println("Sizes (HxW): " + counts(r.sizes()));
            out.println("Formats: " + counts(r.formats()));
            if (r.imbalanceWarning() != null) out.println("Warning: " + r.imbalanceWarning());
            if (!r.badFiles().isEmpty()) {
                out.println("Bad files (" + r.badFiles().size() + "):");
                r.badFiles().forEach((f, why) -> out.println("  " + f + ": " + why));
            }
            if (!r.notes().isEmpty()) {
                out.println("Notes (" + r.notes().size() + " files decode and train, but a decoder has remarks; colours or a few blocks may be off):");
                r.notes().forEach((f, n) -> out.println("  " + f + ": " + String.join("; ", n)));
            }
            if (!r.duplicates().isEmpty()) {
                out.println("Identical files (" + r.duplicates().size() + " groups):");
                r.duplicates().forEach(g -> out.println("  " + String.join(" = ", g) + flags(new Duplicates.Group(g.stream().map(Path::of).toList(), 1), where)));
            }
            if (duplicates) {
                out.printf(Locale.ROOT, "Near-duplicates (%d groups; cosine similarity of %s at least %s):%n", near.size(),
                        model != null ? model + "'s features" : backbone != null ? backbone + "'s features" : "32x32 colours (whole, centre 90 % and 80 %)", similarity);
                near.forEach(g -> out.printf(Locale.ROOT, "  %s (%.3f)%s%n", String.join(" ~ ", g.files().stream().map(Path::toString).toList()),
                        g.similarity(), flags(g, where)));
            }
            out.println(r.clean() && near.isEmpty() ? "Clean: every image decodes and none repeats." : "Problems found: see above.");
        }
        return r.clean() && near.isEmpty() ? ExitCodes.OK : ExitCodes.FAILURE;
    }

    private static String flags(Duplicates.Group g, Map<Path, Duplicates.Place> where) {
        String crosses = Duplicates.crosses(g, where);
        return crosses.isEmpty() ? "" : "  [" + crosses + "]";
    }

    /** Each image's class and part: train, val or test (a val/ or test/ folder, or the labels file's split column). */
    private static Map<Path, Duplicates.Place> places(Dataset d) {
        Map<Path, Duplicates.Place> where = new java.util.HashMap<>();
        List<String> classes = d.train().classes();
        d.train().samples().forEach(s -> where.put(s.file(), new Duplicates.Place(classes.get(s.label()), "train")));
        d.validation().ifPresent(v -> v.samples().forEach(s -> where.put(s.file(), new Duplicates.Place(classes.get(s.label()), "val"))));
        d.test().ifPresent(t -> t.samples().forEach(s -> where.put(s.file(), new Duplicates.Place(classes.get(s.label()), "test"))));
        return where;
    }

    /** Near-duplicate groups that are not already identical files: by colours, or a model's or backbone's features. */
    private List<Duplicates.Group> near(List<Path> files, Inspection r, Decoder decoder, int threads) throws Exception {
        List<Path> readable = files.stream().filter(f -> !r.badFiles().containsKey(f.toString())).toList();
        List<float[][]> views;
        if (model == null && backbone == null) {
            views = Duplicates.pixelVectors(readable, decoder, threads, null);
        } else {
            Engine.start(threads);
            Embedder embedder = EmbedCommand.embedder(model, backbone, cut, backboneWeights);
            Map<Path, float[]> byFile = new java.util.HashMap<>();
            try (embedder) {
                embedder.embed(readable, null, 16, new SkippedFiles(null), e -> byFile.put(e.file(), e.features()));
            }
            views = readable.stream().map(f -> byFile.containsKey(f) ? new float[][] {byFile.get(f)} : null).toList();
        }
        java.util.Set<java.util.Set<String>> identical = new java.util.HashSet<>();
        r.duplicates().forEach(g -> identical.add(java.util.Set.copyOf(g)));
        return Duplicates.near(readable, views, similarity).stream()
                .filter(g -> !identical.contains(java.util.Set.copyOf(g.files().stream().map(Path::toString).toList()))).toList();
    }

    private static String counts(Map<String, Integer> m) {
        StringBuilder s = new StringBuilder();
        m.forEach((k, v) -> s.append(s.length() == 0 ? "" : ", ").append(k).append(" (").append(v).append(')'));
        return s.length() == 0 ? "none readable" : s.toString();
    }
}
