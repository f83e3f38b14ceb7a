package dev.lote.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.io.ModelFile;
import dev.lote.nn.Torchvision;
import dev.lote.nn.Weight;
import dev.lote.sample.SampleImages;
import dev.lote.testing.Images;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lote train --backbone: both phases learn, the history keeps both, a resumed phase 2 ends where an unbroken one does. */
class FineTuneTest {
    @TempDir Path dir;

    record Run(int code, String out, String err) {}

    static Run lote(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream o = System.out, e = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return new Run(dev.lote.cli.Main.run(args), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    /**
     * A small-cnn trained for {@code epochs} on {@code perClass} sample images per class (seed 1 where given), and a
     * second set of the same kinds ({@code perClassB} each, from {@code seedB}) to fine-tune it on: {backbone, set}.
     */
    private Path[] backboneAndSet(int perClass, String[] training, int perClassB, long seedB) {
        Path a = Images.sampleFolder(dir.resolve("a"), 3, perClass, 48, 64), b = dir.resolve("b");
        SampleImages.write(b, 3, perClassB, 48, 64, seedB);
        Path base = dir.resolve("base.lote");
        Run r = lote(concat(new String[] {"train", a.toString(), "--batch-size", "8", "--no-summary", "--no-report", "-o", base.toString()},
                training));
        assertEquals(0, r.code(), r.err());
        return new Path[] {base, b};
    }

    /** A network trained on one set of photos is a backbone for another set of the same kinds. */
    @Test
    void aTrainedModelCutAtItsPoolingIsABackboneThatLearnsInBothPhases() throws Exception {
        Path[] set = backboneAndSet(20, new String[] {"--epochs", "12", "--seed", "1"}, 15, 99);
        Path base = set[0], b = set[1], tuned = dir.resolve("tuned.lote");
        Run r = lote("train", b.toString(), "--backbone", base.toString(), "--cut", "global_average_pooling2d", "--head-epochs", "15",
                "--epochs", "3", "--batch-size", "8", "--no-summary", "--no-report", "-o", tuned.toString(), "--seed", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("phase 1 trains a new head on its features"), r.out());
        var h = ModelFile.load(tuned).info().training().history();
        int phaseTwo = ModelFile.load(tuned).info().training().phaseTwoStart();
        assertEquals(phaseTwo + 3, h.get("loss").size(), "phase 1's epochs, then phase 2's");
        double head = h.get("val_accuracy").subList(0, phaseTwo).stream().mapToDouble(Double::doubleValue).max().orElse(0);
        double whole = h.get("val_accuracy").subList(phaseTwo, h.get("val_accuracy").size()).stream().mapToDouble(Double::doubleValue).max().orElse(0);
        assertTrue(head >= 0.6 && whole >= 0.6, "chance is 0.33; validation accuracy per epoch " + h.get("val_accuracy"));
        r = lote("predict", tuned.toString(), b.resolve("1").toString(), "--format", "csv");
        assertEquals(0, r.code(), r.err());
    }

    /** --unfreeze N: phase 2 changes the backbone's top N convolutions and leaves every layer below them as it was. */
    @Test
    void unfreezeTrainsOnlyTheTopLayers() throws Exception {
        Path[] set = backboneAndSet(12, new String[] {"--epochs", "2", "--seed", "1"}, 10, 98);
        Path base = set[0], b = set[1];
        String[] tune = {"train", b.toString(), "--backbone", base.toString(), "--cut", "global_average_pooling2d", "--head-epochs", "3",
                "--epochs", "2", "--early-stopping", "off", "--batch-size", "8", "--no-summary", "--no-report", "--seed", "2"};
        Run r = lote(concat(tune, new String[] {"--unfreeze", "-1"}));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--unfreeze takes a number of layers"), r.err());
        Path tuned = dir.resolve("tuned.lote");
        r = lote(concat(tune, new String[] {"--unfreeze", "1", "-o", tuned.toString()}));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("the backbone's top 1 of "), r.out());
        Map<String, float[]> before = ModelFile.load(base).weights(), after = ModelFile.load(tuned).weights();
        List<String> convs = before.keySet().stream().filter(k -> k.matches("conv2d(_\\d+)?/kernel")).sorted(java.util.Comparator
                .comparingInt(k -> k.equals("conv2d/kernel") ? 0 : Integer.parseInt(k.replaceAll("\\D", "")))).toList();
        assertTrue(convs.size() >= 3, "small-cnn's convolutions: " + convs);
        for (String k : before.keySet()) {
            if (k.startsWith("dense")) continue; // the old head, cut away
            float[] was = before.get(k), now = after.entrySet().stream().filter(e -> e.getKey().endsWith("/" + k)).findFirst().orElseThrow().getValue();
            boolean top = k.startsWith(convs.get(convs.size() - 1).replace("/kernel", "/"));
            assertEquals(!top, java.util.Arrays.equals(was, now), k + (top ? " should have trained" : " should be frozen"));
        }
    }

    /**
     * lr-find --backbone runs phase 1, then sweeps phase 2 and draws its curve; train --learning-rate auto refuses a backbone
     * (one rate drives both phases) in one line.
     */
    @Test
    void lrFindOnABackboneSweepsPhaseTwo() throws Exception {
        Path[] set = backboneAndSet(12, new String[] {"--epochs", "1"}, 10, 97);
        Path base = set[0], b = set[1], plot = dir.resolve("lr.html");
        String[] backbone = {"--backbone", base.toString(), "--cut", "global_average_pooling2d", "--head-epochs", "3", "--batch-size", "6"};
        Run r = lote(concat(new String[] {"lr-find", b.toString(), "--steps", "20", "--plot", plot.toString()}, backbone));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("phase 1 trains a new head") && r.out().contains("Phase 2: "), r.out());
        assertTrue(r.out().contains("Suggested learning rate: ") || r.out().contains("phase 1's head is already at its best"), r.out());
        assertTrue(Files.readString(plot).contains("<polyline class=\"loss\""));
        r = lote(concat(new String[] {"train", b.toString(), "--learning-rate", "auto"}, backbone));
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("--learning-rate auto does not apply with --backbone"), r.err());
    }

    /** torchvision's architecture with a .safetensors file; a run resumed in phase 2 ends with the unbroken run's loss. */
    @Test
    void aTorchvisionBackboneResumesInPhaseTwoExactly() throws Exception {
        Path data = Images.sampleFolder(dir.resolve("d"), 2, 8, 60, 80);
        Path weights = randomSafetensors("mobilenet_v3_small", dir.resolve("mobilenet_v3_small.safetensors"));
        String[] common = {"--backbone", "mobilenet_v3_small", "--backbone-weights", weights.toString(), "--head-epochs", "2",
                "--early-stopping", "off", "--batch-size", "4", "--no-summary", "--no-report", "--seed", "3"};
        Path whole = dir.resolve("whole.lote"), ck = dir.resolve("ck");
        Run r = lote(concat(new String[] {"train", data.toString(), "--epochs", "3", "-o", whole.toString(), "--checkpoint", ck.toString(),
                "--keep-checkpoints", "5"}, common));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Head 2/2"), r.out());
        Path resumed = dir.resolve("resumed.lote");
        r = lote("train", "--resume", ck.resolve("epoch-003.lote").toString(), "-o", resumed.toString(), "--no-summary", "--no-report");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("at epoch 4 of 5"), r.out());
        var a = ModelFile.load(whole).info().training().history().get("loss");
        var b = ModelFile.load(resumed).info().training().history().get("loss");
        assertEquals(5, b.size());
        assertEquals(a.get(4), b.get(4), 1e-9, "the last epoch's loss");
        Path afterHead = dir.resolve("after-head.lote"); // phase 1's own checkpoint: a run killed in phase 2 resumes there
        r = lote("train", "--resume", ck.resolve("phase-1.lote").toString(), "-o", afterHead.toString(), "--no-summary", "--no-report");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("at epoch 3 of 5"), r.out());
        assertEquals(a.get(4), ModelFile.load(afterHead).info().training().history().get("loss").get(4), 1e-9, "resumed after phase 1");
        assertEquals(224, ModelFile.load(whole).info().preprocessing().height());
        assertEquals("crop", ModelFile.load(whole).info().preprocessing().resize());
    }

    /** A .safetensors state dict of random values (torch names and layouts), as timm would ship one. */
    static Path randomSafetensors(String arch, Path file) throws Exception {
        SplittableRandom r = new SplittableRandom(5);
        StringBuilder header = new StringBuilder("{");
        List<byte[]> blobs = new java.util.ArrayList<>();
        long at = 0;
        for (Map.Entry<String, Weight> e : Torchvision.build(arch, 1000).weightsByPath().entrySet()) {
            String path = e.getKey(), layer = path.substring(0, path.lastIndexOf('/'));
            Weight w = e.getValue();
            String name = layer + "." + switch (w.name()) {
                case "kernel", "depthwise_kernel", "gamma" -> "weight";
                case "beta", "bias" -> "bias";
                case "moving_mean" -> "running_mean";
                default -> "running_var";
            };
            ByteBuffer b = ByteBuffer.allocate(4 * (int) w.size()).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < w.size(); i++) b.putFloat(w.name().equals("moving_variance") ? (float) (0.5 + r.nextDouble()) : (float) (r.nextGaussian() * 0.1));
            if (header.length() > 1) header.append(',');
            header.append('"').append(name).append("\":{\"dtype\":\"F32\",\"shape\":").append(java.util.Arrays.toString(w.torchShape()))
                    .append(",\"data_offsets\":[").append(at).append(',').append(at + b.capacity()).append("]}");
            at += b.capacity();
            blobs.add(b.array());
        }
        byte[] h = header.append('}').toString().getBytes(StandardCharsets.UTF_8);
        try (var out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            out.write(h);
            for (byte[] b : blobs) out.write(b);
        }
        return file;
    }

    static String[] concat(String[] a, String[] b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
