package dev.lote.cli;

import dev.lote.LoteModel;
import dev.lote.data.ImageFolder;
import dev.lote.data.SkippedFiles;
import dev.lote.io.ModelFileException;
import dev.lote.onnx.Int8Export;
import dev.lote.onnx.OnnxExport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a Lote model in another format: ONNX (for ONNX Runtime, on phones, in browsers, in C#, Go or "
                + "Triton; preprocessing inside, probabilities out; --quantize int8 for a smaller, faster file), TensorFlow Lite "
                + "(float32, or full-integer with --quantize int8; for Android and microcontrollers' runtimes) or a Keras 3 .keras file.")
final class ExportCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "A .lote model file.")
    Path modelFile;

    @Option(names = "--format", required = true, paramLabel = "onnx|keras|tflite", description = "The format.")
    String format;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The file to write: model.onnx, model.keras, model.tflite.")
    Path output;

    @Option(names = "--input-layout", defaultValue = "nhwc", paramLabel = "nhwc|nchw",
            description = "ONNX: the input's axis order (default: ${DEFAULT-VALUE}, as images are stored).")
    String layout;

    @Option(names = "--input-type", defaultValue = "uint8", paramLabel = "uint8|float",
            description = "ONNX: pixels as bytes, or as floats 0–255 (default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--quantize", paramLabel = "int8",
            description = "ONNX or TFLite: int8 weights and activations (ONNX: QDQ; TFLite: full-integer kernels), calibrated on real images; "
                    + "refused when it costs more than --max-drop.")
    String quantize;

    @Option(names = "--calibrate", paramLabel = "DIR",
            description = "int8: calibrate the activations on the images under DIR (default: half of the run's validation images).")
    Path calibrateDir;

    @Option(names = "--calibrate-from-validation", paramLabel = "N",
            description = "int8: calibrate on N of the run's validation images; the rest measure the accuracy.")
    Integer fromValidation;

    @Option(names = "--test", paramLabel = "DIR",
            description = "int8: measure float and int8 accuracy on this folder of class folders (default: the validation images not calibrated on).")
    Path testDir;

    @Option(names = "--max-drop", defaultValue = "2", paramLabel = "POINTS",
            description = "int8: write nothing (exit 3) when top-1 accuracy falls by more than this many points (default: ${DEFAULT-VALUE}).")
    double maxDrop;

    @Override public Integer call() throws Exception {
        Options.oneOf(format, "--format", "onnx", "keras", "tflite");
        Options.oneOf(layout, "--input-layout", "nhwc", "nchw");
        Options.oneOf(type, "--input-type", "uint8", "float");
        boolean int8 = quantize != null;
        if (int8) Options.oneOf(quantize, "--quantize", "int8");
        if (int8 && format.equals("keras")) throw bad("--quantize int8 is for --format onnx or tflite.");
        if (!int8 && (calibrateDir != null || fromValidation != null || testDir != null || spec.commandLine().getParseResult().hasMatchedOption("--max-drop")))
            throw bad("--calibrate, --calibrate-from-validation, --test and --max-drop go with --quantize int8.");
        if (calibrateDir != null && fromValidation != null) throw bad("Give --calibrate DIR or --calibrate-from-validation N, not both.");
        if (fromValidation != null && fromValidation < 1) throw bad("--calibrate-from-validation must be 1 or more, got " + fromValidation + ".");
        if (!(maxDrop >= 0 && maxDrop <= 100)) throw bad("--max-drop is in points, 0 to 100, got " + maxDrop + ".");
        try (LoteModel model = LoteModel.load(modelFile)) {
            if (format.equals("keras")) {
                model.exportKeras(output);
                System.out.println("Wrote " + output + " (Keras 3; load it with keras.saving.load_model)");
                return ExitCodes.OK;
            }
            if (format.equals("tflite")) {
                try {
                    if (int8) int8(model);
                    else model.exportTflite(output);
                } catch (dev.lote.tflite.TfliteExport.UnsupportedLayerException e) {
                    throw new ModelFileException(modelFile, e.getMessage());
                }
                var p = model.info().preprocessing();
                System.out.println("Wrote " + output + " (TensorFlow Lite, " + (int8 ? "int8" : "float32") + "): input 'pixels' float 0-255 [batch, " + p.height() + ", "
                        + p.width() + ", 3], output 'probabilities' [batch, " + model.classes().size() + "]; class names in its 'lote' metadata");
                return ExitCodes.OK;
            }
            try {
                if (int8) int8(model);
                else model.exportOnnx(output, layout.equals("nchw"), type.equals("uint8"));
            } catch (OnnxExport.UnsupportedLayerException e) {
                throw new ModelFileException(modelFile, e.getMessage());
            }
            var p = model.info().preprocessing();
            System.out.println("Wrote " + output + " (ONNX opset 17" + (int8 ? ", int8" : "") + "): input 'pixels' " + type + " " + layout + " [batch, "
                    + (layout.equals("nhwc") ? p.height() + ", " + p.width() + ", 3" : "3, " + p.height() + ", " + p.width())
                    + "], output 'probabilities' [batch, " + model.classes().size() + "]; class names in its metadata");
        }
        return ExitCodes.OK;
    }

    /** Calibration and held-out images from the flags, then the export, which measures both and refuses a large drop. */
    private void int8(LoteModel model) throws Exception {
        List<Path> calibration;
        List<ImageFolder.Sample> test;
        if (calibrateDir != null) {
            if (!Files.isDirectory(calibrateDir)) throw bad("--calibrate " + calibrateDir + ": no such folder.");
            calibration = PredictCommand.imagesUnder(calibrateDir);
            if (calibration.isEmpty()) throw bad("--calibrate " + calibrateDir + ": no images in it.");
            Set<Path> used = new HashSet<>(calibration.stream().map(Path::toAbsolutePath).toList());
            test = testDir != null ? ImageFolder.scan(testDir, model.classes()).samples()
                    : model.validationImages().stream().filter(s -> !used.contains(s.file().toAbsolutePath())).toList();
        } else {
            List<ImageFolder.Sample> validation = new ArrayList<>(model.validationImages());
            Collections.shuffle(validation, new Random(0)); // the files are in class order; take some of each
            int n = fromValidation != null ? fromValidation : Math.max(1, validation.size() / 2);
            if (testDir == null && n >= validation.size()) throw bad("--calibrate-from-validation " + n + " leaves none of the run's "
                    + validation.size() + " validation images to measure on: take fewer, or give --test DIR.");
            if (n > validation.size()) throw bad("--calibrate-from-validation " + n + ": the run has " + validation.size() + " validation images.");
            calibration = validation.subList(0, n).stream().map(ImageFolder.Sample::file).toList();
            test = testDir != null ? ImageFolder.scan(testDir, model.classes()).samples() : validation.subList(n, validation.size());
        }
        if (test.isEmpty()) throw bad("No held-out images to measure the int8 model on: give --test DIR.");
        SkippedFiles skipped = new SkippedFiles(System.err);
        Int8Export.Result r;
        try {
            r = format.equals("tflite") ? model.exportTfliteInt8(output, calibration, test, maxDrop, skipped)
                    : model.exportOnnxInt8(output, layout.equals("nchw"), type.equals("uint8"), calibration, test, maxDrop, skipped);
        } catch (LoteModel.QuantizationRefused e) {
            print(e.result());
            throw new ModelFileException(modelFile, e.getMessage());
        }
        print(r);
        if (format.equals("tflite")) System.out.println("(Accuracies and speed as ONNX Runtime runs the same int8 quantization; the file is TFLite's full-integer form of it.)");
    }

    private static void print(Int8Export.Result r) {
        System.out.printf(Locale.ROOT, "Activation ranges tried on the %d calibration images, against float:%n", r.calibrationImages());
        System.out.printf(Locale.ROOT, "  %-18s %12s %10s%n", "ranges", "same answer", "distance");
        for (Int8Export.Tried t : r.tried())
            System.out.printf(Locale.ROOT, "  %-18s %10.1f %% %10.4f%s%n", t.method(), 100 * t.agreement(), t.distance(), t == r.chosen() ? "  (chosen)" : "");
        System.out.printf(Locale.ROOT, "On %d held-out images: accuracy %.4f in float, %.4f in int8 (%+.1f points), same answer as float %.1f %%; "
                + "%.1f MB instead of %.1f MB (%.0f %%); %.1f× float's speed in ONNX Runtime here%n", r.testImages(), r.floatAccuracy(),
                r.int8Accuracy(), 0.0 - r.dropPoints(), 100 * r.testAgreement(), r.bytes().length / 1e6, r.floatBytes() / 1e6,
                100.0 * r.bytes().length / r.floatBytes(), r.speedup());
        if (r.speedup() < 1) System.out.println("Note: int8 ran slower than float here, so it is smaller, not faster (ONNX Runtime's int8 "
                + "convolutions are slow over few channels, as in seed-cnn's first layers).");
    }

    private IllegalArgumentException bad(String message) { return new IllegalArgumentException(message); }
}
