package dev.lote.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lote.Engines;
import dev.lote.LoteModel;
import dev.lote.data.Batch;
import dev.lote.image.Resize;
import dev.lote.nn.Activation;
import dev.lote.nn.BatchNormalization;
import dev.lote.nn.Conv2D;
import dev.lote.nn.Dense;
import dev.lote.nn.GlobalAveragePooling2D;
import dev.lote.nn.Input;
import dev.lote.nn.Model;
import dev.lote.nn.Node;
import dev.lote.nn.Presets;
import dev.lote.nn.ReLU;
import dev.lote.nn.Shape;
import dev.lote.testing.Fixtures;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Exported ONNX models, run in the real ONNX Runtime, give Lote's (and for the fixtures Keras') probabilities. */
class OnnxExportTest {
    @TempDir Path dir;
    static final OrtEnvironment ORT = OrtEnvironment.getEnvironment();

    static byte[] random(Shape in, int n, long seed) {
        byte[] b = new byte[Math.toIntExact(in.size() * n)];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < b.length; i++) b[i] = (byte) r.nextInt(256);
        return b;
    }

    /** Runs the exported file on NHWC bytes; rows of probabilities. */
    static float[][] ort(Path onnx, byte[] pixels, int n, Shape in, boolean uint8) throws Exception {
        try (OrtSession s = ORT.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
            long[] shape = {n, in.height(), in.width(), in.channels()};
            OnnxTensor t;
            if (uint8) t = OnnxTensor.createTensor(ORT, ByteBuffer.wrap(pixels), shape, ai.onnxruntime.OnnxJavaType.UINT8);
            else {
                float[] f = new float[pixels.length];
                for (int i = 0; i < f.length; i++) f[i] = pixels[i] & 0xff;
                t = OnnxTensor.createTensor(ORT, FloatBuffer.wrap(f), shape);
            }
            try (t; OrtSession.Result r = s.run(Map.of("pixels", t))) {
                return (float[][]) r.get(0).getValue();
            }
        }
    }

    static double worst(float[][] a, float[][] b) {
        double w = 0;
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[i].length; j++) w = Math.max(w, Math.abs(a[i][j] - b[i][j]));
        return w;
    }

    private void matchesLote(LoteModel m, boolean uint8) throws Exception {
        Path onnx = dir.resolve(m.architecture().name() + ".onnx");
        m.exportOnnx(onnx, false, uint8);
        Shape in = m.architecture().inputShape();
        byte[] px = random(in, 5, 1);
        float[][] lote = Engines.of(m).predict(new Batch(px, new int[5], in, Collections.nCopies(5, null)));
        float[][] got = ort(onnx, px, 5, in, uint8);
        System.out.printf("ONNX %s (%s input): largest difference from Lote %.2e%n", m.architecture().name(), uint8 ? "uint8" : "float", worst(lote, got));
        assertTrue(worst(lote, got) < 1e-5, m.architecture().name() + ": largest difference from Lote " + worst(lote, got));
    }

    @Test
    void presetsRunInOnnxRuntimeAsInLote() throws Exception {
        Shape in = Shape.image(48, 64, 3);
        List<String> classes = List.of("cat", "dog", "<b>bird</b>");
        for (Model arch : List.of(Presets.seedCnn(in, 3), Presets.smallCnn(in, 3), Presets.smallCnn(Shape.image(96, 128, 3), 3))) {
            try (LoteModel m = LoteModel.create(arch, classes, Resize.STRETCH, 3)) {
                trainABit(m);
                matchesLote(m, true);
                matchesLote(m, false);
            }
        }
    }

    /** A fine-tuned torchvision backbone (squeeze-and-excite, hard-swish, ImageNet normalisation inside) exports too. */
    @Test
    void aTorchvisionClassifierRunsInOnnxRuntimeAsInLote() throws Exception {
        Model arch = dev.lote.nn.Torchvision.build("mobilenet_v3_small", 4);
        Node x = Input.of(arch.inputShape());
        Node y = new dev.lote.nn.Normalization(new double[] {0.485, 0.456, 0.406}, new double[] {0.05, 0.05, 0.05})
                .call(new dev.lote.nn.Rescaling(1 / 255.0, 0).call(x));
        Model classifier = new Model("tuned", List.of(x), arch.call(y));
        try (LoteModel m = LoteModel.create(classifier, List.of("a", "b", "c", "d"), Resize.CROP, 2).pixels("raw")) {
            trainABit(m);
            matchesLote(m, true);
        }
    }

    /**
     * int8 of Keras' MobileNetV2 (ReLU6, explicit zero padding, inverted residuals): written only within --max-drop,
     * under a third of the size, probabilities close to float's on real images.
     */
    @Test
    void anInt8MobileNetStaysCloseToFloat() throws Exception {
        Path keras = Fixtures.dir("keras");
        try (LoteModel m = LoteModel.importKeras(keras.resolve("mobilenet_v2_035.keras"), null, null)) {
            Shape in = m.architecture().inputShape();
            Path data = dev.lote.testing.Images.sampleFolder(dir.resolve("q"), 3, 8, in.height(), in.width());
            var samples = dev.lote.data.ImageFolder.scan(data, List.of("0", "1", "2")).samples();
            Path onnx = dir.resolve("q.onnx"), int8 = dir.resolve("q8.onnx");
            m.exportOnnx(onnx, false, true);
            var r = m.exportOnnxInt8(int8, false, true, samples.stream().map(dev.lote.data.ImageFolder.Sample::file).toList(), samples, 100,
                    new dev.lote.data.SkippedFiles(System.err));
            System.out.printf("int8 mobilenet_v2_035: %s, distance %.4f, same answer %.2f, %d of %d bytes%n", r.chosen().method(),
                    r.chosen().distance(), r.testAgreement(), Files.size(int8), Files.size(onnx));
            assertEquals(24, r.testImages());
            assertTrue(Files.size(int8) < 0.35 * Files.size(onnx), Files.size(int8) + " of " + Files.size(onnx));
            assertTrue(r.chosen().distance() < 0.1 && r.testAgreement() >= 0.75, r.tried() + ", agreement " + r.testAgreement());
            float[][] f = ort(onnx, random(in, 4, 3), 4, in, true), q = ort(int8, random(in, 4, 3), 4, in, true);
            assertTrue(worst(f, q) < 0.2, "int8 against float on random pixels: " + worst(f, q));
        }
    }

    /**
     * The presets in int8 run as ONNX Runtime's integer kernels from the pixels to the last dense layer, as its own profile
     * names them: no float convolution or pooling, and no float pass over the pixels, not even to pad them (once the notebook's model ran its
     * max pooling in float, between a dequantization and a reorder, and was 3× slower in int8 than in float).
     */
    @Test
    void int8PresetsRunAsIntegerKernelsFromThePixelsOn() throws Exception {
        Shape in = Shape.image(48, 64, 3);
        for (Model arch : List.of(Presets.seedCnn(in, 3), Presets.smallCnn(in, 3))) {
            try (LoteModel m = LoteModel.create(arch, List.of("0", "1", "2"), Resize.STRETCH, 5)) {
                trainABit(m);
                Path data = dev.lote.testing.Images.sampleFolder(dir.resolve(arch.name()), 3, 4, in.height(), in.width());
                var samples = dev.lote.data.ImageFolder.scan(data, List.of("0", "1", "2")).samples();
                Path int8 = dir.resolve(arch.name() + ".onnx");
                m.exportOnnxInt8(int8, false, true, samples.stream().map(dev.lote.data.ImageFolder.Sample::file).toList(), samples, 100,
                        new dev.lote.data.SkippedFiles(System.err));
                Map<String, Integer> kernels = kernelsRun(int8, in);
                System.out.printf("int8 %s in ONNX Runtime: %s%n", arch.name(), kernels);
                assertTrue(kernels.getOrDefault("QLinearConv", 0) >= 3, kernels.toString());
                for (String floatOp : List.of("Conv", "FusedConv", "Gemm", "MaxPool", "GlobalAveragePool", "Pad", "Cast", "Mul", "ReorderInput"))
                    assertFalse(kernels.containsKey(floatOp), floatOp + " runs in float: " + kernels);
            }
        }
    }

    /** The kernels ONNX Runtime runs for one batch of a file, by name, from its profile. */
    private Map<String, Integer> kernelsRun(Path onnx, Shape in) throws Exception {
        Map<String, Integer> kernels = new java.util.TreeMap<>();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.enableProfiling(dir.resolve("profile").toString());
            try (OrtSession s = ORT.createSession(onnx.toString(), o);
                 OnnxTensor t = OnnxTensor.createTensor(ORT, ByteBuffer.wrap(random(in, 2, 1)), new long[] {2, in.height(), in.width(), 3},
                         ai.onnxruntime.OnnxJavaType.UINT8);
                 OrtSession.Result r = s.run(Map.of("pixels", t))) {
                Path profile = Path.of(s.endProfiling());
                for (var e : new ObjectMapper().readTree(profile.toFile()))
                    if ("Node".equals(e.path("cat").asText()) && e.path("name").asText().endsWith("_kernel_time"))
                        kernels.merge(e.path("args").path("op_name").asText(), 1, Integer::sum);
                Files.delete(profile);
            }
        }
        return kernels;
    }

    /** A few steps so batch-norm statistics and biases are not their initial values (folding must be exact). */
    private static void trainABit(LoteModel m) {
        Shape in = m.architecture().inputShape();
        Batch b = new Batch(random(in, 6, 9), new int[] {0, 1, 2, 0, 1, 2}, in, Collections.nCopies(6, null));
        for (int i = 0; i < 5; i++) Engines.of(m).trainStep(b);
    }

    @ParameterizedTest
    @ValueSource(strings = {"seed_cnn", "residual_graph", "mobilenet_v2_035"})
    void importedKerasFixturesMatchKerasInOnnxRuntime(String name) throws Exception {
        Path keras = Fixtures.dir("keras");
        var meta = new ObjectMapper().readTree(keras.resolve("index.json").toFile());
        try (LoteModel m = LoteModel.importKeras(keras.resolve(name + ".keras"), null, null)) {
            matchesLote(m, true);
            Shape in = m.architecture().inputShape();
            float[] x = Fixtures.floats(keras.resolve(name + ".input.f32"));
            byte[] px = new byte[x.length];
            for (int i = 0; i < x.length; i++) px[i] = (byte) Math.round(x[i]);
            int n = (int) (x.length / in.size());
            float[][] got = ort(dir.resolve(m.architecture().name() + ".onnx"), px, n, in, true);
            float[] want = Fixtures.floats(keras.resolve(name + ".output.f32"));
            double w = 0;
            for (int i = 0; i < n; i++) for (int c = 0; c < got[i].length; c++) w = Math.max(w, Math.abs(got[i][c] - want[i * got[i].length + c]));
            System.out.printf("ONNX %s: largest difference from Keras %.2e%n", name, w);
            assertTrue(w < 1e-4, name + ": largest difference from Keras " + w);
            assertTrue(meta.get("models").size() > 0);
        }
    }

    @Test
    void metadataNamesTheClassesInOrderAndNchwInputWorks() throws Exception {
        Shape in = Shape.image(24, 32, 3);
        List<String> classes = List.of("zebra", "apple", "mango");
        try (LoteModel m = LoteModel.create(Presets.smallCnn(in, 3), classes, Resize.CROP, 1)) {
            Path onnx = dir.resolve("m.onnx");
            m.exportOnnx(onnx, true, false);
            try (OrtSession s = ORT.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
                Map<String, String> meta = s.getMetadata().getCustomMetadata();
                assertEquals(classes, List.of(new ObjectMapper().readValue(meta.get("classes"), String[].class)));
                assertEquals("24", meta.get("input_height"));
                assertEquals("crop", meta.get("resize"));
                assertEquals("nchw", meta.get("input_layout"));
                assertEquals(List.of(-1L, 3L, 24L, 32L), java.util.Arrays.stream(((ai.onnxruntime.TensorInfo) s.getInputInfo().get("pixels").getInfo()).getShape()).boxed().toList());
                byte[] px = random(in, 2, 4);
                float[] chw = new float[px.length];
                for (int i = 0; i < 2; i++) for (int y = 0; y < 24; y++) for (int x = 0; x < 32; x++) for (int c = 0; c < 3; c++)
                    chw[((i * 3 + c) * 24 + y) * 32 + x] = px[((i * 24 + y) * 32 + x) * 3 + c] & 0xff;
                try (OnnxTensor t = OnnxTensor.createTensor(ORT, FloatBuffer.wrap(chw), new long[] {2, 3, 24, 32}); var r = s.run(Map.of("pixels", t))) {
                    float[][] got = (float[][]) r.get(0).getValue();
                    float[][] lote = Engines.of(m).predict(new Batch(px, new int[2], in, Collections.nCopies(2, null)));
                    assertTrue(worst(lote, got) < 1e-5);
                }
            }
        }
    }

    /** lote calibrate's temperature travels with the model: into the file, predictions, and the ONNX graph. */
    @Test
    void aCalibratedModelKeepsItsTemperatureInTheFileAndInOnnx() throws Exception {
        Shape in = Shape.image(24, 32, 3);
        Path data = dev.lote.testing.Images.sampleFolder(dir.resolve("data"), 3, 6, 24, 32);
        Path image = data.resolve("1").resolve("1_0.jpg"), file = dir.resolve("c.lote");
        try (LoteModel m = LoteModel.create(Presets.smallCnn(in, 3), List.of("0", "1", "2"), Resize.STRETCH, 4)) {
            trainABit(m);
            float[] before = probabilities(m, image);
            var c = m.calibrate(data, 8);
            assertEquals(18, c.images());
            assertTrue(c.nllAfter() <= c.nllBefore() && c.temperature() != 1, c.toString());
            float[] after = probabilities(m, image);
            org.junit.jupiter.api.Assertions.assertArrayEquals(dev.lote.eval.Calibration.scale(before, c.temperature()), after, 1e-6f,
                    "predictions are softmax(logits / T)");
            m.save(file);
            byte[] px = random(in, 4, 2);
            float[][] raw = Engines.of(m).predict(new Batch(px, new int[4], in, Collections.nCopies(4, null)));
            for (int i = 0; i < raw.length; i++) raw[i] = dev.lote.eval.Calibration.scale(raw[i], c.temperature());
            Path onnx = dir.resolve("c.onnx");
            m.exportOnnx(onnx, false, true);
            assertTrue(worst(raw, ort(onnx, px, 4, in, true)) < 1e-5, "ONNX divides the logits by T: " + worst(raw, ort(onnx, px, 4, in, true)));
        }
        try (LoteModel loaded = LoteModel.load(file)) {
            assertTrue(loaded.info().calibration() != null, "the temperature survives the file");
            float[] p = probabilities(loaded, image);
            loaded.fit(dev.lote.data.Dataset.open(data), dev.lote.train.Recipe.defaults().withImageSize(in).withEpochs(1).withBatchSize(6)
                    .withValidationSplit(0));
            assertEquals(null, loaded.info().calibration(), "training on makes the old temperature meaningless: it is dropped");
            assertTrue(p.length == 3);
        }
    }

    private static float[] probabilities(LoteModel m, Path image) throws Exception {
        float[] p = new float[m.classes().size()];
        for (var r : m.predict(image).ranked()) p[m.classes().indexOf(r.className())] = (float) r.probability();
        return p;
    }

    @Test
    void aLayerTheExporterCannotExpressIsRefusedByName() throws Exception {
        Node x = Input.of(Shape.image(8, 8, 3));
        Node y = new ReLU().threshold(0.5).<ReLU>name("odd_relu").call(new Conv2D(4, 3).call(x));
        Model arch = new Model("odd", List.of(x), new Dense(2).activation(Activation.SOFTMAX).call(new GlobalAveragePooling2D().call(
                new BatchNormalization().call(y))));
        try (LoteModel m = LoteModel.create(arch, List.of("a", "b"), Resize.STRETCH, 1)) {
            Path onnx = dir.resolve("odd.onnx");
            var e = assertThrows(OnnxExport.UnsupportedLayerException.class, () -> m.exportOnnx(onnx, false, true));
            assertEquals("Layer 'odd_relu' (ReLU) cannot be exported to ONNX: a threshold other than 0.", e.getMessage());
            assertFalse(Files.exists(onnx));
        }
    }
}
