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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model files of every format this Lote has written (1: Lote 0.1's weights by position; 2: weights by path, Adam's
 * state, the run's record, a calibration) load and predict as they did when written, and save again as the current
 * format bit for bit.
 */
class FormatVersionsTest {
    @ParameterizedTest(name = "format {0}")
    @ValueSource(ints = {1, 2})
    void anOldFilePredictsBitIdentically(int version, @TempDir Path dir) throws Exception {
        Path fixture = Path.of("src/test/resources/model-files/v" + version);
        try (LoteModel m = LoteModel.load(fixture.resolve("model-v" + version + ".lote"))) {
            assertEquals(version, m.info().formatVersion());
            assertPredictionsAsRecorded(m, fixture);
            Path again = dir.resolve("v2.lote");
            m.save(again, null);
            try (LoteModel back = LoteModel.load(again)) {
                assertEquals(ModelFile.VERSION, back.info().formatVersion());
                m.weights().forEach((k, v) -> assertArrayEquals(v, back.weights().get(k), k)); // bit for bit
                for (String line : Files.readAllLines(fixture.resolve("predictions.txt"))) { // and so the same answers, bit for bit
                    Path image = fixture.resolve(line.split(" ")[0]);
                    assertEquals(m.predict(image), back.predict(image));
                }
                assertEquals(m.info().training().history(), back.info().training().history());
                assertEquals(m.info().calibration(), back.info().calibration());
            }
        }
    }

    /** Format 2 keeps what a run needs to go on: Adam's state and steps, the recipe, the split, the calibration. */
    @Test
    void aVersionTwoFileKeepsItsOptimizerRecipeAndCalibration() throws Exception {
        try (LoteModel m = LoteModel.load(Path.of("src/test/resources/model-files/v2/model-v2.lote"))) {
            var state = dev.lote.Engines.of(m).optimizerState();
            assertEquals(84, state.steps(), "12 epochs of 7 batches");
            assertEquals(m.weights().keySet().stream().filter(k -> !k.contains("moving_")).toList(), List.copyOf(state.moments().keySet()));
            assertEquals(12, m.recipe().epochs());
            assertEquals(30, m.info().training().trainFiles().size());
            assertEquals(0.6741221808073821, m.info().calibration().temperature(), 1e-12);
        }
    }

    /**
     * The probabilities the code of the file's format predicted when the file was made, to within float rounding: another CPU's
     * kernels (AVX-512 or not) may round the last bit of a sum differently.
     */
    private static void assertPredictionsAsRecorded(LoteModel m, Path fixture) throws Exception {
        for (String line : Files.readAllLines(fixture.resolve("predictions.txt"))) {
            String[] f = line.split(" ");
            Map<String, Double> p = new HashMap<>();
            for (var r : m.predict(fixture.resolve(f[0])).ranked()) p.put(r.className(), r.probability());
            List<String> classes = m.classes();
            for (int c = 0; c < classes.size(); c++) {
                float recorded = Float.intBitsToFloat(Integer.parseUnsignedInt(f[c + 1], 16));
                assertEquals(recorded, (float) (double) p.get(classes.get(c)), 4 * Math.ulp(recorded), f[0] + " class " + classes.get(c));
            }
        }
    }
}
