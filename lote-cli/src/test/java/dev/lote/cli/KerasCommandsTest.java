package dev.lote.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.LoteModel;
import dev.lote.io.ModelFile;
import dev.lote.testing.Fixtures;
import dev.lote.testing.Images;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lote import / export / train --model FILE, as a user runs them, and what bad Keras files get. */
class KerasCommandsTest {
    @TempDir Path dir;

    private static CliTest.Run lote(String... args) { return CliTest.lote(args); }

    @Test
    void importedModelsSaveExportAndFineTune() throws Exception {
        Path keras = Fixtures.dir("keras");
        Path data = Images.sampleFolder(dir.resolve("data"), 3, 6, 48, 64);
        Path imported = dir.resolve("seed.lote");
        CliTest.Run r = lote("import", keras.resolve("seed_cnn.h5").toString(), "-o", imported.toString(), "--classes-from", data.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Total params: 72,177"), r.out());
        assertEquals(List.of("0", "1", "2"), ModelFile.load(imported).info().classes());
        assertEquals("1", ModelFile.load(imported).info().preprocessing().scale(), "the model has its own Rescaling");

        Path exported = dir.resolve("again.keras");
        r = lote("export", imported.toString(), "--format", "keras", "-o", exported.toString());
        assertEquals(0, r.code(), r.err());
        try (LoteModel a = LoteModel.load(imported); LoteModel b = LoteModel.importKeras(exported, null, null)) {
            assertEquals(a.architecture().toJson(), b.architecture().toJson());
        }

        // fine-tuning from the imported weights: the run starts where Keras' model was, and saves a normal model
        Path tuned = dir.resolve("tuned.lote");
        r = lote("train", data.toString(), "--model", imported.toString(), "--epochs", "2", "--batch-size", "4", "--no-summary",
                "--no-report", "-o", tuned.toString());
        assertEquals(0, r.code(), r.err());
        ModelFile t = ModelFile.load(tuned);
        assertEquals(2, t.info().training().history().get("loss").size());
        assertEquals(ModelFile.load(imported).architecture().parameterCount(), t.architecture().parameterCount());
    }

    @Test
    void badKerasFilesGetOneLineAndExitThree() throws Exception {
        Path tfjs = Files.createDirectories(dir.resolve("tfjs"));
        Files.writeString(tfjs.resolve("model.json"), """
                {"modelTopology": {"model_config": {"class_name": "Sequential", "config": {"layers": [
                  {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 3]}},
                  {"class_name": "Lambda", "config": {"name": "my_lambda"}}]}}}, "weightsManifest": []}""");
        CliTest.Run r = lote("import", tfjs.toString(), "-o", dir.resolve("x.lote").toString());
        assertEquals(3, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("Layer 'my_lambda' is a Lambda, which Lote does not support. Supported layers: Activation, Add,"), r.err());

        byte[] whole = Files.readAllBytes(Fixtures.dir("keras").resolve("seed_cnn.keras"));
        Path cut = Files.write(dir.resolve("cut.keras"), java.util.Arrays.copyOf(whole, whole.length / 2));
        r = lote("import", cut.toString(), "-o", dir.resolve("x.lote").toString());
        assertEquals(3, r.code());
        assertTrue(r.err().contains(cut + ": damaged zip"), r.err());

        // a weight missing from the shards is named, with its layer
        Files.writeString(tfjs.resolve("model.json"), """
                {"modelTopology": {"model_config": {"class_name": "Sequential", "config": {"layers": [
                  {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 3]}},
                  {"class_name": "Flatten", "config": {"name": "flatten"}},
                  {"class_name": "Dense", "config": {"name": "out", "units": 2, "activation": "softmax"}}]}}},
                 "weightsManifest": [{"paths": ["w.bin"], "weights": [{"name": "out/kernel", "shape": [192, 2], "dtype": "float32"}]}]}""");
        Files.write(tfjs.resolve("w.bin"), new byte[192 * 2 * 4]);
        r = lote("import", tfjs.toString(), "-o", dir.resolve("x.lote").toString());
        assertEquals(3, r.code());
        assertTrue(r.err().contains("weight out/bias ([2]) of layer 'out' (Dense) is missing"), r.err());
        Files.write(tfjs.resolve("w.bin"), new byte[100]);
        r = lote("import", tfjs.toString(), "-o", dir.resolve("x.lote").toString());
        assertTrue(r.err().contains("the weight shards end before weight out/kernel"), r.err());
        assertFalse(Files.exists(dir.resolve("x.lote")), "nothing is written for a file that cannot be imported");

        r = lote("export", dir.resolve("none.lote").toString(), "--format", "keras", "-o", dir.resolve("y.keras").toString());
        assertEquals(3, r.code());
        r = lote("export", dir.resolve("none.lote").toString(), "--format", "coreml", "-o", dir.resolve("y.mlmodel").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("onnx, keras, tflite") || r.err().contains("onnx, keras or tflite"), r.err());
        r = lote("export", dir.resolve("none.lote").toString(), "--format", "tflite", "-o", dir.resolve("y.tflite").toString());
        assertEquals(3, r.code());
        assertFalse(Files.exists(dir.resolve("y.tflite")));
    }
}
