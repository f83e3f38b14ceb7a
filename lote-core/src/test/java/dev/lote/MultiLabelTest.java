package dev.lote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lote.data.Dataset;
import dev.lote.data.ImageFolder;
import dev.lote.eval.LabelEvaluation;
import dev.lote.image.Decoder;
import dev.lote.image.Resize;
import dev.lote.nn.Activation;
import dev.lote.nn.Adam;
import dev.lote.nn.Dense;
import dev.lote.nn.Layer;
import dev.lote.nn.Sequential;
import dev.lote.nn.Shape;
import dev.lote.sample.SampleImages;
import dev.lote.testing.Python;
import dev.lote.torch.Network;
import dev.lote.train.Recipe;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several labels per image: Keras' binary cross-entropy, thresholds per class, and the same label sets everywhere. */
class MultiLabelTest {
    @TempDir Path dir;

    @Test
    void theLossIsKerasBinaryCrossEntropyOnTheLabelSets() throws Exception {
        var py = Python.with("keras");
        float[] x = {1, 0, 0, 1, 1, 1, 0.5f, -1}; // 4 samples of 2 features
        float[] kernel = {2, -1, 0.5f, 0.3f, 1.5f, -2}; // (2 features, 3 classes)
        float[][] sets = {{1, 0, 0}, {0, 1, 1}, {1, 1, 1}}; // label i of a sample: these classes
        int[] y = {0, 1, 2, 1};
        float[][] logits = new float[4][3], targets = new float[4][];
        for (int i = 0; i < 4; i++) {
            for (int c = 0; c < 3; c++) logits[i][c] = x[2 * i] * kernel[c] + x[2 * i + 1] * kernel[3 + c];
            targets[i] = sets[y[i]];
        }
        List<Double> smoothing = List.of(0.0, 0.1);
        Python.Result keras = Python.script(py, "keras_loss.py", new ObjectMapper().writeValueAsString(smoothing.stream()
                .map(s -> Map.of("logits", logits, "targets", targets, "smoothing", s)).toList()));
        assertEquals(0, keras.exit(), keras.output());
        List<Double> expected = keras.output().lines().filter(l -> l.startsWith("loss ")).map(l -> Double.parseDouble(l.substring(5))).toList();
        for (int k = 0; k < smoothing.size(); k++) {
            try (Network net = Network.build(new Sequential("m", new Shape(2), List.<Layer>of(new Dense(3).activation(Activation.SIGMOID)
                    .<Dense>name("d"))), 1).optimizer(new Adam(1e-3)).labelSets(sets).labelSmoothing(smoothing.get(k))) {
                net.setWeightValues(Map.of("d/kernel", kernel, "d/bias", new float[3]));
                assertTrue(net.multiLabel());
                Network.StepResult r = net.trainStep(x, y);
                assertEquals(expected.get(k), r.lossSum() / 4, 1e-6, "smoothing " + smoothing.get(k));
                if (k == 0) assertEquals(0, r.correct(), "no sample has every class right at 0.5 (exact match)");
            }
        }
    }

    @Test
    void aLabelsFileWithSeveralLabelsTrainsAMultiLabelModelWhoseLabelSetsTheFileAndOnnxKeep() throws Exception {
        Path data = dir.resolve("tagged");
        SampleImages.writeMultiLabel(data, 4, 480, 64, 64, 7);
        Dataset d = Dataset.withLabels(data, data.resolve("labels.csv"), false, null);
        assertTrue(d.multiLabel());
        Recipe recipe = Recipe.defaults().withImageSize(Shape.image(64, 64, 3)).withEpochs(14).withEarlyStopping(null);
        Path file = dir.resolve("tags.lote");
        try (LoteModel m = TrainingRun.of(d, recipe).output(file).run().model()) {
            assertTrue(m.multiLabel());
            assertEquals(List.of("0", "1", "2", "3"), m.classes(), "the model's classes are the single labels");
            assertTrue(m.recipe().multiLabel(), "implied by the file, and recorded");
            assertEquals(Activation.SIGMOID, m.architecture().activation());
            double[] t = m.thresholds();
            assertTrue(Arrays.stream(t).distinct().count() > 1, "each class has its own threshold: " + Arrays.toString(t));

            LabelEvaluation e = m.evaluateLabels(d, 16);
            assertEquals(d.test().orElseThrow().samples().size(), e.images(), "the file's test rows");
            assertTrue(e.microF1() >= 0.8, "micro F1 on the test rows: " + e.table());
            System.out.print(e.table());
            assertTrue(e.meanAveragePrecision() > e.microF1() - 0.1, e.table());

            // the same label sets from Lote, from the saved file, and from ONNX Runtime with the thresholds in its metadata
            Path onnx = dir.resolve("tags.onnx");
            m.exportOnnx(onnx, false, true);
            List<Path> images = d.test().orElseThrow().samples().stream().map(ImageFolder.Sample::file).limit(24).toList();
            List<List<String>> lote = new ArrayList<>();
            for (Path p : images) lote.add(m.predict(p).labels());
            assertTrue(lote.stream().anyMatch(l -> l.size() > 1), "some image gets several labels: " + lote);
            try (LoteModel back = LoteModel.load(file)) {
                for (int i = 0; i < images.size(); i++) assertEquals(lote.get(i), back.predict(images.get(i)).labels());
            }
            assertEquals(lote, onnxLabels(onnx, images, m.classes()));
            assertTrue(m.report(null, 16).contains("<svg class=\"pr\""), "the report draws a precision-recall curve per class");
            lookedAtTheRightObject(m, data, d.test().orElseThrow().samples());
        }
    }

    /**
     * Grad-CAM for each class the model rightly finds in a test image peaks inside that class's object (of the 1 to 3
     * drawn, boxes.csv says where) for at least 80 % of them: it tells the objects of one image apart.
     */
    private static void lookedAtTheRightObject(LoteModel m, Path data, List<ImageFolder.Sample> test) throws Exception {
        Map<String, java.awt.Rectangle> boxes = new java.util.HashMap<>();
        List<String> lines = java.nio.file.Files.readAllLines(data.resolve("boxes.csv"));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            boxes.put(data.resolve(f[0]).normalize() + "|" + f[1], new java.awt.Rectangle(Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                    Integer.parseInt(f[4]), Integer.parseInt(f[5])));
        }
        int found = 0, inside = 0;
        for (ImageFolder.Sample s : test) {
            for (String c : m.predict(s.file()).labels()) {
                java.awt.Rectangle box = boxes.get(s.file().normalize() + "|" + c);
                if (box == null) continue; // a class the image does not have
                found++;
                var e = m.explain(s.file(), null, c);
                int best = 0;
                for (int i = 1; i < e.heat().length; i++) if (e.heat()[i] > e.heat()[best]) best = i;
                double x = (best % e.heatWidth() + 0.5) * 64 / e.heatWidth(), y = (best / e.heatWidth() + 0.5) * 64 / e.heatHeight();
                if (box.contains(x, y)) inside++;
            }
        }
        System.out.printf("Grad-CAM's peak inside the object for %d of %d classes found%n", inside, found);
        assertTrue(found >= 40, found + " classes found");
        assertTrue(inside >= 0.8 * found, "Grad-CAM's peak inside the class's object for " + inside + " of " + found);
    }

    private static List<List<String>> onnxLabels(Path onnx, List<Path> images, List<String> classes) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Decoder decoder = new Decoder();
        ByteBuffer pixels = ByteBuffer.allocateDirect(images.size() * 64 * 64 * 3);
        for (Path p : images) pixels.put(decoder.read(p, 64, 64, Resize.STRETCH).rgb());
        pixels.flip();
        try (OrtSession s = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
             OnnxTensor x = OnnxTensor.createTensor(env, pixels, new long[] {images.size(), 64, 64, 3}, ai.onnxruntime.OnnxJavaType.UINT8);
             OrtSession.Result r = s.run(Map.of("pixels", x))) {
            double[] t = new ObjectMapper().readValue(s.getMetadata().getCustomMetadata().get("thresholds"), double[].class);
            float[][] p = (float[][]) r.get(0).getValue();
            List<List<String>> out = new ArrayList<>();
            for (float[] row : p) {
                List<String> labels = new ArrayList<>();
                for (int c = 0; c < row.length; c++) if (row[c] >= t[c]) labels.add(classes.get(c));
                out.add(labels);
            }
            assertFalse(out.isEmpty());
            return out;
        }
    }
}
