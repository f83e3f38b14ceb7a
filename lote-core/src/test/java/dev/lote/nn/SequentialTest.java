package dev.lote.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SequentialTest {
    @Test
    void seedCnnHasTheNotebooksParameterCountAndShapes() {
        Sequential m = Presets.seedCnn(Shape.image(768, 1024, 3), 14);
        assertEquals(18_447_248L, m.parameterCount());
        List<Model.Call> calls = m.calls().subList(1, m.calls().size()); // after the input
        assertEquals(List.of(30L, 64L, 0L, 4_640L, 0L, 0L, 18_441_660L, 854L),
                calls.stream().map(c -> c.layer().parameterCount(c.inputShapes())).toList());
        assertEquals(Shape.image(256, 341, 16), calls.get(2).output());
        assertEquals(Shape.image(85, 113, 32), calls.get(4).output());
        assertEquals(new Shape(307_360), calls.get(5).output());
        assertEquals(List.of("depthwise_conv2d/depthwise_kernel", "depthwise_conv2d/bias", "conv2d/kernel", "conv2d/bias",
                "conv2d_1/kernel", "conv2d_1/bias", "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"),
                List.copyOf(m.weightsByPath().keySet()));
        assertArrayEquals(new int[] {307_360, 60}, m.weightsByPath().get("dense/kernel").shape()); // Keras' (in, out)
    }

    @Test
    void summaryPrintsKerasTable() {
        String s = Summary.of(Presets.seedCnn(Shape.image(768, 1024, 3), 14));
        assertTrue(s.contains("│ max_pooling2d (MaxPooling2D)"), s);
        assertTrue(s.contains("(None, 256, 341, 16)"), s);
        assertTrue(s.contains("(None, 85, 113, 32)"), s);
        assertTrue(s.contains("conv2d_1 (Conv2D)"), s);
        assertTrue(s.contains("18,441,660"), s);
        assertTrue(s.contains("Total params: 18,447,248 (70.37 MB)"), s);
    }

    @Test
    void samePaddingWithStrideFollowsKeras() {
        // Keras: same → ceil(in / stride); valid → floor((in - k) / stride) + 1
        Shape out = new Conv2D(8, 3).strides(2).padding(Padding.SAME).outputShape(Shape.image(7, 10, 3));
        assertEquals(Shape.image(4, 5, 8), out);
        assertEquals(Shape.image(2, 3, 3), new MaxPooling2D(3).outputShape(Shape.image(8, 11, 3)));
        assertEquals(List.of(0, 1), List.of(Padding.SAME.amounts(10, 3, 2)[0], Padding.SAME.amounts(10, 3, 2)[1]));
    }

    @Test
    void specRoundTripsThroughKerasJson() {
        Sequential m = Presets.seedCnn(Shape.image(96, 128, 3), 5);
        String json = m.toJson();
        assertTrue(json.contains("\"class_name\" : \"Sequential\""), json);
        assertTrue(json.contains("\"class_name\" : \"DepthwiseConv2D\""), json);
        assertTrue(json.contains("\"kernel_size\" : [ 3, 3 ]"), json);
        Model back = Model.fromJson(json);
        assertTrue(back instanceof Sequential);
        assertEquals(m, back);
        assertEquals(json, back.toJson());
    }

    @Test
    void specFileMayLeaveOutInputShapeAndUseKerasDefaults(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.json");
        Files.writeString(file, """
                {"layers": [
                  {"type": "Conv2D", "filters": 4, "kernel_size": 3, "activation": "relu"},
                  {"type": "MaxPooling2D"},
                  {"type": "Flatten"},
                  {"type": "Dropout", "rate": 0.5},
                  {"type": "Dense", "units": 3, "activation": "softmax"}]}""");
        Model m = Presets.resolve(file.toString(), Shape.image(10, 12, 3), 3);
        assertEquals(Shape.image(10, 12, 3), m.inputShape());
        assertEquals(Shape.image(4, 5, 4), m.calls().get(2).output()); // valid 3x3 → 8x10, pool 2 → 4x5
        assertEquals(4 * 27 + 4 + 80 * 3 + 3, m.parameterCount());
    }

    @Test
    void badSpecsFailWithClearMessages(@TempDir Path dir) throws Exception {
        var e = assertThrows(IllegalArgumentException.class, () -> new Sequential(Shape.image(8, 8, 3),
                List.of(new Dense(4).activation(Activation.SOFTMAX))).classes());
        assertTrue(e.getMessage().contains("output must be flat"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Presets.seedCnn(Shape.image(4, 4, 3), 2));
        assertTrue(e.getMessage().contains("max_pooling2d_1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Conv2D(0, 3));
        assertTrue(e.getMessage().contains("filters must be positive"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Presets.resolve("resnet", Shape.image(8, 8, 3), 2));
        assertTrue(e.getMessage().contains("Available presets are: [small-cnn, seed-cnn]"), e.getMessage());
        Path file = dir.resolve("bad.json");
        Files.writeString(file, "{\"layers\": [{\"type\": \"Conv3D\"}]}");
        e = assertThrows(IllegalArgumentException.class, () -> Presets.resolve(file.toString(), Shape.image(8, 8, 3), 2));
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains("Conv3D"), e.getMessage());
        Files.writeString(file, "{\"layers\": [{\"type\": \"Flatten\"}, {\"type\": \"Dense\", \"units\": 3, \"activation\": \"softmax\"}]}");
        e = assertThrows(IllegalArgumentException.class, () -> Presets.resolve(file.toString(), Shape.image(8, 8, 3), 2));
        assertTrue(e.getMessage().contains("3 outputs but the data has 2 classes"), e.getMessage());
    }
}
