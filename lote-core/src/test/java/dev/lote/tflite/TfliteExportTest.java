package dev.lote.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lote.Engines;
import dev.lote.LoteModel;
import dev.lote.data.Batch;
import dev.lote.image.Resize;
import dev.lote.nn.Activation;
import dev.lote.nn.Dense;
import dev.lote.nn.GlobalMaxPooling2D;
import dev.lote.nn.Conv2D;
import dev.lote.nn.Input;
import dev.lote.nn.Model;
import dev.lote.nn.Node;
import dev.lote.nn.Presets;
import dev.lote.nn.ReLU;
import dev.lote.nn.Shape;
import dev.lote.testing.Fixtures;
import dev.lote.testing.Python;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exported TFLite files, run in TensorFlow's own TFLite interpreter, give Lote's probabilities. */
class TfliteExportTest {
    @TempDir Path dir;

    @Test
    void presetsATorchvisionNetworkAndKerasModelsRunInTensorFlowLiteAsInLote() throws Exception {
        Path python = Python.with("tensorflow");
        Shape small = Shape.image(48, 64, 3);
        List<String> classes = List.of("cat", "dog", "<b>bird</b>");
        try (LoteModel m = LoteModel.create(Presets.smallCnn(small, 3), classes, Resize.STRETCH, 3)) {
            trainABit(m);
            String meta = matchesLote(python, m, "small-cnn");
            var json = new ObjectMapper().readTree(meta);
            assertEquals(classes, List.of(new ObjectMapper().treeToValue(json.get("classes"), String[].class)));
            assertEquals("48", json.get("input_height").asText());
        }
        try (LoteModel m = LoteModel.create(Presets.seedCnn(small, 3), classes, Resize.STRETCH, 3)) {
            trainABit(m);
            matchesLote(python, m, "seed-cnn");
        }
        // squeeze-and-excite, hard-swish and hard-sigmoid, ImageNet normalisation inside
        Model arch = dev.lote.nn.Torchvision.build("mobilenet_v3_small", Shape.image(64, 64, 3), 4);
        Node x = Input.of(arch.inputShape());
        Node y = new dev.lote.nn.Normalization(new double[] {0.485, 0.456, 0.406}, new double[] {0.05, 0.05, 0.05})
                .call(new dev.lote.nn.Rescaling(1 / 255.0, 0).call(x));
        try (LoteModel m = LoteModel.create(new Model("tuned", List.of(x), arch.call(y)), List.of("a", "b", "c", "d"), Resize.CROP, 2)
                .pixels("raw")) {
            trainABit(m);
            matchesLote(python, m, "mobilenet_v3_small");
        }
        // Keras' own models, weights from Keras: the notebook's CNN, a residual graph, MobileNetV2 (ReLU6, explicit zero padding)
        for (String fixture : List.of("seed_cnn", "residual_graph", "mobilenet_v2_035")) {
            try (LoteModel m = LoteModel.importKeras(Fixtures.dir("keras").resolve(fixture + ".keras"), null, null)) {
                matchesLote(python, m, fixture);
            }
        }
    }

    @Test
    void aLayerTfliteCannotExpressIsRefusedByNameAndNothingIsWritten() throws Exception {
        Node x = Input.of(Shape.image(8, 8, 3));
        Node y = new GlobalMaxPooling2D().call(new ReLU().threshold(0.5).<ReLU>name("gate").call(new Conv2D(4, 3).call(x)));
        Model arch = new Model("odd", List.of(x), new Dense(2).activation(Activation.SOFTMAX).call(y));
        try (LoteModel m = LoteModel.create(arch, List.of("a", "b"), Resize.STRETCH, 1)) {
            Path file = dir.resolve("odd.tflite");
            var e = assertThrows(TfliteExport.UnsupportedLayerException.class, () -> m.exportTflite(file));
            assertEquals("Layer 'gate' (ReLU) cannot be exported to TFLite: a threshold other than 0.", e.getMessage());
            assertFalse(Files.exists(file));
        }
    }

    /**
     * int8 of Keras' MobileNetV2 (depthwise, ReLU6, explicit padding, residual adds) in TensorFlow's interpreter: every
     * convolution runs as an int8 kernel, and its error against float is that of ONNX Runtime's int8 for the same
     * quantization (what the export measures accuracy with), a small part of the logits' spread.
     */
    @Test
    void anInt8MobileNetRunsAsInt8KernelsAndGivesOnnxRuntimesInt8Answers() throws Exception {
        Path python = Python.with("tensorflow");
        try (LoteModel m = LoteModel.importKeras(Fixtures.dir("keras").resolve("mobilenet_v2_035.keras"), null, null)) {
            Shape in = m.architecture().inputShape();
            Path data = dev.lote.testing.Images.sampleFolder(dir.resolve("q"), 3, 8, in.height(), in.width());
            var samples = dev.lote.data.ImageFolder.scan(data, List.of("0", "1", "2")).samples();
            List<Path> files = samples.stream().map(dev.lote.data.ImageFolder.Sample::file).toList();
            Path tflite = dir.resolve("q8.tflite"), onnx = dir.resolve("q8.onnx"), floatTflite = dir.resolve("q.tflite");
            var skipped = new dev.lote.data.SkippedFiles(System.err);
            var r = m.exportTfliteInt8(tflite, files, samples, 100, skipped);
            byte[] first = Files.readAllBytes(tflite);
            m.exportTfliteInt8(tflite, files, samples, 100, skipped);
            assertTrue(java.util.Arrays.equals(first, Files.readAllBytes(tflite)), "the same calibration writes the same file");
            m.exportOnnxInt8(onnx, false, true, files, samples, 100, skipped);
            m.exportTflite(floatTflite);
            int n = files.size();
            byte[] px = new byte[Math.toIntExact(in.size() * n)];
            var decoder = new dev.lote.image.Decoder(dev.lote.image.Limits.DEFAULT);
            for (int i = 0; i < n; i++) decoder.readInto(files.get(i), in.height(), in.width(), Resize.STRETCH, px, Math.toIntExact(i * in.size()));
            Run int8 = tflite(python, tflite, px, n, "int8");
            float[][] floats = tflite(python, floatTflite, px, n, "float").probabilities(), ort = onnxRuntime(onnx, px, n, in);
            // in logits (log-probabilities up to a constant): random weights give probabilities too flat to tell apart
            float[][] z = logits(floats);
            double tfliteError = worst(logits(int8.probabilities()), z), ortError = worst(logits(ort), z), spread = 0;
            for (float[] row : z) for (float v : row) for (float u : row) spread = Math.max(spread, v - u);
            System.out.printf("TFLite int8 mobilenet_v2_035: logits' largest error %.4f (ONNX Runtime's int8: %.4f) in a spread of %.4f; %d of %d bytes%n",
                    tfliteError, ortError, spread, Files.size(tflite), Files.size(floatTflite));
            assertTrue(tfliteError < 2 * ortError && tfliteError < 0.1 * spread, "TFLite int8's error " + tfliteError + ", ONNX Runtime int8's "
                    + ortError + ", spread " + spread);
            assertTrue(int8.ops().contains("DEPTHWISE_CONV_2D:INT8") && int8.ops().contains("ADD:INT8"), int8.ops());
            assertFalse(int8.ops().contains("CONV_2D:FLOAT32") || int8.ops().contains("PAD:FLOAT32"), int8.ops());
            assertTrue(int8.metadata().contains("\"quantization\":\"int8 (" + r.chosen().method()), int8.metadata());
        }
    }

    /** What TFLite gave: probabilities per image, the "lote" metadata JSON and the operators with their output types. */
    private record Run(float[][] probabilities, String metadata, String ops) {}

    /** Runs {@code n} images (NHWC bytes) through a TFLite file in TensorFlow's interpreter. */
    private Run tflite(Path python, Path file, byte[] px, int n, String name) throws Exception {
        Path in = dir.resolve(name + ".in"), out = dir.resolve(name + ".out");
        ByteBuffer f = ByteBuffer.allocate(4 * px.length).order(ByteOrder.LITTLE_ENDIAN);
        for (byte b : px) f.putFloat(b & 0xff);
        Files.write(in, f.array());
        Python.Result res = Python.script(python, "run_tflite.py", file.toString(), in.toString(), Integer.toString(n), out.toString());
        assertEquals(0, res.exit(), res.output());
        ByteBuffer got = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        float[][] p = new float[n][got.capacity() / 4 / n];
        for (float[] row : p) for (int c = 0; c < row.length; c++) row[c] = got.getFloat();
        String meta = res.output().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow(() -> new AssertionError(res.output()));
        return new Run(p, meta, res.output().lines().filter(l -> l.startsWith("ops: ")).findFirst().orElseThrow());
    }

    private static float[][] onnxRuntime(Path onnx, byte[] px, int n, Shape s) throws Exception {
        var env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        try (var session = env.createSession(onnx.toString(), new ai.onnxruntime.OrtSession.SessionOptions());
             var x = ai.onnxruntime.OnnxTensor.createTensor(env, ByteBuffer.wrap(px), new long[] {n, s.height(), s.width(), s.channels()},
                     ai.onnxruntime.OnnxJavaType.UINT8);
             var r = session.run(java.util.Map.of("pixels", x))) {
            return (float[][]) r.get(0).getValue();
        }
    }

    /** log p, centred per image: the logits up to the constant softmax drops. */
    private static float[][] logits(float[][] p) {
        float[][] z = new float[p.length][];
        for (int i = 0; i < p.length; i++) {
            z[i] = new float[p[i].length];
            double mean = 0;
            for (float v : p[i]) mean += Math.log(v) / p[i].length;
            for (int c = 0; c < z[i].length; c++) z[i][c] = (float) (Math.log(p[i][c]) - mean);
        }
        return z;
    }

    private static double worst(float[][] a, float[][] b) {
        double w = 0;
        for (int i = 0; i < a.length; i++) for (int c = 0; c < a[i].length; c++) w = Math.max(w, Math.abs(a[i][c] - b[i][c]));
        return w;
    }

    /** Exports, runs 3 random images in TFLite, compares with Lote; returns the file's metadata JSON. */
    private String matchesLote(Path python, LoteModel m, String name) throws Exception {
        Path file = dir.resolve(name + ".tflite");
        m.exportTflite(file);
        Shape s = m.architecture().inputShape();
        int n = 3;
        byte[] px = new byte[Math.toIntExact(s.size() * n)];
        new SplittableRandom(5).nextBytes(px);
        float[][] lote = Engines.of(m).predict(new Batch(px, new int[n], s, Collections.nCopies(n, null)));
        Run got = tflite(python, file, px, n, name);
        double worst = worst(lote, got.probabilities());
        System.out.printf("TFLite %s: largest difference from Lote %.2e%n", name, worst);
        assertTrue(worst < 1e-5, name + ": largest difference from Lote " + worst);
        return got.metadata();
    }

    private static void trainABit(LoteModel m) {
        Shape in = m.architecture().inputShape();
        byte[] b = new byte[Math.toIntExact(in.size() * 6)];
        new SplittableRandom(9).nextBytes(b);
        Batch batch = new Batch(b, new int[] {0, 1, 2, 0, 1, 2}, in, Collections.nCopies(6, null));
        for (int i = 0; i < 5; i++) Engines.of(m).trainStep(batch);
    }
}
