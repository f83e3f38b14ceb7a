package dev.lote.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CallbacksTest {
    private static Logs logs(double valLoss, double valAccuracy) {
        return new Logs().put("loss", 1).put("accuracy", 0.5).put("val_loss", valLoss).put("val_accuracy", valAccuracy);
    }

    @Test
    void earlyStoppingWaitsPatienceEpochsAfterTheBest() {
        EarlyStopping es = new EarlyStopping("val_loss", 2, 0.01, null, null);
        es.onTrainBegin(10, 1);
        double[] losses = {1.0, 0.8, 0.795, 0.9, 0.85};
        List<Boolean> stops = new ArrayList<>();
        for (int e = 0; e < losses.length; e++) {
            es.onEpochEnd(e, logs(losses[e], 0));
            stops.add(es.stopTraining());
        }
        assertEquals(List.of(false, false, false, true, true), stops); // 0.795 is within min_delta of 0.8: 2 epochs without improvement
        assertEquals(1, es.bestEpoch());
    }

    @Test
    void accuracyMonitorsPreferHigherValues() {
        EarlyStopping es = new EarlyStopping("val_accuracy", 0, 0, null, null);
        es.onTrainBegin(10, 1);
        es.onEpochEnd(0, logs(1, 0.5));
        es.onEpochEnd(1, logs(1, 0.6));
        assertFalse(es.stopTraining());
        es.onEpochEnd(2, logs(1, 0.55));
        assertTrue(es.stopTraining());
    }

    @Test
    void reduceLROnPlateauHalvesTheRateAfterPatienceEpochsDownToTheFloor() {
        var spec = new dev.lote.nn.Sequential(dev.lote.nn.Shape.image(1, 1, 2), List.of(new dev.lote.nn.Flatten(),
                new dev.lote.nn.Dense(2).activation(dev.lote.nn.Activation.SOFTMAX)));
        try (dev.lote.torch.Network net = dev.lote.torch.Network.build(spec, 1)) {
            ReduceLROnPlateau r = new ReduceLROnPlateau(net, "val_loss", 0.5, 1, 3e-4, null);
            r.onTrainBegin(10, 1);
            double[] losses = {1.0, 1.0, 1.0, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6};
            List<Double> rates = new ArrayList<>();
            for (int e = 0; e < losses.length; e++) {
                r.onEpochEnd(e, logs(losses[e], 0));
                rates.add(net.optimizer().learningRate());
            }
            assertEquals(List.of(1e-3, 5e-4, 3e-4, 3e-4, 3e-4, 3e-4, 3e-4, 3e-4, 3e-4), rates); // halved, then floored
        }
    }

    /** Keras' CosineDecay: lr(step) = lr0 · ½(1 + cos(π · step / total)), step counted over the whole run, resumable. */
    @Test
    void cosineDecaySetsTheFormulasRateAtEveryStep() {
        var spec = new dev.lote.nn.Sequential(dev.lote.nn.Shape.image(1, 1, 2), List.of(new dev.lote.nn.Flatten(),
                new dev.lote.nn.Dense(2).activation(dev.lote.nn.Activation.SOFTMAX)));
        try (dev.lote.torch.Network net = dev.lote.torch.Network.build(spec, 1)) {
            int epochs = 3, steps = 4;
            CosineDecay c = new CosineDecay(net, 0.01);
            c.onTrainBegin(epochs, steps);
            for (int e = 0; e < epochs; e++) {
                c.onEpochBegin(e);
                for (int b = 0; b < steps; b++) {
                    long step = (long) e * steps + b; // the rate the step about to run uses
                    assertEquals(0.01 * 0.5 * (1 + Math.cos(Math.PI * step / (epochs * steps))), net.optimizer().learningRate(), 1e-15,
                            "step " + step);
                    c.onBatchEnd(b, new Logs());
                }
            }
            assertEquals(0, net.optimizer().learningRate(), 1e-15, "0 after the last step");
            CosineDecay resumed = new CosineDecay(net, 0.01); // a run resumed at epoch 2 continues the same curve
            resumed.onTrainBegin(epochs, steps);
            resumed.onEpochBegin(2);
            assertEquals(0.01 * 0.5 * (1 + Math.cos(Math.PI * 8 / 12)), net.optimizer().learningRate(), 1e-15);
        }
    }

    /** Keras' warmup_steps: the rate rises linearly from 0 to lr0 over the warm-up, then the cosine runs over the steps left. */
    @Test
    void cosineDecayWarmsUpFirst() {
        var spec = new dev.lote.nn.Sequential(dev.lote.nn.Shape.image(1, 1, 2), List.of(new dev.lote.nn.Flatten(),
                new dev.lote.nn.Dense(2).activation(dev.lote.nn.Activation.SOFTMAX)));
        try (dev.lote.torch.Network net = dev.lote.torch.Network.build(spec, 1)) {
            int epochs = 4, steps = 5; // phase 2 from epoch 1 (after a phase 1 of 1 epoch), 1 epoch of warm-up
            CosineDecay c = new CosineDecay(net, 0.01).from(1).warmup(1);
            c.onTrainBegin(epochs, steps);
            List<Double> seen = new java.util.ArrayList<>();
            for (int e = 1; e < epochs; e++) {
                c.onEpochBegin(e);
                for (int b = 0; b < steps; b++) {
                    seen.add(net.optimizer().learningRate());
                    c.onBatchEnd(b, new Logs());
                }
            }
            for (int s = 0; s < 5; s++) assertEquals(0.01 * (s + 1) / 5, seen.get(s), 1e-15, "warm-up step " + s);
            for (int s = 5; s < 15; s++) assertEquals(0.01 * 0.5 * (1 + Math.cos(Math.PI * (s - 5) / 10)), seen.get(s), 1e-15, "step " + s);
            CosineDecay resumed = new CosineDecay(net, 0.01).from(1).warmup(1); // a run resumed at epoch 3 goes on alike
            resumed.onTrainBegin(epochs, steps);
            resumed.onEpochBegin(3);
            assertEquals(seen.get(10), net.optimizer().learningRate(), 1e-15);
        }
    }

    @Test
    void terminateOnNaNStopsAtTheFirstBadBatch() {
        TerminateOnNaN t = new TerminateOnNaN(null);
        t.onTrainBegin(1, 3);
        t.onBatchEnd(0, new Logs().put("loss", 2.0));
        assertFalse(t.stopTraining());
        t.onBatchEnd(1, new Logs().put("loss", Double.NaN));
        assertTrue(t.stopTraining());
    }

    @Test
    void csvLoggerWritesAHeaderAndOneRowPerEpoch(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("log.csv");
        CsvLogger c = new CsvLogger(f, false);
        c.onTrainBegin(2, 1);
        c.onEpochEnd(0, logs(0.5, 0.25));
        c.onEpochEnd(1, logs(0.4, 0.5));
        assertEquals(List.of("epoch,accuracy,loss,val_accuracy,val_loss", "0,0.500000,1.000000,0.250000,0.500000",
                "1,0.500000,1.000000,0.500000,0.400000"), Files.readAllLines(f));
    }

    @Test
    void modelCheckpointKeepsTheLastKAndTheBest(@TempDir Path dir) {
        List<String> saved = new ArrayList<>();
        ModelCheckpoint mc = new ModelCheckpoint(dir, 2, "val_loss", (file, done) -> {
            Files.writeString(file, "epoch " + done);
            saved.add(file.getFileName() + "@" + done);
        });
        mc.onTrainBegin(4, 1);
        double[] losses = {1.0, 0.7, 0.9, 0.6};
        for (int e = 0; e < 4; e++) mc.onEpochEnd(e, logs(losses[e], 0));
        assertEquals(List.of("epoch-001.lote@1", "best.lote@1", "epoch-002.lote@2", "best.lote@2", "epoch-003.lote@3",
                "epoch-004.lote@4", "best.lote@4"), saved);
        assertTrue(Files.exists(dir.resolve("epoch-004.lote")) && Files.exists(dir.resolve("epoch-003.lote")));
        assertFalse(Files.exists(dir.resolve("epoch-002.lote")));
    }
}
