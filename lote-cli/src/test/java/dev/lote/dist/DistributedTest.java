package dev.lote.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.cli.Launcher;
import dev.lote.cli.Main;
import dev.lote.io.ModelFile;
import dev.lote.testing.Images;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data-parallel training in real processes on 127.0.0.1, through libtorch's c10d and Gloo. */
class DistributedTest {
    @TempDir static Path dir;
    static Path data;

    @BeforeAll
    static void data() {
        data = Images.sampleFolder(dir.resolve("data"), 3, 16, 24, 32);
    }

    /** The notebook's recipe, deterministic: no augmentation, no dropout, constant learning rate, no early stopping. */
    static List<String> train(Path out, int batch, int epochs, String... more) {
        List<String> args = new ArrayList<>(List.of("train", data.toString(), "--model", "seed-cnn", "--validation-split", "0.25",
                "--epochs", Integer.toString(epochs), "--batch-size", Integer.toString(batch), "--no-summary", "--no-report", "-o", out.toString()));
        args.addAll(List.of(more));
        return args;
    }

    record Launched(int code, String out, String err) {}

    static Launched launch(int nproc, List<String> args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Launcher.run(nproc, 1, 0, args, new PrintStream(out, true), new PrintStream(err, true));
        return new Launched(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void twoProcessesWithBatchBReachTheWeightsOfOneProcessWithBatch2B() throws Exception {
        Path alone = dir.resolve("alone.lote"), pair = dir.resolve("pair.lote");
        assertEquals(0, Main.run(train(alone, 6, 2).toArray(String[]::new)));
        Launched r = launch(2, train(pair, 3, 2));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("Joining 2 processes at 127.0.0.1:"), r.out());
        assertTrue(r.out().contains("Data-parallel over 2 processes"), r.out());
        assertFalse(r.out().contains("[rank 1]"), "only rank 0 prints progress");

        ModelFile a = ModelFile.load(alone), b = ModelFile.load(pair);
        assertEquals(12, b.info().optimizerSteps(), "36 training images / (3 × 2) per step × 2 epochs");
        assertEquals(a.info().optimizerSteps(), b.info().optimizerSteps());
        double worst = 0;
        assertEquals(a.weights().keySet(), b.weights().keySet());
        for (String k : a.weights().keySet()) {
            float[] x = a.weights().get(k), y = b.weights().get(k);
            for (int i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
        }
        assertTrue(worst < 1e-4, "largest weight difference " + worst);
        Map<String, List<Double>> ha = a.info().training().history(), hb = b.info().training().history();
        for (String metric : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
            for (int e = 0; e < 2; e++) assertEquals(ha.get(metric).get(e), hb.get(metric).get(e), 1e-4, metric + " is reduced over both ranks");
        }
        assertEquals(2, b.info().training().worldSize());
    }

    /** Fine-tuning over two processes: each computes phase 1 on every image (the same head), then phase 2 is data-parallel. */
    @Test
    void twoProcessesFineTuneABackboneInBothPhases() throws Exception {
        Path base = dir.resolve("backbone.lote"), alone = dir.resolve("tuned-alone.lote"), pair = dir.resolve("tuned-pair.lote");
        assertEquals(0, Main.run(new String[] {"train", data.toString(), "--epochs", "1", "--batch-size", "8", "--no-summary", "--no-report",
                "-o", base.toString()}));
        Function<Path, List<String>> tune = out -> List.of("train", data.toString(), "--backbone", base.toString(), "--cut",
                "global_average_pooling2d", "--head-epochs", "4", "--epochs", "2", "--early-stopping", "off", "--batch-size", "4",
                "--no-summary", "--no-report", "-o", out.toString());
        assertEquals(0, Main.run(tune.apply(alone).toArray(String[]::new)));
        Launched r = launch(2, tune.apply(pair));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("phase 1 trains a new head") && r.out().contains("Data-parallel over 2 processes"), r.out());
        ModelFile a = ModelFile.load(alone), b = ModelFile.load(pair);
        int phaseTwo = b.info().training().phaseTwoStart();
        assertEquals(a.info().training().phaseTwoStart(), phaseTwo);
        List<Double> la = a.info().training().history().get("loss"), lb = b.info().training().history().get("loss");
        assertEquals(phaseTwo + 2, lb.size(), "phase 1's epochs, then phase 2's: " + lb);
        for (int e = 0; e < phaseTwo; e++) assertEquals(la.get(e), lb.get(e), 1e-9, "phase 1 is the same head on every rank");
        for (int e = phaseTwo; e < lb.size(); e++) assertTrue(Double.isFinite(lb.get(e)), "phase 2 loss " + lb);
        assertEquals(2, b.info().training().worldSize());
    }

    @Test
    void whenARankDiesTheOtherStopsWithAMessageAndTheRunResumesFromItsCheckpoint() throws Exception {
        Path ck = dir.resolve("ck"), out = dir.resolve("killed.lote");
        int port = Launcher.freePort();
        List<Process> ranks = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++) {
            List<String> args = train(out, 1, 40, "--checkpoint", ck.toString(), "--world-size", "2", "--rank",
                    Integer.toString(rank), "--master", "127.0.0.1:" + port, "--dist-timeout", "20");
            ProcessBuilder pb = new ProcessBuilder(Launcher.javaCommand(args)).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("OMP_NUM_THREADS", "1");
            ranks.add(pb.redirectError(dir.resolve("rank" + rank + ".err").toFile()).start());
        }
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!Files.exists(ck.resolve("epoch-002.lote")) && System.nanoTime() < deadline && ranks.get(0).isAlive()) Thread.sleep(50);
            assertTrue(Files.exists(ck.resolve("epoch-002.lote")), "training got going: " + Files.readString(dir.resolve("rank0.err")));
            ranks.get(1).destroyForcibly();
            assertTrue(ranks.get(0).waitFor(60, TimeUnit.SECONDS), "rank 0 stops instead of hanging");
            assertEquals(1, ranks.get(0).exitValue());
            String err = Files.readString(dir.resolve("rank0.err"));
            assertTrue(err.contains("lote: Rank 0 of 2 lost contact with the other ranks"), err);
            assertFalse(Files.exists(out), "no model file from a failed run");
        } finally {
            ranks.forEach(Process::destroyForcibly);
        }
        Path last;
        try (Stream<Path> s = Files.list(ck)) {
            last = s.filter(p -> p.getFileName().toString().startsWith("epoch-")).sorted().reduce((x, y) -> y).orElseThrow();
        }
        int done = Integer.parseInt(last.getFileName().toString().replaceAll("\\D", ""));
        Launched r = launch(2, List.of("train", "--resume", last.toString(), "--epochs", Integer.toString(done + 1), "-o",
                out.toString(), "--no-summary", "--no-report"));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("at epoch " + (done + 1) + " of " + (done + 1)), r.out());
        assertEquals(done + 1, ModelFile.load(out).info().training().epochsDone());

        Launched wrong = launch(1, List.of("train", "--resume", last.toString(), "--epochs", Integer.toString(done + 1),
                "-o", dir.resolve("x.lote").toString()));
        assertEquals(2, wrong.code());
        assertTrue(wrong.err().contains("was trained by 2 process(es); resume it with the same number"), wrong.err());
    }

    /** Ranks that were not given the same job stop at once, naming the difference (issue 13, item 5). */
    @Test
    void ranksThatDisagreeOnTheirSettingsStopAndSayWhy() throws Exception {
        int port = Launcher.freePort();
        List<Process> ranks = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++) {
            List<String> args = train(dir.resolve("disagree.lote"), 2, 1, "--seed", Integer.toString(5 + rank), "--world-size", "2",
                    "--rank", Integer.toString(rank), "--master", "127.0.0.1:" + port, "--dist-timeout", "20");
            ProcessBuilder pb = new ProcessBuilder(Launcher.javaCommand(args)).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("OMP_NUM_THREADS", "1");
            ranks.add(pb.redirectError(dir.resolve("disagree" + rank + ".err").toFile()).start());
        }
        try {
            for (Process p : ranks) assertTrue(p.waitFor(90, TimeUnit.SECONDS), "a rank stops instead of hanging");
            String err = Files.readString(dir.resolve("disagree1.err"));
            assertEquals(2, ranks.get(1).exitValue(), err);
            assertTrue(err.contains("lote: Rank 1 of 2 and rank 0 disagree on the seed: 6 here, 5 there."), err);
            assertTrue(Files.readString(dir.resolve("disagree0.err")).contains("disagree on the seed"));
            assertFalse(Files.exists(dir.resolve("disagree.lote")));
        } finally {
            ranks.forEach(Process::destroyForcibly);
        }
    }
}
