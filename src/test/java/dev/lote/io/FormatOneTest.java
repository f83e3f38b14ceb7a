package dev.lote.io;

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
                assertPredictionsAsRecorded(back);
                assertEquals(m.info().training().history(), back.info().training().history());
            }
        }
    }

    private static void assertPredictionsAsRecorded(LoteModel m) throws Exception {
        for (String line : Files.readAllLines(FIXTURE.resolve("predictions.txt"))) {
            String[] f = line.split(" ");
            Map<String, Double> p = new HashMap<>();
            for (var r : m.predict(FIXTURE.resolve(f[0])).ranked()) p.put(r.className(), r.probability());
            List<String> classes = m.classes();
            for (int c = 0; c < classes.size(); c++) {
                int bits = Float.floatToRawIntBits((float) (double) p.get(classes.get(c)));
                assertEquals(f[c + 1], Integer.toHexString(bits), f[0] + " class " + classes.get(c));
            }
        }
    }
}
