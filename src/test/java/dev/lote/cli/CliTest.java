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

    static Run lote(String... args) {
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
        for (String cmd : List.of("train", "summary", "sample-data", "demo", "bench")) {
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
        Run r = lote("train", data.toString(), "--epochs", "2", "--batch-size", "4", "--no-summary");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Found 15 images in 3 classes"), r.out());
        assertTrue(r.out().contains("Epoch 2/2"), r.out());
        assertTrue(r.out().contains("3/3 - "), r.out()); // floor(15 / 4) batches
        assertTrue(r.out().contains("Trained seed-cnn for 2 epochs on 12 images"), r.out());
    }

    @Test
    void anImageOfAnotherSizeStopsTrainingNamingTheFile(@TempDir Path dir) throws Exception {
        Images.write(dir.resolve("a/1.png"), 16, 16, 0, "png");
        Images.write(dir.resolve("b/2.png"), 16, 16, 0, "png");
        Path odd = Images.write(dir.resolve("b/3.png"), 20, 16, 0, "png");
        Run r = lote("train", dir.toString(), "--epochs", "1", "--batch-size", "3", "--no-summary");
        assertEquals(3, r.code());
        assertTrue(r.err().contains(odd.toString()) && r.err().contains("20x16"), r.err());
    }
}
