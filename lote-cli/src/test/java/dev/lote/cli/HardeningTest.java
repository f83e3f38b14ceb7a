package dev.lote.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.LoteModel;
import dev.lote.io.ModelFile;
import dev.lote.io.ModelFileException;
import dev.lote.testing.Images;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13's cases: files deleted during training, unwritable outputs, model files that lie about their arrays. */
class HardeningTest {
    @TempDir static Path dir;
    static Path model;

    @BeforeAll
    static void trainOne() {
        Path data = Images.sampleFolder(dir.resolve("small"), 3, 4, 24, 32);
        model = dir.resolve("m.lote");
        CliTest.Run r = CliTest.lote("train", data.toString(), "--epochs", "1", "--batch-size", "4", "--no-summary", "--no-report",
                "--validation-split", "0", "-o", model.toString());
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void anImageDeletedWhileTrainingRunsCostsThatImageNotTheRun() throws Exception {
        Path data = Images.sampleFolder(dir.resolve("deleting"), 3, 12, 48, 64), ck = dir.resolve("ck"), out = dir.resolve("survived.lote");
        Path victim = data.resolve("1/1_3.jpg");
        CompletableFuture<CliTest.Run> run = CompletableFuture.supplyAsync(() -> CliTest.lote("train", data.toString(), "--epochs", "5",
                "--batch-size", "4", "--no-summary", "--no-report", "--checkpoint", ck.toString(), "--workers", "1", "-o", out.toString()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(ck.resolve("epoch-001.lote")) && System.nanoTime() < deadline && !run.isDone()) Thread.sleep(20);
        Files.delete(victim); // after the first epoch read it
        CliTest.Run r = run.get(180, TimeUnit.SECONDS);
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(Files.exists(out), "the model is written");
        assertEquals(5, ModelFile.load(out).info().training().history().get("loss").size());
        if (!r.out().contains("Epoch 5/5")) throw new AssertionError(r.out());
    }

    @Test
    void anOutputThatCannotBeWrittenIsRefusedBeforeTraining() throws Exception {
        Path data = dir.resolve("small");
        Path notAFolder = Files.writeString(dir.resolve("a-file.txt"), "x");
        CliTest.Run r = CliTest.lote("train", data.toString(), "--epochs", "1", "--no-summary", "--no-report", "-o",
                notAFolder.resolve("model.lote").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("lote: Cannot write the model to " + notAFolder.resolve("model.lote") + ": "), r.err());
        assertFalse(r.out().contains("Epoch"), "refused before training");
    }

    @Test
    void anArrayThatClaimsGigabytesIsRefusedBeforeAllocation() throws Exception {
        Path bad = rewrite(model, dir.resolve("huge.lote"), "weights/dense/kernel.f32", e -> {
            byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0x7fffffff).putInt(0).array();
            return b;
        }, false);
        var e = assertThrows(ModelFileException.class, () -> LoteModel.load(bad));
        assertTrue(e.getMessage().startsWith(bad + ": damaged or not a Lote model file (weights/dense/kernel.f32 says it holds 2147483647 values; "
                + "the architecture needs"), e.getMessage());
    }

    @Test
    void classNamesThatDoNotMatchTheOutputsAreRefused() throws Exception {
        Path bad = rewrite(model, dir.resolve("classes.lote"), "model.json",
                json -> new String(json).replaceFirst("\"classes\" : \\[ \"0\", \"1\", \"2\" \\]", "\"classes\" : [ \"0\", \"1\" ]").getBytes(), true);
        var e = assertThrows(ModelFileException.class, () -> LoteModel.load(bad));
        assertEquals(bad + ": damaged: 2 class names for a model with 3 outputs", e.getMessage());
        CliTest.Run r = CliTest.lote("predict", bad.toString(), dir.resolve("small/0/0_0.jpg").toString());
        assertEquals(3, r.code(), r.err());
    }

    @Test
    void aHugeModelJsonIsRefused() throws Exception {
        Path bad = dir.resolve("bigjson.lote");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(bad))) {
            z.putNextEntry(new ZipEntry("model.json"));
            byte[] spaces = new byte[1 << 20];
            java.util.Arrays.fill(spaces, (byte) ' ');
            for (int i = 0; i < 65; i++) z.write(spaces);
        }
        assertTrue(Files.size(bad) < 1 << 20, "small on disk");
        var e = assertThrows(ModelFileException.class, () -> LoteModel.load(bad));
        assertEquals(bad + ": damaged: model.json is over 64 MB", e.getMessage());
    }

    @Test
    void aRunWhoseLossBecomesNanWritesNothingAndFails() throws Exception {
        Path data = dir.resolve("small"), out = dir.resolve("nan.lote");
        Files.writeString(out, "the previous model");
        CliTest.Run r = CliTest.lote("train", data.toString(), "--model", "seed-cnn", "--learning-rate", "1e12", "--epochs", "3",
                "--batch-size", "2", "--no-summary", "--no-report", "-o", out.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("lote: Training diverged (the loss became NaN"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertEquals("the previous model", Files.readString(out), "the previous file is untouched");
    }

    @Test
    void aResumeKeepsItsSeedAndBatchesAndSaysWhenTheDataChanged() throws Exception {
        Path data = Images.sampleFolder(dir.resolve("resume"), 2, 6, 24, 32), ck = dir.resolve("rck");
        CliTest.Run r = CliTest.lote("train", data.toString(), "--epochs", "3", "--batch-size", "4", "--seed", "5", "--no-summary",
                "--no-report", "--checkpoint", ck.toString(), "-o", dir.resolve("r.lote").toString());
        assertEquals(0, r.code(), r.err());
        String first = ck.resolve("epoch-001.lote").toString();
        r = CliTest.lote("train", "--resume", first, "--seed", "7", "-o", dir.resolve("r2.lote").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("The seed 7 differs from the run's seed 5"), r.err());
        r = CliTest.lote("train", "--resume", first, "--batch-size", "2", "-o", dir.resolve("r2.lote").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("The batch size 2 differs from the run's 4"), r.err());
        Files.writeString(data.resolve("0/0_1.jpg"), "rewritten"); // the folder changed
        r = CliTest.lote("train", "--resume", first, "--no-summary", "--no-report", "-o", dir.resolve("r2.lote").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning: the run's images changed since it started"), r.err());
    }

    interface Edit {
        byte[] apply(byte[] content) throws IOException;
    }

    /** A copy of a model file with one entry's bytes changed (deflated, so its size is not in the local header). */
    static Path rewrite(Path from, Path to, String entry, Edit edit, boolean keepOthers) throws IOException {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(from)); ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(to))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                byte[] b = in.readAllBytes();
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(e.getName().equals(entry) ? edit.apply(b) : b);
                out.closeEntry();
            }
        }
        return to;
    }
}
