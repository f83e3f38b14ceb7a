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

    /** Exports, runs 3 random images in TFLite, compares with Lote; returns the file's metadata JSON. */
    private String matchesLote(Path python, LoteModel m, String name) throws Exception {
        Path file = dir.resolve(name + ".tflite"), in = dir.resolve(name + ".in"), out = dir.resolve(name + ".out");
        m.exportTflite(file);
        Shape s = m.architecture().inputShape();
        int n = 3;
        byte[] px = new byte[Math.toIntExact(s.size() * n)];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < px.length; i++) px[i] = (byte) r.nextInt(256);
        ByteBuffer f = ByteBuffer.allocate(4 * px.length).order(ByteOrder.LITTLE_ENDIAN);
        for (byte b : px) f.putFloat(b & 0xff);
        Files.write(in, f.array());
        Python.Result res = Python.script(python, "run_tflite.py", file.toString(), in.toString(), Integer.toString(n), out.toString());
        assertEquals(0, res.exit(), res.output());
        float[][] lote = Engines.of(m).predict(new Batch(px, new int[n], s, Collections.nCopies(n, null)));
        ByteBuffer got = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        double worst = 0;
        for (float[] row : lote) for (float p : row) worst = Math.max(worst, Math.abs(p - got.getFloat()));
        System.out.printf("TFLite %s: largest difference from Lote %.2e%n", name, worst);
        assertTrue(worst < 1e-5, name + ": largest difference from Lote " + worst);
        return res.output().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow(() -> new AssertionError(res.output()));
    }

    private static void trainABit(LoteModel m) {
        Shape in = m.architecture().inputShape();
        byte[] b = new byte[Math.toIntExact(in.size() * 6)];
        new SplittableRandom(9).nextBytes(b);
        Batch batch = new Batch(b, new int[] {0, 1, 2, 0, 1, 2}, in, Collections.nCopies(6, null));
        for (int i = 0; i < 5; i++) Engines.of(m).trainStep(batch);
    }
}
