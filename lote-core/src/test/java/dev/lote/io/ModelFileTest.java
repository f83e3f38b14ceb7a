package dev.lote.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.Engines;
import dev.lote.LoteModel;
import dev.lote.image.Resize;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import dev.lote.testing.Images;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest {
    @TempDir Path dir;

    private LoteModel model() {
        return LoteModel.create(Presets.seedCnn(Shape.image(24, 32, 3), 3), List.of("a", "b", "c"), Resize.CROP, 9);
    }

    @Test
    void weightsAndOptimizerStateRoundTripBitExactlyAndPredictionsMatch() throws Exception {
        Path data = Images.sampleFolder(dir.resolve("data"), 3, 2, 24, 32);
        Path image = data.resolve("1/1_0.jpg");
        Path file = dir.resolve("m.lote");
        try (LoteModel m = model()) {
            // a step so that Adam's state is not all zeros
            var seq = new dev.lote.data.BatchSequence(List.of(image, data.resolve("2/2_1.jpg")), new int[] {1, 2}, 2, Shape.image(24, 32, 3));
            Engines.of(m).trainStep(seq.get(0));
            m.save(file, null);
            try (LoteModel back = LoteModel.load(file)) {
                var velocities = Engines.of(back).optimizerState().velocities();
                assertEquals(Engines.of(m).weightValues().keySet(), Engines.of(back).weightValues().keySet());
                Engines.of(m).weightValues().forEach((k, v) -> assertArrayEquals(v, Engines.of(back).weightValues().get(k), k));
                Engines.of(m).optimizerState().velocities().forEach((k, v) -> assertArrayEquals(v, velocities.get(k), k));
                assertEquals(1, Engines.of(back).optimizerState().steps());
                assertEquals(List.of("a", "b", "c"), back.classes());
                assertEquals("crop", back.info().preprocessing().resize());
                assertEquals(m.predict(image).ranked(), back.predict(image).ranked());
            }
        }
    }

    @Test
    void aFailedSaveLeavesThePreviousFileAndNoTemporaryFile() throws Exception {
        Path file = dir.resolve("m.lote");
        try (LoteModel m = model()) {
            m.save(file, null);
        }
        byte[] before = Files.readAllBytes(file);
        ModelFile good = ModelFile.load(file);
        var broken = new java.util.LinkedHashMap<>(good.weights());
        broken.put(broken.keySet().stream().reduce((a, b) -> b).orElseThrow(), null); // fails half-way through writing
        assertThrows(NullPointerException.class, () -> new ModelFile(good.info(), broken, null).save(file));
        assertArrayEquals(before, Files.readAllBytes(file));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    /** Issue 13: what a killed save left behind goes at the next save; a save in progress elsewhere is left alone. */
    @Test
    void theTemporaryFileOfAKilledSaveIsRemovedByTheNextSave() throws Exception {
        Path file = dir.resolve("m.lote");
        Path abandoned = Files.writeString(dir.resolve(".m.lote.123456.tmp"), "half a model");
        Files.setLastModifiedTime(abandoned, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 2 * 3_600_000));
        Path recent = Files.writeString(dir.resolve(".m.lote.789.tmp"), "another save, now");
        try (LoteModel m = model()) {
            m.save(file, null);
        }
        assertTrue(Files.notExists(abandoned));
        assertTrue(Files.exists(recent));
    }

    @Test
    void foreignDamagedAndFutureFilesGetClearMessages() throws Exception {
        Path text = Files.writeString(dir.resolve("notes.lote"), "hello");
        assertTrue(message(text).contains("damaged or not a Lote model file") || message(text).contains("not a Lote model file"), message(text));

        Path zip = dir.resolve("other.lote");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            z.putNextEntry(new ZipEntry("hello.txt"));
            z.write("hi".getBytes());
        }
        assertEquals(zip + ": not a Lote model file (no model.json inside)", message(zip));

        Path file = dir.resolve("m.lote");
        try (LoteModel m = model()) {
            m.save(file, null);
        }
        Path future = rewriteJson(file, dir.resolve("future.lote"), "\"format_version\" : 2", "\"format_version\" : 7");
        assertTrue(message(future).contains("format version 7 is not supported by this Lote, which reads versions 1 to 2; upgrade Lote"), message(future));

        byte[] b = Files.readAllBytes(file);
        Path cut = Files.write(dir.resolve("cut.lote"), java.util.Arrays.copyOf(b, b.length / 2));
        assertTrue(message(cut).startsWith(cut + ": damaged"), message(cut));
        assertEquals(dir.resolve("nope.lote") + ": no such file", message(dir.resolve("nope.lote")));
    }

    private static String message(Path p) {
        return assertThrows(ModelFileException.class, () -> LoteModel.load(p)).getMessage();
    }

    private static Path rewriteJson(Path from, Path to, String find, String replace) throws IOException {
        try (var in = new java.util.zip.ZipInputStream(Files.newInputStream(from));
             var out = new ZipOutputStream(Files.newOutputStream(to))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                byte[] data = in.readAllBytes();
                if (e.getName().equals("model.json")) data = new String(data).replace(find, replace).getBytes();
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(data);
            }
        }
        return to;
    }
}
