package dev.lote.cli;

import dev.lote.LoteModel;
import dev.lote.data.ImageFolder;
import dev.lote.data.SkippedFiles;
import dev.lote.io.AtomicFile;
import dev.lote.predict.Embedder;
import dev.lote.weights.WeightCache;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Write one feature vector per image (for search, clustering, deduplication): a trained model's features "
                + "before its last layer, or a pretrained backbone's pooled features. Batched; memory stays flat.")
final class EmbedCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "A .lote model (or give --backbone).")
    Path modelFile;

    @Parameters(index = "1", arity = "0..1", paramLabel = "DIR", description = "Images: a folder (class folders or not).")
    Path dataDir;

    @Option(names = "--backbone", paramLabel = "NAME|FILE", description = "One of torchvision's architectures (ImageNet weights) or a model file with --cut.")
    String backbone;

    @Option(names = "--cut", paramLabel = "LAYER", description = "With --backbone FILE: the layer whose output is the features.")
    String cut;

    @Option(names = "--backbone-weights", paramLabel = "FILE", description = "The backbone's weights (.pth or .safetensors) instead of downloading them.")
    Path backboneWeights;

    @Option(names = {"-o", "--output"}, defaultValue = "embeddings.csv", description = "The CSV to write (default: ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--batch-size", defaultValue = "16", description = "Images per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override public Integer call() throws Exception {
        if (backbone != null && dataDir == null) { dataDir = modelFile; modelFile = null; } // lote embed --backbone NAME DIR
        if ((modelFile == null) == (backbone == null) || dataDir == null) throw new IllegalArgumentException(
                "Give a MODEL and a DIR, or --backbone NAME and a DIR.");
        Embedder embedder = embedder(modelFile, backbone, cut, backboneWeights);
        List<Path> files;
        List<String> classes = null;
        int[] labels;
        ImageFolder folder = null;
        try {
            folder = ImageFolder.scan(dataDir);
        } catch (RuntimeException notClassFolders) { /* a plain folder of images */ }
        if (folder != null && !folder.files().isEmpty()) {
            files = folder.files();
            labels = folder.labels();
            classes = folder.classes();
        } else {
            try (var s = Files.walk(dataDir)) {
                files = s.filter(p -> Files.isRegularFile(p) && ImageFolder.isImageName(p)).sorted().toList();
            }
            labels = null;
        }
        SkippedFiles skipped = new SkippedFiles(System.err);
        long start = System.nanoTime();
        int[] count = {0};
        List<String> names = classes;
        try (embedder) {
            AtomicFile.write(output, raw -> {
                BufferedWriter w = new BufferedWriter(new OutputStreamWriter(raw, StandardCharsets.UTF_8), 1 << 16);
                w.write("file,class");
                for (int i = 0; i < embedder.width(); i++) w.write(",f" + i);
                w.newLine();
                count[0] = embedder.embed(files, labels, batchSize, skipped, e -> {
                    w.write(PredictCommand.csv(e.file().toString()));
                    w.write(',');
                    w.write(names == null ? "" : PredictCommand.csv(names.get(e.label())));
                    for (float v : e.features()) w.write("," + v);
                    w.newLine();
                });
                w.flush();
            });
        }
        System.out.printf(Locale.ROOT, "Wrote %d embeddings of %d values to %s in %.1f s%n", count[0], embedder.width(), output, (System.nanoTime() - start) / 1e9);
        if (skipped.count() > 0) skipped.lines().forEach(l -> System.out.println("  skipped " + l));
        return ExitCodes.OK;
    }

    /** A pretrained backbone's pooled features ({@code backbone}, downloading its weights unless given), else a model file's. */
    static Embedder embedder(Path modelFile, String backbone, String cut, Path backboneWeights) throws Exception {
        if (backbone != null) {
            Options.requireCut(backbone, cut);
            return LoteModel.backbone(backbone, cut, backboneWeights, new WeightCache(WeightCache.defaultDir(), System.err)).embedder();
        }
        try (LoteModel m = LoteModel.load(modelFile)) {
            return m.embedder();
        }
    }
}
