package dev.lote.cli;

import dev.lote.LoteModel;
import dev.lote.data.Batch;
import dev.lote.data.BatchSequence;
import dev.lote.data.ImageFolder;
import dev.lote.data.Loader;
import dev.lote.data.SkippedFiles;
import dev.lote.image.Decoder;
import dev.lote.image.Resize;
import dev.lote.io.AtomicFile;
import dev.lote.nn.Model;
import dev.lote.torch.Engine;
import dev.lote.torch.Network;
import dev.lote.transfer.Backbone;
import dev.lote.weights.WeightCache;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
        Engine.start(0);
        Model features;
        Map<String, float[]> weights;
        double scale;
        Resize policy;
        if (backbone != null) {
            Options.requireCut(backbone, cut);
            Backbone bb = LoteModel.backbone(backbone, cut, backboneWeights, new WeightCache(WeightCache.defaultDir(), System.err));
            Model classifier = bb.classifier(1, 0, null, null);
            features = Backbone.pooled(classifier);
            weights = bb.weightsIn(classifier);
            scale = bb.pixelScale();
            policy = Resize.CROP;
        } else {
            try (LoteModel m = LoteModel.load(modelFile)) {
                Model arch = m.architecture();
                Model.Call last = arch.calls().get(arch.outputIndex());
                features = arch.upTo(arch.calls().get(last.inputs().get(0)).layer().name()); // what the last layer reads
                weights = m.weights();
                scale = m.info().preprocessing().pixelScale();
                policy = Resize.parse(m.info().preprocessing().resize());
            }
        }
        weights.keySet().retainAll(features.weightsByPath().keySet());
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
            labels = new int[files.size()];
        }
        SkippedFiles skipped = new SkippedFiles(System.err);
        BatchSequence seq = new BatchSequence(files, labels, batchSize, features.inputShape()).keepLast(true)
                .source(BatchSequence.decoding(new Decoder(), features.inputShape(), policy)).skipBadFiles(skipped);
        long start = System.nanoTime();
        int[] count = {0}, width = {0};
        List<String> names = classes;
        try (Network net = Network.build(features, 0).pixels(scale, 0)) {
            net.setWeightValues(weights);
            AtomicFile.write(output, raw -> {
                BufferedWriter w = new BufferedWriter(new OutputStreamWriter(raw, StandardCharsets.UTF_8), 1 << 16);
                try (Loader loader = new Loader(seq, Runtime.getRuntime().availableProcessors(), 2)) {
                    while (loader.hasNext()) {
                        Batch b = loader.next();
                        if (b.size() == 0) continue;
                        float[][] rows = net.outputs(b);
                        if (count[0] == 0) {
                            width[0] = rows[0].length;
                            w.write("file,class");
                            for (int i = 0; i < width[0]; i++) w.write(",f" + i);
                            w.newLine();
                        }
                        for (int i = 0; i < rows.length; i++) {
                            w.write(PredictCommand.csv(b.files().get(i).toString()));
                            w.write(',');
                            w.write(names == null ? "" : PredictCommand.csv(names.get(b.labels()[i])));
                            for (float v : rows[i]) w.write("," + v);
                            w.newLine();
                        }
                        count[0] += rows.length;
                    }
                }
                w.flush();
            });
        }
        System.out.printf(Locale.ROOT, "Wrote %d embeddings of %d values to %s in %.1f s%n", count[0], width[0], output, (System.nanoTime() - start) / 1e9);
        if (skipped.count() > 0) skipped.lines().forEach(l -> System.out.println("  skipped " + l));
        return ExitCodes.OK;
    }
}
