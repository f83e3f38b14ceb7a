package dev.lote.keras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lote.Engines;
import dev.lote.LoteModel;
import dev.lote.data.Batch;
import dev.lote.nn.Model;
import dev.lote.nn.Shape;
import dev.lote.nn.Summary;
import dev.lote.testing.Fixtures;
import dev.lote.torch.Network;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Imported Keras and tfjs models predict what Keras and TensorFlow.js predicted (fixtures made with the real ones). */
class KerasImportTest {
    @ParameterizedTest
    @CsvSource({"seed_cnn,keras", "seed_cnn,h5", "residual_graph,keras", "residual_graph,h5", "mobilenet_v2_035,keras", "mobilenet_v2_035,h5"})
    void importedModelsPredictAsKerasDid(String name, String ext) throws Exception {
        Path dir = Fixtures.dir("keras");
        JsonNode meta = null;
        for (JsonNode m : new ObjectMapper().readTree(dir.resolve("index.json").toFile()).get("models")) if (m.get("model").asText().equals(name)) meta = m;
        try (LoteModel model = LoteModel.importKeras(dir.resolve(name + "." + ext), null, null)) {
            assertEquals(meta.get("parameters").asLong(), model.architecture().parameterCount(), Summary.of(model.architecture()));
            JsonNode shape = meta.get("input_shape");
            Shape in = Shape.image(shape.get(1).asInt(), shape.get(2).asInt(), shape.get(3).asInt());
            assertEquals(in, model.architecture().inputShape());
            float[][] p = Engines.of(model).predict(batch(Fixtures.floats(dir.resolve(name + ".input.f32")), shape.get(0).asInt(), in));
            float[] want = Fixtures.floats(dir.resolve(name + ".output.f32"));
            assertEquals(want.length, p.length * p[0].length);
            double worst = 0;
            for (int i = 0; i < p.length; i++) for (int c = 0; c < p[i].length; c++) worst = Math.max(worst, Math.abs(p[i][c] - want[i * p[i].length + c]));
            assertTrue(worst < 1e-4, name + "." + ext + ": largest difference from Keras " + worst);
        }
    }

    /** nsfwjs' bundled MobileNetV2 (tfjs layers, uint8 weights in JS modules): inner layers and predictions as tfjs computed them. */
    @Test
    void nsfwjsMobileNetMatchesTensorFlowJs() throws Exception {
        Path fixtures = Fixtures.dir("nsfwjs");
        Path pkg = Fixtures.npmPackage("nsfwjs", "4.4.0");
        long start = System.nanoTime();
        try (LoteModel model = LoteModel.importKeras(pkg.resolve("dist/models/mobilenet_v2/model.min.js"), null, null)) {
            System.out.printf("nsfwjs MobileNetV2: imported in %.2f s%n", (System.nanoTime() - start) / 1e9);
            assertEquals("1/255", model.info().preprocessing().scale(), "nsfwjs feeds pixels ÷ 255");
            Shape in = Shape.image(224, 224, 3);
            byte[] pixels = Files.readAllBytes(fixtures.resolve("input.u8"));
            Batch b = new Batch(pixels, new int[4], in, Collections.nCopies(4, null));
            JsonNode index = new ObjectMapper().readTree(fixtures.resolve("index.json").toFile());
            Map<String, float[]> weights = Engines.of(model).weightValues();
            for (JsonNode out : index.get("outputs")) {
                String layer = out.get("layer").asText();
                Model cut = model.architecture().upTo(layer);
                float[][] got;
                try (Network net = Network.build(cut, 0).pixels(1 / 255.0, 0)) {
                    net.setWeightValues(weights.entrySet().stream().filter(e -> cut.weightsByPath().containsKey(e.getKey()))
                            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
                    got = layer.equals("dense_3") ? net.predict(b) : net.outputs(b);
                }
                float[] want = Fixtures.floats(fixtures.resolve(out.get("file").asText()));
                double worst = 0;
                int k = got[0].length;
                for (int i = 0; i < got.length; i++) for (int j = 0; j < k; j++) worst = Math.max(worst, Math.abs(got[i][j] - want[i * k + j]));
                assertEquals(want.length, got.length * k, layer);
                assertTrue(worst < 1e-3, layer + ": largest difference from TensorFlow.js " + worst);
            }
        }
    }

    private static Batch batch(float[] x, int n, Shape in) {
        byte[] b = new byte[x.length];
        for (int i = 0; i < x.length; i++) b[i] = (byte) Math.round(x[i]);
        return new Batch(b, new int[n], in, Collections.nCopies(n, null));
    }

}
