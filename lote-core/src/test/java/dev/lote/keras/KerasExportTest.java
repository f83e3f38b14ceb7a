package dev.lote.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lote.Engines;
import dev.lote.LoteModel;
import dev.lote.data.Batch;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import dev.lote.testing.Fixtures;
import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code .keras} files written by Lote have Keras' own layout and read back identically. */
class KerasExportTest {
    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"seed_cnn", "residual_graph", "mobilenet_v2_035"})
    void exportedFilesHoldKerasWeightPathsAndReadBackIdentically(String name) throws Exception {
        Path fixture = Fixtures.dir("keras").resolve(name + ".keras");
        Path out = dir.resolve(name + ".keras");
        try (LoteModel m = LoteModel.importKeras(fixture, null, null)) {
            m.exportKeras(out);
            assertEquals(datasets(fixture, false), datasets(out, false), "the weights sit where Keras puts them");
            try (LoteModel back = LoteModel.importKeras(out, null, null)) {
                assertEquals(m.architecture().toJson(), back.architecture().toJson());
                var a = Engines.of(m).weightValues();
                var b = Engines.of(back).weightValues();
                assertEquals(a.keySet(), b.keySet());
                a.forEach((k, v) -> assertArrayEquals(v, b.get(k), k));
                Shape in = m.architecture().inputShape();
                Batch x = randomBatch(in, 3);
                float[][] p = Engines.of(m).predict(x), q = Engines.of(back).predict(x);
                for (int i = 0; i < p.length; i++) assertArrayEquals(p[i], q[i]);
            }
        }
    }

    @Test
    void aLotePresetExportsAndReadsBack() throws Exception {
        Shape in = Shape.image(24, 32, 3);
        Path out = dir.resolve("small.keras");
        try (LoteModel m = LoteModel.create(Presets.smallCnn(in, 3), List.of("a", "b", "c"), dev.lote.image.Resize.STRETCH, 1)) {
            m.exportKeras(out);
            try (ZipFile z = new ZipFile(out.toFile())) {
                assertEquals(List.of("metadata.json", "config.json", "model.weights.h5"), Collections.list(z.entries()).stream().map(e -> e.getName()).toList());
            }
            try (LoteModel back = LoteModel.importKeras(out, List.of("a", "b", "c"), null)) {
                back.pixels("unit");
                Batch x = randomBatch(in, 4);
                float[][] p = Engines.of(m).predict(x), q = Engines.of(back).predict(x);
                for (int i = 0; i < p.length; i++) assertArrayEquals(p[i], q[i]);
                assertEquals(m.architecture().parameterCount(), back.architecture().parameterCount());
            }
        }
    }

    /** Every dataset's path and shape in a .keras file's weights (the optimizer's left out). */
    static TreeMap<String, String> datasets(Path keras, boolean optimizer) throws Exception {
        Path h5 = Files.createTempFile("w", ".h5");
        try (ZipFile z = new ZipFile(keras.toFile()); var in = z.getInputStream(z.getEntry("model.weights.h5"))) {
            Files.copy(in, h5, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        TreeMap<String, String> out = new TreeMap<>();
        try (HdfFile f = new HdfFile(h5)) {
            walk(f, out, optimizer);
        } finally {
            Files.delete(h5);
        }
        return out;
    }

    private static void walk(Group g, TreeMap<String, String> out, boolean optimizer) {
        for (Node n : g.getChildren().values()) {
            if (!optimizer && n.getPath().startsWith("/optimizer")) continue;
            if (n instanceof Dataset d) out.put(d.getPath(), java.util.Arrays.toString(d.getDimensions()));
            else if (n instanceof Group c) walk(c, out, optimizer);
        }
    }

    static Batch randomBatch(Shape in, int n) {
        byte[] b = new byte[Math.toIntExact(in.size() * n)];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < b.length; i++) b[i] = (byte) r.nextInt(256);
        return new Batch(b, new int[n], in, Collections.nCopies(n, null));
    }

}
