package dev.lote.keras;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.data.Batch;
import dev.lote.nn.Model;
import dev.lote.nn.Shape;
import dev.lote.testing.Python;
import dev.lote.torch.Network;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * keras.applications families saved by the real Keras 3 (random weights and batch-norm statistics, 64×64, logits)
 * import with Keras' parameter count and compute Keras' logits on the same pixels: EfficientNet's list-valued
 * Normalization axis, MobileNetV3's {@code x + 3.0} (an ops node with a number), ConvNeXt's LayerScale and
 * LayerNormalization, and an .h5 file.
 */
class KerasApplicationsTest {
    @TempDir Path dir;

    /** The files CI checks; {@code -Dlote.keras.files=ResNet50V2.keras,… -Dlote.keras.size=96} checks others by hand. */
    static final List<String> FILES = List.of(System.getProperty("lote.keras.files", "MobileNetV3Small.keras,EfficientNetB0.keras,"
            + "EfficientNetB0.h5,EfficientNetV2B0.keras,ConvNeXtTiny.keras,MobileNetV2.keras,ResNet50V2.keras,DenseNet121.keras,NASNetMobile.keras").split(","));
    static final int SIZE = Integer.getInteger("lote.keras.size", 64);

    @Test
    void keras3ApplicationsImportAndComputeAsKeras() throws Exception {
        Path python = Python.with("keras");
        List<String> args = new ArrayList<>(List.of(dir.toString(), Integer.toString(SIZE)));
        args.addAll(FILES);
        Python.Result made = Python.script(python, "keras_applications.py", args.toArray(String[]::new));
        assertEquals(0, made.exit(), made.output());
        Shape image = Shape.image(SIZE, SIZE, 3);
        int n = 2;
        byte[] pixels = new byte[Math.toIntExact(image.size() * n)];
        new SplittableRandom(8).nextBytes(pixels);
        ByteBuffer in = ByteBuffer.allocate(4 * pixels.length).order(ByteOrder.LITTLE_ENDIAN);
        for (byte b : pixels) in.putFloat(b & 0xff);
        List<Executable> checks = new ArrayList<>();
        List<float[]> lote = new ArrayList<>();
        for (String file : FILES) {
            String stem = file.replace('.', '_');
            Files.move(dir.resolve(file), dir.resolve(stem + (file.endsWith(".h5") ? ".h5" : ".keras")));
            KerasImport.Imported k = KerasImport.read(dir.resolve(stem + (file.endsWith(".h5") ? ".h5" : ".keras")), null);
            Model m = k.model();
            long keras = Long.parseLong(made.output().lines().filter(l -> l.startsWith(file + " ")).findFirst().orElseThrow().split(" ")[1]);
            checks.add(() -> assertEquals(keras, m.parameterCount(), file + ": parameters"));
            try (Network net = Network.build(m, 1).pixels(1, 0)) { // the model scales its own pixels
                net.setWeightValues(k.weights());
                float[][] rows = net.outputs(new Batch(pixels, new int[n], image, Collections.nCopies(n, null)));
                float[] flat = new float[rows.length * rows[0].length];
                for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
                lote.add(flat);
            }
            if (file.endsWith(".h5")) continue; // run_keras.py reads .keras files; the .h5 is the same model's
            Files.write(dir.resolve(stem + ".in"), in.array());
            Files.writeString(dir.resolve(stem + ".shape"), n + "," + SIZE + "," + SIZE + ",3");
        }
        Python.Result r = Python.script(python, "run_keras.py", dir.toString());
        assertEquals(0, r.exit(), r.output());
        for (int f = 0; f < FILES.size(); f++) {
            String file = FILES.get(f), stem = (file.endsWith(".h5") ? file.replace(".h5", ".keras") : file).replace('.', '_');
            float[] expected = floats(dir.resolve(stem + ".out")), actual = lote.get(f);
            checks.add(() -> {
                assertEquals(expected.length, actual.length, file);
                double worst = 0;
                for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - actual[i]) / Math.max(1, Math.abs(expected[i])));
                System.out.printf("%s: largest difference from Keras %.2e%n", file, worst);
                assertTrue(worst < 1e-4, file + ": largest difference from Keras' logits " + worst);
            });
        }
        assertAll(checks);
    }

    private static float[] floats(Path file) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }
}
