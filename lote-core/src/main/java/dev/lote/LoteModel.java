package dev.lote;

import dev.lote.data.BatchSequence;
import dev.lote.data.Dataset;
import dev.lote.data.ImageFolder;
import dev.lote.data.SkippedFiles;
import dev.lote.data.Split;
import dev.lote.eval.Evaluation;
import dev.lote.eval.LabelEvaluation;
import dev.lote.image.BadImageException;
import dev.lote.image.Decoder;
import dev.lote.image.Resize;
import dev.lote.io.ModelFile;
import dev.lote.io.ModelFileException;
import dev.lote.io.ModelInfo;
import dev.lote.keras.KerasExport;
import dev.lote.keras.KerasImport;
import dev.lote.nn.Model;
import dev.lote.onnx.Int8Export;
import dev.lote.onnx.OnnxExport;
import dev.lote.nn.Shape;
import dev.lote.predict.Classifier;
import dev.lote.report.Report;
import dev.lote.predict.Embedder;
import dev.lote.predict.Explanation;
import dev.lote.predict.Prediction;
import dev.lote.torch.Engine;
import dev.lote.torch.Network;
import dev.lote.train.Callback;
import dev.lote.train.History;
import dev.lote.train.Recipe;
import dev.lote.transfer.Backbone;
import dev.lote.weights.WeightCache;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained (or training) classifier with its classes and preprocessing: the Java API's front door.
 * {@code try (LoteModel m = LoteModel.load(Path.of("model.lote"))) { m.predict(Path.of("cat.jpg")).top(3); }}
 */
public final class LoteModel implements AutoCloseable {
    private final Network network;
    private ModelInfo info;
    private Classifier classifier;

    private LoteModel(Network network, ModelInfo info) {
        this.network = network;
        this.info = info;
    }

    /** A new, untrained model: weights initialised from {@code seed}. */
    public static LoteModel create(Model architecture, List<String> classes, Resize resize, long seed) {
        if (classes.size() != architecture.classes()) throw new IllegalArgumentException(classes.size() + " class names for a model with "
                + architecture.classes() + " outputs.");
        Engine.start(0);
        var in = architecture.inputShape();
        ModelInfo info = new ModelInfo(ModelFile.FORMAT, ModelFile.VERSION, version(), Engine.version(), Instant.now().toString(),
                List.copyOf(classes), new ModelInfo.Preprocessing(in.height(), in.width(), resize.label(), "1/255"),
                architecture, new dev.lote.nn.Adam(), 0, null, null, null);
        return new LoteModel(Network.build(architecture, seed), info);
    }

    /**
     * Imports a Keras model ({@code .keras}, {@code .h5}, or a TensorFlow.js folder or {@code model.json}) with its
     * weights: it then trains, evaluates, predicts and saves like any other. {@code classes} may be null ("0", "1", …);
     * {@code input} fills an input size the file leaves open (else null). Pixels reach the model as 0–255 when it
     * begins with its own Rescaling or Normalization, else ÷ 255 (as Teachable Machine and nsfwjs expect, say).
     */
    public static LoteModel importKeras(Path file, List<String> classes, Shape input) throws ModelFileException {
        KerasImport.Imported k = KerasImport.read(file, input);
        Model m = k.model();
        int n = m.classes();
        List<String> names = classes;
        if (names == null) {
            names = new ArrayList<>();
            for (int i = 0; i < n; i++) names.add(Integer.toString(i));
        }
        if (names.size() != n) throw new IllegalArgumentException(names.size() + " class names for a model with " + n + " outputs ("
                + file + ").");
        Engine.start(0);
        Shape in = m.inputShape();
        String scale = rescalesItself(m) ? "1" : "1/255";
        ModelInfo info = new ModelInfo(ModelFile.FORMAT, ModelFile.VERSION, version(), Engine.version(), Instant.now().toString(),
                List.copyOf(names), new ModelInfo.Preprocessing(in.height(), in.width(), Resize.STRETCH.label(), scale),
                m, new dev.lote.nn.Adam(), 0, null, null, null);
        Network net = Network.build(m, 0).pixels(info.preprocessing().pixelScale(), 0);
        try {
            net.setWeightValues(k.weights());
        } catch (IllegalArgumentException e) {
            net.close();
            throw new ModelFileException(file, e.getMessage());
        }
        return new LoteModel(net, info);
    }

    /**
     * How pixels reach the model: {@code "unit"} (÷ 255, 0…1), {@code "raw"} (0…255) or {@code "symmetric"} (−1…1, as
     * Keras' MobileNet and Teachable Machine expect when the model has no Rescaling layer of its own).
     */
    public LoteModel pixels(String mode) {
        var p = info.preprocessing();
        var q = switch (mode) {
            case "unit" -> new ModelInfo.Preprocessing(p.height(), p.width(), p.resize(), "1/255");
            case "raw" -> new ModelInfo.Preprocessing(p.height(), p.width(), p.resize(), "1");
            case "symmetric" -> new ModelInfo.Preprocessing(p.height(), p.width(), p.resize(), "1/127.5", -1.0);
            default -> throw new IllegalArgumentException("Unknown pixel range '" + mode + "'. Expected unit, raw or symmetric.");
        };
        info = withInfo(q);
        network.pixels(q.pixelScale(), q.pixelOffset());
        return this;
    }

    /** Writes the model as a Keras 3 {@code .keras} file (architecture and weights; Keras loads it). */
    public void exportKeras(Path file) throws IOException { KerasExport.write(architecture(), network.weightValues(), file); }

    /**
     * A new training run that starts from a model's weights: a {@code .lote} file or anything {@link #importKeras}
     * reads. Its architecture, input size and pixel range are kept; Adam starts afresh. The model must already give one
     * output per class of the data (BatchNormalization trains; frozen layers stay frozen).
     */
    /**
     * Opens any model file Lote reads, the one place that decides which kind it is: a {@code .lote} file (weights,
     * record and optimizer state), else a Keras ({@code .keras}, {@code .h5}) or TensorFlow.js model, imported with
     * the classes and input size it declares.
     */
    public static LoteModel open(Path file) throws ModelFileException {
        return isLoteFile(file.toString()) ? load(file) : importKeras(file, null, null);
    }

    /** The architecture alone of a model file {@link #open} reads (no engine started): for summaries. */
    public static Model architecture(Path file) throws ModelFileException {
        return isLoteFile(file.toString()) ? ModelFile.load(file).architecture() : KerasImport.read(file, null).model();
    }

    /** Whether {@code nameOrPath} is a model file {@link #open} reads (not a preset's name or a .json architecture spec). */
    public static boolean isModelFile(String nameOrPath) {
        String m = nameOrPath.toLowerCase(java.util.Locale.ROOT);
        return isLoteFile(m) || m.endsWith(".keras") || m.endsWith(".h5") || m.endsWith("model.json") || m.endsWith(".js")
                || (!m.endsWith(".json") && java.nio.file.Files.isDirectory(Path.of(nameOrPath)));
    }

    private static boolean isLoteFile(String path) { return path.toLowerCase(java.util.Locale.ROOT).endsWith(".lote"); }

    public static LoteModel startFrom(Path file, List<String> classes, Resize resize, long seed) throws ModelFileException {
        try (LoteModel source = open(file)) {
            Model arch = source.architecture();
            if (arch.classes() != classes.size()) throw new IllegalArgumentException(file + " gives " + arch.classes()
                    + " outputs but the data has " + classes.size() + " classes; start from a model with one output per class.");
            LoteModel m = create(arch, classes, resize, seed);
            var p = source.info().preprocessing();
            m.info = m.withInfo(new ModelInfo.Preprocessing(p.height(), p.width(), resize.label(), p.scale(), p.offset()));
            m.network.pixels(p.pixelScale(), p.pixelOffset()).setWeightValues(source.network.weightValues());
            return m;
        }
    }

    /** Keeps {@code training} as the model's record (what {@link #save(Path)} writes). */
    void record(ModelInfo.Training training) {
        boolean stale = info.calibration() != null;
        info = withInfo(info.preprocessing(), training).withCalibration(null); // a temperature fitted before training no longer fits
        if (stale) resetClassifier();
    }

    /**
     * Fits temperature scaling on labelled images the model did not train on ({@code labels} index {@link #classes()}),
     * and keeps it: predictions, evaluations, the server and exports then give softmax(logits / T). {@code data} names
     * the images in the record. Refits from the uncalibrated model when it has a temperature already.
     */
    public ModelInfo.Calibration calibrate(List<Path> files, int[] labels, int batchSize, String data) {
        dev.lote.nn.Activation out = architecture().activation();
        if (out != dev.lote.nn.Activation.SOFTMAX && out != dev.lote.nn.Activation.LINEAR) throw new IllegalArgumentException(
                "Temperature scaling needs softmax outputs (or logits); this model's output is " + out.name().toLowerCase(java.util.Locale.ROOT) + ".");
        SkippedFiles skipped = new SkippedFiles(null);
        List<float[]> p = new ArrayList<>();
        List<Integer> y = new ArrayList<>();
        try (Classifier raw = Classifier.over(network, info.withCalibration(null), dev.lote.image.Limits.DEFAULT, 16, 64)) {
            for (Classifier.Result r : raw.classify(files, labels, batchSize, cores(), skipped)) {
                p.add(r.probabilities());
                y.add(r.label());
            }
        }
        if (p.isEmpty()) throw new IllegalArgumentException("No readable images to calibrate on" + (skipped.count() > 0
                ? " (" + skipped.count() + " bad: " + skipped.lines().get(0) + ")" : "") + ".");
        int[] labelsRead = y.stream().mapToInt(Integer::intValue).toArray();
        double t = dev.lote.eval.Calibration.fitTemperature(p, labelsRead);
        List<float[]> scaled = p.stream().map(v -> dev.lote.eval.Calibration.scale(v, t)).toList();
        var c = new ModelInfo.Calibration(t, p.size(), data,
                dev.lote.eval.Calibration.expectedCalibrationError(p, labelsRead, 15), dev.lote.eval.Calibration.expectedCalibrationError(scaled, labelsRead, 15),
                dev.lote.eval.Calibration.nll(p, labelsRead, 1), dev.lote.eval.Calibration.nll(p, labelsRead, t));
        info = info.withCalibration(c);
        resetClassifier();
        return c;
    }

    /** {@link #calibrate(List, int[], int, String)} on a folder with the model's class folders. */
    public ModelInfo.Calibration calibrate(Path folder, int batchSize) {
        ImageFolder data = ImageFolder.scan(folder, classes());
        return calibrate(Split.files(data.samples()), Split.labels(data.samples()), batchSize, folder.toAbsolutePath().toString());
    }

    private synchronized void resetClassifier() {
        if (classifier != null) classifier.close();
        classifier = null;
    }

    private ModelInfo withInfo(ModelInfo.Preprocessing q) { return withInfo(q, info.training()); }

    private ModelInfo withInfo(ModelInfo.Preprocessing q, ModelInfo.Training training) {
        return new ModelInfo(info.format(), info.formatVersion(), info.loteVersion(), info.libtorchVersion(), info.created(), info.classes(),
                q, info.architecture(), info.optimizer(), info.optimizerSteps(), training, info.calibration(), info.thresholds());
    }

    /**
     * Writes the model as ONNX (opset 17, dynamic batch) with its preprocessing inside: the graph takes pixels as
     * they are (uint8, or float 0–255, NHWC or NCHW) at the model's input size and gives probabilities. The class names,
     * input size, resize policy and Lote's version are in the model's metadata. Written atomically.
     */
    public void exportOnnx(Path file, boolean nchw, boolean uint8) throws IOException {
        var p = info.preprocessing();
        OnnxExport.write(architecture(), network.weightValues(), p.pixelScale(), p.pixelOffset(), temperature(), new OnnxExport.Input(nchw, uint8),
                onnxMetadata(nchw, uint8), file);
    }

    /**
     * Writes the model as a TensorFlow Lite file (float32): input {@code pixels} [batch, height, width, 3] floats
     * 0–255, output {@code probabilities}; class names and preprocessing as JSON in its "lote" metadata. Atomic.
     */
    public void exportTflite(Path file) throws IOException {
        var p = info.preprocessing();
        dev.lote.tflite.TfliteExport.write(architecture(), network.weightValues(), p.pixelScale(), p.pixelOffset(), temperature(),
                onnxMetadata(false, false), file);
    }

    /** The int8 export's accuracy drop was over the limit: nothing was written. */
    public static final class QuantizationRefused extends RuntimeException {
        private final Int8Export.Result result;

        QuantizationRefused(Path file, Int8Export.Result r, double maxDrop) {
            super(String.format(java.util.Locale.ROOT, "Not writing %s: int8 accuracy on %d held-out images is %.4f against %.4f in float, "
                    + "a drop of %.1f points, over --max-drop %.1f (calibrate on more images like the ones it will see, or allow more).",
                    file, r.testImages(), r.int8Accuracy(), r.floatAccuracy(), r.dropPoints(), maxDrop));
            this.result = r;
        }

        public Int8Export.Result result() { return result; }
    }

    /**
     * Writes the model as int8 ONNX (QDQ: int8 weights, uint8 activations), calibrated on {@code calibration} (any
     * images) and measured against float on {@code test} (labelled with the model's classes), both in ONNX Runtime.
     * Writes (atomically) only when the accuracy drops by at most {@code maxDropPoints}, else throws
     * {@link QuantizationRefused}. Unreadable images go to {@code skipped}.
     */
    public Int8Export.Result exportOnnxInt8(Path file, boolean nchw, boolean uint8, List<Path> calibration, List<ImageFolder.Sample> test,
                                            double maxDropPoints, SkippedFiles skipped) throws IOException {
        Int8Export.Result r = quantized(file, new OnnxExport.Input(nchw, uint8), calibration, test, maxDropPoints, skipped);
        byte[] bytes = r.bytes();
        dev.lote.io.AtomicFile.write(file, out -> out.write(bytes));
        return r;
    }

    /**
     * Writes the model as full-integer int8 TFLite (float pixels in, float probabilities out), with the activation
     * ranges {@link #exportOnnxInt8} would choose: the accuracies in the result are those of that quantization as ONNX
     * Runtime runs it (Lote has no TFLite runtime; the tests check that TensorFlow's interpreter gives the same answers).
     * Refused, writing nothing, as there.
     */
    public Int8Export.Result exportTfliteInt8(Path file, List<Path> calibration, List<ImageFolder.Sample> test, double maxDropPoints,
                                              SkippedFiles skipped) throws IOException {
        var p = info.preprocessing();
        byte[] floatFile = dev.lote.tflite.TfliteExport.build(architecture(), network.weightValues(), p.pixelScale(), p.pixelOffset(), temperature(),
                onnxMetadata(false, false)); // refuses a model TFLite cannot express before calibrating
        Int8Export.Result onnx = quantized(file, new OnnxExport.Input(false, true), calibration, test, maxDropPoints, skipped);
        Map<String, String> meta = new java.util.LinkedHashMap<>(onnxMetadata(false, false));
        meta.put("quantization", onnx.method());
        byte[] bytes = dev.lote.tflite.TfliteExport.buildInt8(architecture(), network.weightValues(), p.pixelScale(), p.pixelOffset(), temperature(),
                meta, onnx.ranges());
        dev.lote.io.AtomicFile.write(file, out -> out.write(bytes));
        return onnx.withFile(bytes, floatFile.length);
    }

    /** Calibrates and measures an int8 quantization in ONNX Runtime; throws {@link QuantizationRefused} over the limit. */
    private Int8Export.Result quantized(Path file, OnnxExport.Input input, List<Path> calibration, List<ImageFolder.Sample> test, double maxDropPoints,
                                        SkippedFiles skipped) throws IOException {
        if (multiLabel()) throw new IllegalArgumentException("The int8 export measures one answer per image; export a multi-label model in float.");
        if (!(maxDropPoints >= 0)) throw new IllegalArgumentException("The largest accuracy drop allowed is 0 points or more, got " + maxDropPoints + ".");
        var p = info.preprocessing();
        Shape in = architecture().inputShape();
        var decoder = new dev.lote.image.Decoder(dev.lote.image.Limits.DEFAULT);
        var source = dev.lote.data.BatchSequence.decoding(decoder, in, dev.lote.image.Resize.parse(p.resize()));
        var calibrate = new dev.lote.data.BatchSequence(calibration, new int[calibration.size()], 8, in).source(source).keepLast(true).skipBadFiles(skipped);
        var measure = new dev.lote.data.BatchSequence(Split.files(test), Split.labels(test), 16, in).source(source).keepLast(true).skipBadFiles(skipped);
        try {
            Class.forName("ai.onnxruntime.OrtEnvironment");
        } catch (ClassNotFoundException e) { // an optional dependency of lote-core; the CLI has it
            throw new IllegalStateException("The int8 export runs ONNX Runtime: add com.microsoft.onnxruntime:onnxruntime to the classpath.");
        }
        Int8Export.Result r = Int8Export.quantize(new Int8Export.Source(architecture(), network.weightValues(), p.pixelScale(), p.pixelOffset(),
                temperature(), onnxMetadata(input.nchw(), input.uint8())), calibrate, measure, input, cores());
        if (r.dropPoints() > maxDropPoints) throw new QuantizationRefused(file, r, maxDropPoints);
        return r;
    }

    /**
     * The HTML report (curves, confusion, hardest images, model, data, settings), evaluated on {@code data} (a folder
     * with the model's class folders) when given, else on the run's validation images still on disk, else without an
     * evaluation.
     */
    public String report(Path data, int batchSize) {
        if (multiLabel()) return labelReport(data, batchSize);
        int topK = Math.min(5, classes().size());
        if (data != null) {
            Evaluation e = evaluate(data, batchSize, topK, Report.WORST);
            return Report.build(info, e, "the images in " + data, explained(e));
        }
        ModelInfo.Training t = info.training();
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        Map<Path, String> labelled = t != null && t.labels() != null && java.nio.file.Files.isRegularFile(Path.of(t.labels())) // a --labels run
                ? Dataset.withLabels(Path.of(t.data()), Path.of(t.labels()), false, null).classesByFile() : Map.of();
        for (String f : t == null || t.validationFiles() == null ? List.<String>of() : t.validationFiles()) {
            Path p = Path.of(f);
            String name = t.labels() != null ? labelled.get(p.toAbsolutePath().normalize()) : p.getParent() == null ? null : p.getParent().getFileName().toString();
            int label = name == null ? -1 : classes().indexOf(name);
            if (label >= 0 && java.nio.file.Files.isRegularFile(p)) {
                files.add(p);
                labels.add(label);
            }
        }
        if (files.isEmpty()) return Report.withoutEvaluation(info);
        Evaluation e = evaluate(files, labels.stream().mapToInt(Integer::intValue).toArray(), batchSize, topK, Report.WORST);
        return Report.build(info, e, "the run's " + files.size() + " validation images", explained(e));
    }

    /** A multi-label model's report: on {@code data} (class folders) when given, else on the run's validation images of its labels file. */
    private String labelReport(Path data, int batchSize) {
        if (data != null) return Report.build(info, evaluateLabels(Dataset.open(data), batchSize), "the images in " + data);
        ModelInfo.Training t = info.training();
        if (t == null || t.labels() == null || t.validationFiles() == null || !java.nio.file.Files.isRegularFile(Path.of(t.labels()))) {
            return Report.withoutEvaluation(info);
        }
        Dataset d = Dataset.withLabels(Path.of(t.data()), Path.of(t.labels()), false, null);
        java.util.Set<Path> validation = new java.util.HashSet<>();
        for (String f : t.validationFiles()) validation.add(Path.of(f).toAbsolutePath().normalize());
        List<ImageFolder.Sample> on = d.samples().stream().filter(x -> validation.contains(x.file().toAbsolutePath().normalize())).toList();
        if (on.isEmpty()) return Report.withoutEvaluation(info);
        LabelEvaluation.Scored sc = scored(on, d.train().classes(), batchSize);
        return Report.build(info, LabelEvaluation.of(classes(), sc.probabilities(), sc.truth(), thresholds(), sc.skipped()),
                "the run's " + on.size() + " validation images");
    }

    /** Grad-CAM drawings of the images a report shows (the hardest, the suspects); none where the model has no layer to explain. */
    private Map<String, byte[]> explained(Evaluation e) {
        Map<String, byte[]> out = new java.util.LinkedHashMap<>();
        List<String> shown = new ArrayList<>(e.highestLoss().stream().map(Evaluation.Mistake::file).toList());
        e.suspects().stream().limit(Report.WORST).forEach(x -> shown.add(x.file()));
        for (String f : shown) {
            if (out.containsKey(f)) continue;
            try {
                out.put(f, explain(Path.of(f), null, null).png(120));
            } catch (BadImageException | IOException | IllegalArgumentException unexplained) {
                if (out.isEmpty() && unexplained instanceof IllegalArgumentException) break; // no layer to explain: thumbnails
            }
        }
        return out;
    }

    /** The run's validation images (recorded in the model file) with their classes; an error when it has none. */
    public List<ImageFolder.Sample> validationImages() {
        ModelInfo.Training t = info.training();
        List<String> files = t == null || t.validationFiles() == null ? List.of() : t.validationFiles();
        if (files.isEmpty()) throw new IllegalArgumentException("The model records no validation images (trained with "
                + "--validation-split 0, or not by Lote): give a folder of held-out images.");
        List<ImageFolder.Sample> out = new ArrayList<>();
        for (String f : files) {
            Path path = Path.of(f);
            int label = path.getParent() == null ? -1 : classes().indexOf(path.getParent().getFileName().toString());
            if (label < 0) throw new IllegalArgumentException("The run's validation file " + f + " is not in one of the model's class folders.");
            out.add(new ImageFolder.Sample(path, label));
        }
        return out;
    }

    private double temperature() { return info.calibration() == null ? 1 : info.calibration().temperature(); }

    /** What an exported file says about the model: classes, input size and layout, resize policy, Lote's version. */
    private Map<String, String> onnxMetadata(boolean nchw, boolean uint8) throws IOException {
        var p = info.preprocessing();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("classes", new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(classes()));
        meta.put("input_height", Integer.toString(p.height()));
        meta.put("input_width", Integer.toString(p.width()));
        meta.put("input_layout", nchw ? "nchw" : "nhwc");
        meta.put("input_type", uint8 ? "uint8" : "float32 0-255");
        meta.put("resize", p.resize());
        meta.put("lote_version", version());
        if (temperature() != 1) meta.put("temperature", Double.toString(temperature()));
        if (multiLabel()) meta.put("thresholds", new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(thresholds())); // a class is answered from its own
        return meta;
    }

    /** True when the first layer after the input scales pixels itself (Rescaling or Normalization), nested or not. */
    private static boolean rescalesItself(Model m) {
        for (Model.Call c : m.calls()) {
            if (c.layer() instanceof dev.lote.nn.InputLayer) continue;
            if (c.layer() instanceof Model inner) return rescalesItself(inner);
            return c.layer() instanceof dev.lote.nn.Rescaling || c.layer() instanceof dev.lote.nn.Normalization;
        }
        return false;
    }

    /** Loads a model file: weights, and Adam's state when the file has it (so training can go on exactly). */
    public static LoteModel load(Path file) throws ModelFileException {
        ModelFile f = ModelFile.load(file);
        Engine.start(0);
        var pre = f.info().preprocessing();
        Network net = Network.build(f.architecture(), f.info().training() == null ? 0 : f.info().training().seed())
                .pixels(pre.pixelScale(), pre.pixelOffset());
        try {
            net.setWeightValues(f.weights());
            if (f.info().optimizer() != null) net.optimizer(f.info().optimizer());
            if (f.optimizer() != null) net.restore(f.optimizer());
        } catch (IllegalArgumentException e) {
            net.close();
            throw new ModelFileException(file, "damaged: " + e.getMessage());
        }
        return new LoteModel(net, f.info());
    }

    /** Writes the model file atomically, with Adam's state and its training record (the last run's, when it had one). */
    public void save(Path file) throws IOException { save(file, null); }

    /** Writes the model file atomically with {@code training} as its record (null: keep the one it has). */
    public void save(Path file, ModelInfo.Training training) throws IOException {
        info = new ModelInfo(info.format(), ModelFile.VERSION, version(), Engine.version(), Instant.now().toString(),
                info.classes(), info.preprocessing(), info.architecture(), network.optimizer(), network.optimizerState().steps(),
                training != null ? training : info.training(), info.calibration(), info.thresholds());
        new ModelFile(info, network.weightValues(), network.optimizerState()).save(file);
    }

    /** The engine under the model, for the code in this package (the training run) and tests. */
    Network network() { return network; }

    /** Every weight's values by its path ({@code conv2d/kernel}), in Keras' layout: a copy. */
    public Map<String, float[]> weights() { return network.weightValues(); }

    /**
     * Trains this model on {@code data} by {@code recipe} (its split, augmentation, schedule, early stopping, seed;
     * the recipe's model and input size are this model's) and returns the history, as Keras' {@code model.fit}. The
     * record of the run is kept for {@link #save}. {@code TrainingRun} does the same with checkpoints, a cache,
     * a console and several processes.
     */
    public History fit(Dataset data, Recipe recipe, Callback... callbacks) throws IOException {
        if (recipe.fineTuning() != null) throw new IllegalArgumentException("A fine-tuning recipe makes its own model: "
                + "use LoteModel.train(data, recipe).");
        return TrainingRun.of(data, recipe).model(this).callbacks(callbacks).run().history();
    }

    /**
     * Makes the model the recipe names (a preset at the images' size, a model file to start from, or a pretrained
     * backbone under a new head) and trains it on {@code data}: {@code LoteModel.train(Dataset.open(dir), Recipe.defaults())}.
     */
    public static LoteModel train(Dataset data, Recipe recipe, Callback... callbacks) throws IOException {
        return TrainingRun.of(data, recipe).callbacks(callbacks).run().model();
    }

    /**
     * A pretrained network to put a new head on: one of torchvision's by name (weights from {@code weights}, or
     * downloaded once into {@code cache}), or a model file Lote reads cut at layer {@code cut}.
     */
    public static Backbone backbone(String nameOrFile, String cut, Path weights, WeightCache cache) throws IOException, ModelFileException {
        if (Backbone.isTorchvision(nameOrFile)) return Backbone.torchvision(nameOrFile, weights, cache);
        if (cut == null) throw new IllegalArgumentException("The backbone " + nameOrFile + " needs a cut: the layer whose output is "
                + "the features (see 'lote summary --model " + nameOrFile + "').");
        Path file = Path.of(nameOrFile);
        try (LoteModel m = open(file)) {
            return Backbone.cut(m.architecture(), m.weights(), m.info().preprocessing().pixelScale(), cut);
        }
    }

    /** The recipe this model was trained by, from its record; null for a model never trained by Lote. */
    public Recipe recipe() { return info.training() == null ? null : info.training().recipe(); }

    /** The metrics of every epoch it was trained for, from its record (empty for a model never trained by Lote). */
    public History history() { return History.of(info.training() == null ? Map.of() : info.training().history()); }
    public ModelInfo info() { return info; }
    public List<String> classes() { return info.classes(); }
    public Model architecture() { return info.architecture(); }

    /** One image's prediction, every class ranked. */
    public Prediction predict(Path image) throws BadImageException { return classifier().classify(image); }

    /** Classifies files in batches; bad files are reported to {@code skipped} and left out. */
    public List<Prediction> predict(List<Path> images, int batchSize, SkippedFiles skipped) {
        return classifier().predict(images, batchSize, cores(), skipped);
    }

    /** Evaluates on a folder with the model's class folders (a difference is an error listing it). */
    public Evaluation evaluate(Path folder, int batchSize, int topK, int worst) {
        ImageFolder data = ImageFolder.scan(folder, classes());
        return evaluate(Split.files(data.samples()), Split.labels(data.samples()), batchSize, topK, worst, Double.NaN);
    }

    /** As above, with "unknown" below a top probability of {@code unknownBelow} (NaN: never). */
    public Evaluation evaluate(Path folder, int batchSize, int topK, int worst, double unknownBelow) {
        ImageFolder data = ImageFolder.scan(folder, classes());
        return evaluate(Split.files(data.samples()), Split.labels(data.samples()), batchSize, topK, worst, unknownBelow);
    }

    /**
     * Evaluates on {@code data}'s test images when it has some (a {@code test/} folder, a labels file's test rows), else on
     * all its images; their classes are matched to the model's by name, and one the model does not know is refused.
     */
    public Evaluation evaluate(Dataset data, int batchSize, int topK, int worst, double unknownBelow) {
        List<ImageFolder.Sample> samples = data.testOrAll();
        List<Path> files = new ArrayList<>();
        int[] y = new int[samples.size()];
        for (int i = 0; i < y.length; i++) {
            String name = data.train().classes().get(samples.get(i).label());
            y[i] = classes().indexOf(name);
            if (y[i] < 0) throw new IllegalArgumentException((data.labels() != null ? data.labels() : data.root()) + " labels "
                    + samples.get(i).file() + " '" + name + "', which is not one of the model's classes " + classes() + ".");
            files.add(samples.get(i).file());
        }
        return evaluate(files, y, batchSize, topK, worst, unknownBelow);
    }

    /** The report evaluated on {@code data} as {@link #evaluate(Dataset, int, int, int, double)} chooses its images. */
    public String reportOn(Dataset data, int batchSize) {
        Path from = data.labels() != null ? data.labels() : data.root();
        if (multiLabel()) return Report.build(info, evaluateLabels(data, batchSize), (data.test().isPresent() ? "the test images of " : "the images of ") + from);
        Evaluation e = evaluate(data, batchSize, Math.min(5, classes().size()), Report.WORST, Double.NaN);
        return Report.build(info, e, (data.test().isPresent() ? "the test images of " : "the images of ") + from, explained(e));
    }

    /** Whether the model answers each class yes or no on its own (it ends in a sigmoid): several labels per image. */
    public boolean multiLabel() { return network.multiLabel(); }

    /** A multi-label model's per-class thresholds (0.5 each until {@link #fitThresholds} chose them); null for one class per image. */
    public double[] thresholds() { return classifier().thresholds(); }

    /**
     * Chooses and keeps each class's F1-optimal threshold ({@link LabelEvaluation#bestThresholds}) on {@code images},
     * labelled by their data's classes {@code dataClasses} (sets of labels, {@code a;b}); predictions, evaluations,
     * the server and exports then answer every class at or above its threshold.
     */
    public double[] fitThresholds(List<ImageFolder.Sample> images, List<String> dataClasses, int batchSize) {
        LabelEvaluation.Scored s = scored(images, dataClasses, batchSize);
        if (s.probabilities().length == 0) throw new IllegalArgumentException("No readable images to choose thresholds on.");
        double[] t = LabelEvaluation.bestThresholds(s.probabilities(), s.truth());
        info = info.withThresholds(java.util.Arrays.stream(t).boxed().toList());
        resetClassifier();
        return t;
    }

    /**
     * A multi-label model evaluated on {@code data}'s test images when it has some, else all of them: per class precision,
     * recall, F1 and average precision, micro and macro F1, mAP ({@link LabelEvaluation}).
     */
    public LabelEvaluation evaluateLabels(Dataset data, int batchSize) {
        if (!multiLabel()) throw new IllegalArgumentException("The model answers one class per image; evaluate it without multi-label metrics.");
        LabelEvaluation.Scored s = scored(data.testOrAll(), data.train().classes(), batchSize);
        return LabelEvaluation.of(classes(), s.probabilities(), s.truth(), thresholds(), s.skipped());
    }

    private LabelEvaluation.Scored scored(List<ImageFolder.Sample> images, List<String> dataClasses, int batchSize) {
        float[][] table = dev.lote.data.LabelSets.table(dataClasses, classes());
        SkippedFiles skipped = new SkippedFiles(null);
        List<Classifier.Result> r = classifier().classify(Split.files(images), Split.labels(images), batchSize, cores(), skipped);
        float[][] p = new float[r.size()][];
        boolean[][] y = new boolean[r.size()][classes().size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = r.get(i).probabilities();
            for (int c = 0; c < y[i].length; c++) y[i][c] = table[r.get(i).label()][c] > 0;
        }
        return new LabelEvaluation.Scored(p, y, skipped.lines());
    }

    /** Evaluates on {@code files} whose classes are {@code labels} (indices into {@link #classes()}). */
    public Evaluation evaluate(List<Path> files, int[] labels, int batchSize, int topK, int worst) {
        return evaluate(files, labels, batchSize, topK, worst, Double.NaN);
    }

    /** As above, counting an image whose top probability is below {@code unknownBelow} as answered "unknown". */
    public Evaluation evaluate(List<Path> files, int[] labels, int batchSize, int topK, int worst, double unknownBelow) {
        if (!Double.isNaN(unknownBelow)) Prediction.checkThreshold(unknownBelow);
        SkippedFiles skipped = new SkippedFiles(null);
        return Evaluation.of(classes(), samples(files, labels, batchSize, skipped), topK, worst, skipped.lines(), unknownBelow);
    }

    /** Each readable file's probabilities with its label; bad files go to {@code skipped}. */
    List<Evaluation.Sample> samples(List<Path> files, int[] labels, int batchSize, SkippedFiles skipped) {
        List<Evaluation.Sample> samples = new ArrayList<>();
        for (Classifier.Result r : classifier().classify(files, labels, batchSize, cores(), skipped)) {
            samples.add(new Evaluation.Sample(r.file().toString(), r.label(), r.probabilities()));
        }
        return samples;
    }

    /**
     * Test-time augmentation for this model's predictions and evaluations from now on (fastai's {@code tta}): the mean
     * probabilities over {@code views} views of each image (1: off; 2: and its mirror; up to 7 with 90 % crops).
     */
    public LoteModel testTimeAugmentation(int views) {
        classifier().testTimeAugmentation(views);
        return this;
    }

    /**
     * What the model looked at in {@code image}: a Grad-CAM heat map for the class it predicts (or {@code className}),
     * at {@code layer} (null: the last layer with an image-shaped output; a path such as {@code backbone/out_relu} reaches
     * into a nested model). Weights unchanged.
     */
    public Explanation explain(Path image, String layer, String className) throws BadImageException {
        return classifier().explain(image, layer, className);
    }

    /**
     * Feature vectors: what the model's last layer reads (the pooled features under a head, the last hidden layer), for
     * search, clustering and deduplication; close it after use.
     */
    public Embedder embedder() {
        Model arch = architecture();
        Model.Call last = arch.calls().get(arch.outputIndex());
        Model features = arch.upTo(arch.calls().get(last.inputs().get(0)).layer().name());
        var pre = info.preprocessing();
        return Embedder.of(features, network.weightValues(), pre.pixelScale(), pre.pixelOffset(), Resize.parse(pre.resize()));
    }

    /** The {@link #embedder()}'s features of {@code images} in batches; bad files are reported to {@code skipped} and left out. */
    public List<Embedder.Embedding> embed(List<Path> images, int batchSize, SkippedFiles skipped) {
        try (Embedder e = embedder()) {
            return e.embed(images, batchSize, skipped);
        }
    }

    /** This model as a classification service (thread-safe; it follows the weights as they train). */
    public synchronized Classifier classifier() {
        if (classifier == null) classifier = Classifier.over(network, info, dev.lote.image.Limits.DEFAULT, 16, 64);
        return classifier;
    }

    private static int cores() { return Runtime.getRuntime().availableProcessors(); }

    /** This Lote's version, as recorded in model files. */
    public static String version() { return ModelFile.loteVersion(); }

    @Override public synchronized void close() {
        if (classifier != null) classifier.close();
        network.close();
    }
}
