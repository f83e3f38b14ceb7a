package dev.lote.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.testing.Images;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Runs the CLI in-process, as a user would type it, and checks exit codes and messages. */
class CliTest {
    record Run(int code, String out, String err) {}

    /** Runs {@code lote ARGS}; a train without {@code -o} writes its model to a temporary file, not the working folder. */
    static Run lote(String... args) {
        if (args.length > 0 && args[0].equals("train") && !List.of(args).contains("-o")) {
            try {
                Path out = Files.createTempFile("lote-test-", ".lote");
                out.toFile().deleteOnExit();
                args = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("-o", out.toString()))
                        .toArray(String[]::new);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            CommandLine cli = Main.commandLine();
            cli.setOut(new java.io.PrintWriter(System.out, true));
            cli.setErr(new java.io.PrintWriter(System.err, true));
            int code = cli.execute(args);
            return new Run(code, out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void distributedSettingsThatCannotWorkAreOneLineErrors() {
        Run r = lote("train", "somewhere", "--world-size", "2");
        assertEquals(2, r.code());
        assertEquals("lote: A world of 2 processes needs rank 0's address: --master HOST:PORT, or MASTER_ADDR and MASTER_PORT.", r.err().strip());
        r = lote("train", "somewhere", "--world-size", "2", "--rank", "2", "--master", "127.0.0.1:29500");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--rank must be 0 to 1 in a world of 2, got 2"), r.err());
        r = lote("train", "somewhere", "--world-size", "2", "--master", "127.0.0.1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--master expects HOST:PORT"), r.err());
        r = lote("launch", "--nproc", "2", "--", "evaluate", "m.lote", "dir");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("launch runs 'train'"), r.err());
        r = lote("launch", "--nproc", "0", "--", "train", "dir");
        assertEquals(2, r.code());
    }

    @Test
    void aWrongFlagGetsOneLineAndExitCode2() {
        Run r = lote("train", "somewhere", "--epoch", "3");
        assertEquals(2, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("lote: Unknown options: '--epoch'"), r.err());
        assertTrue(r.err().contains("lote train --help"), r.err());
        r = lote("train", "x", "--epochs", "zero");
        assertEquals(2, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        r = lote("train", "x", "--batch-size", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--batch-size must be positive, got 0"), r.err());
        r = lote("summary", "--input", "big");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Invalid shape 'big'"), r.err());
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : List.of("train", "inspect", "summary", "sample-data", "demo", "bench")) {
            Run r = lote(cmd, "--help");
            assertEquals(0, r.code(), cmd);
            assertTrue(r.out().contains("Usage: lote " + cmd), r.out());
        }
    }

    @Test
    void missingEmptyAndSingleClassFoldersExitWith2NamingTheFolder(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing");
        Run r = lote("train", missing.toString());
        assertEquals(2, r.code());
        assertEquals("lote: No such folder: " + missing + ". Expected a folder of class folders, e.g. DIR/cats/*.jpg.", r.err().strip());
        r = lote("train", dir.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("No class folders in " + dir), r.err());
        Images.write(dir.resolve("cats/a.jpg"), 8, 8, 0, "jpg");
        r = lote("train", dir.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Only one class folder in " + dir), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void summaryShowsTheSeedModel() {
        Run r = lote("summary");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("Total params: 18,447,248"), r.out());
        r = lote("summary", "--input", "96x128", "--classes", "3");
        assertTrue(r.out().contains("(None, 32, 42, 16)"), r.out());
    }

    @Test
    void sampleDataThenTrainRunsEndToEnd(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        assertEquals(0, lote("sample-data", data.toString(), "--classes", "3", "--per-class", "5", "--size", "24x32").code());
        try (var files = Files.walk(data)) {
            assertEquals(15, files.filter(p -> p.toString().endsWith(".jpg")).count());
        }
        Run r = lote("train", data.toString(), "--model", "seed-cnn", "--validation-split", "0", "--epochs", "2", "--batch-size", "4", "--no-summary");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Found 15 images in 3 classes"), r.out());
        assertTrue(r.out().contains("Epoch 2/2"), r.out());
        assertTrue(r.out().contains("3/3 - "), r.out()); // floor(15 / 4) batches
        assertTrue(r.out().contains("Trained seed-cnn for 2 epochs"), r.out());
    }

    @Test
    void foldersOfMixedSizesAreResizedToTheInputSize(@TempDir Path dir) throws Exception {
        Images.sampleFolder(dir, 2, 4, 24, 32);
        Images.write(dir.resolve("0/odd.png"), 40, 20, 0x123456, "png");
        Run r = lote("train", dir.toString(), "--epochs", "1", "--batch-size", "3", "--no-summary", "--resize", "crop");
        assertEquals(0, r.code(), r.err());
        r = lote("train", dir.toString(), "--model", "seed-cnn", "--epochs", "1", "--batch-size", "3", "--summary", "--image-size", "12x16");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(None, 12, 16, 3)"), r.out());
        assertEquals(2, lote("train", dir.toString(), "--resize", "squash").code());
    }

    @Test
    void badFilesAreNamedSkippedAndListedOrStopTheRunWithStrict(@TempDir Path dir) throws Exception {
        Images.sampleFolder(dir, 2, 6, 24, 32);
        Path text = Files.writeString(dir.resolve("1/notes.jpg"), "not a picture");
        Path empty = Files.createFile(dir.resolve("0/empty.jpg"));
        Run r = lote("train", dir.toString(), "--epochs", "2", "--batch-size", "4", "--no-summary");
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.contains(text.toString())).count(), "named once: " + r.err());
        assertTrue(r.err().contains("Skipping " + empty + ": empty file"), r.err());
        assertTrue(r.out().contains("Skipped 2 bad files:"), r.out());
        r = lote("train", dir.toString(), "--epochs", "2", "--batch-size", "4", "--no-summary", "--strict");
        assertEquals(3, r.code());
        assertTrue(r.err().contains(empty.toString()) || r.err().contains(text.toString()), r.err());
    }

    @Test
    void validationSplitAddsValMetricsToEveryEpoch(@TempDir Path dir) {
        Images.sampleFolder(dir, 3, 10, 24, 32);
        Run r = lote("train", dir.toString(), "--epochs", "2", "--batch-size", "4", "--no-summary", "--validation-split", "0.2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Using 24 images for training, 6 for validation"), r.out());
        assertEquals(2, r.out().lines().filter(l -> l.matches(".* - val_accuracy: \\d\\.\\d{4} - val_loss: \\d\\.\\d{4}")).count(), r.out());
    }

    @Test
    void trainAndValFoldersAreDetected(@TempDir Path dir) throws Exception {
        Images.sampleFolder(dir.resolve("train"), 2, 6, 24, 32);
        Images.sampleFolder(dir.resolve("val"), 2, 2, 24, 32);
        Run r = lote("train", dir.toString(), "--epochs", "1", "--batch-size", "4", "--no-summary");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Using 4 validation images from " + dir.resolve("val")), r.out());
        Images.write(dir.resolve("val/extra/a.png"), 24, 32, 0, "png");
        r = lote("train", dir.toString(), "--epochs", "1", "--no-summary");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unexpected [extra]"), r.err());
    }

    @Test
    void inspectNamesBadFilesAndDuplicatesAndExitsWith1(@TempDir Path dir) throws Exception {
        Images.sampleFolder(dir, 2, 3, 24, 32);
        Run clean = lote("inspect", dir.toString());
        assertEquals(0, clean.code(), clean.out() + clean.err());
        assertTrue(clean.out().contains("Sizes (HxW): 24x32 (6)"), clean.out());
        assertTrue(clean.out().contains("Formats: jpeg (6)"), clean.out());
        Files.copy(dir.resolve("0/0_0.jpg"), dir.resolve("1/copy.jpg"));
        Path text = Files.writeString(dir.resolve("1/notes.jpg"), "not a picture");
        Run r = lote("inspect", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.out().contains(text + ": not an image"), r.out());
        assertTrue(r.out().contains(dir.resolve("0/0_0.jpg") + " = " + dir.resolve("1/copy.jpg")), r.out());
        r = lote("inspect", dir.toString(), "--json");
        assertEquals(1, r.code());
        assertTrue(r.out().contains("\"badFiles\"") && r.out().contains("notes.jpg"), r.out());
        assertEquals(r.out(), lote("inspect", dir.toString(), "--format", "json").out(), "--json is --format json");
        Run wrong = lote("inspect", dir.toString(), "--format", "xml");
        assertEquals(2, wrong.code());
        assertEquals("lote: Unknown --format 'xml'. Expected table, json.", wrong.err().strip());
    }
}
