package dev.lote.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lote.LoteModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model file written by Lote 0.1 (format 1) loads and predicts bit-identically, and saves again as format 2. */
class FormatOneTest {
    static final Path FIXTURE = Path.of("src/test/resources/model-files/v1");

    @Test
    void aVersionOneFilePredictsBitIdentically(@TempDir Path dir) throws Exception {
        try (LoteModel m = LoteModel.load(FIXTURE.resolve("model-v1.lote"))) {
            assertPredictionsAsRecorded(m);
            Path again = dir.resolve("v2.lote");
            m.save(again, null);
            try (LoteModel back = LoteModel.load(again)) {
                assertEquals(ModelFile.VERSION, back.info().formatVersion());
                m.weights().forEach((k, v) -> assertArrayEquals(v, back.weights().get(k), k)); // bit for bit
                for (String line : Files.readAllLines(FIXTURE.resolve("predictions.txt"))) { // and so the same answers, bit for bit
                    Path image = FIXTURE.resolve(line.split(" ")[0]);
                    assertEquals(m.predict(image), back.predict(image));
                }
                assertEquals(m.info().training().history(), back.info().training().history());
            }
        }
    }

    /**
     * The probabilities the format-1 code predicted when the file was made, to within float rounding: another CPU's
     * kernels (AVX-512 or not) may round the last bit of a sum differently.
     */
    private static void assertPredictionsAsRecorded(LoteModel m) throws Exception {
        for (String line : Files.readAllLines(FIXTURE.resolve("predictions.txt"))) {
            String[] f = line.split(" ");
            Map<String, Double> p = new HashMap<>();
            for (var r : m.predict(FIXTURE.resolve(f[0])).ranked()) p.put(r.className(), r.probability());
            List<String> classes = m.classes();
            for (int c = 0; c < classes.size(); c++) {
                float recorded = Float.intBitsToFloat(Integer.parseUnsignedInt(f[c + 1], 16));
                assertEquals(recorded, (float) (double) p.get(classes.get(c)), 4 * Math.ulp(recorded), f[0] + " class " + classes.get(c));
            }
        }
    }
}
