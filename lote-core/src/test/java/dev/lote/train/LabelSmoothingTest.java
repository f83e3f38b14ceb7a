package dev.lote.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lote.nn.Activation;
import dev.lote.nn.Adam;
import dev.lote.nn.Dense;
import dev.lote.nn.Layer;
import dev.lote.nn.Sequential;
import dev.lote.nn.Shape;
import dev.lote.testing.Python;
import dev.lote.torch.Network;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Label smoothing and class weights give the loss the real Keras computes on the same logits. */
class LabelSmoothingTest {
    @Test
    void theLossIsKerasCategoricalCrossEntropyWithLabelSmoothingAndSampleWeights() throws Exception {
        var py = Python.with("keras");
        float[] x = {1, 0, 0, 1, 1, 1, 0.5f, -1}; // 4 samples of 2 features
        int[] y = {0, 1, 2, 2};
        float[] kernel = {2, -1, 0.5f, 0.3f, 1.5f, -2}; // (2 features, 3 classes)
        float[] weights = {1, 3, 0.5f};
        float[][] logits = new float[4][3];
        for (int i = 0; i < 4; i++) for (int c = 0; c < 3; c++) logits[i][c] = x[2 * i] * kernel[c] + x[2 * i + 1] * kernel[3 + c];
        List<float[]> sampleWeights = List.of(new float[] {1, 1, 1, 1}, new float[] {weights[0], weights[1], weights[2], weights[2]});
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        Python.Result keras = Python.script(py, "keras_loss.py", mapper.writeValueAsString(sampleWeights.stream()
                .map(w -> Map.of("logits", logits, "labels", y, "smoothing", 0.1, "sample_weight", w)).toList()));
        assertEquals(0, keras.exit(), keras.output());
        List<Double> expected = keras.output().lines().filter(l -> l.startsWith("loss ")).map(l -> Double.parseDouble(l.substring(5))).toList();
        for (Activation last : List.of(Activation.SOFTMAX, Activation.LINEAR)) {
            for (int weighted = 0; weighted < 2; weighted++) {
                try (Network net = Network.build(new Sequential("m", new Shape(2), List.<Layer>of(new Dense(3).activation(last).<Dense>name("d"))), 1)
                        .optimizer(new Adam(1e-3)).labelSmoothing(0.1).classWeights(weighted == 1 ? weights : null)) {
                    net.setWeightValues(Map.of("d/kernel", kernel, "d/bias", new float[3]));
                    assertEquals(expected.get(weighted), net.trainStep(x, y).lossSum() / 4, 1e-5, last + (weighted == 1 ? ", weighted" : ""));
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Recipe.defaults().withLabelSmoothing(1));
    }
}
