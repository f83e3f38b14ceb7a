package dev.lote.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.lote.nn.Activation;
import dev.lote.nn.BatchNormalization;
import dev.lote.nn.Conv2D;
import dev.lote.nn.Dense;
import dev.lote.nn.GlobalAveragePooling2D;
import dev.lote.nn.Input;
import dev.lote.nn.Model;
import dev.lote.nn.Node;
import dev.lote.nn.Padding;
import dev.lote.nn.Shape;
import dev.lote.torch.Network;
import dev.lote.train.Recipe;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Phase 2's settings on a backbone of four conv → BN blocks under a head: which layers train, and at what share of the rate. */
class PhaseTwoTest {
    private static Model classifier() {
        Node x = Input.of(Shape.image(8, 8, 3)), y = x;
        for (int i = 0; i < 4; i++) y = new BatchNormalization().<BatchNormalization>name("bn" + i)
                .call(new Conv2D(4, 3).padding(Padding.SAME).<Conv2D>name("conv" + i).call(y));
        Model backbone = new Model("backbone", List.of(x), y);
        backbone.trainable(false);
        Node in = Input.of(Shape.image(8, 8, 3));
        Node out = new Dense(2).activation(Activation.SOFTMAX).<Dense>name("head").call(new GlobalAveragePooling2D().call(backbone.call(in)));
        return new Model("classifier", List.of(in), out);
    }

    private static Recipe.FineTuning tuning(Double unfreeze, boolean discriminative) {
        return new Recipe.FineTuning("backbone", null, null, 10, 0.01, 1, unfreeze, discriminative, 1);
    }

    @Test void unfreezeTrainsTheTopLayersAndNeverTheBatchNormalization() {
        Model all = classifier(), top = classifier();
        Backbone.unfreeze(all, null);
        Backbone.unfreeze(top, 2.0);
        try (Network a = Network.build(all, 1); Network t = Network.build(top, 1)) {
            assertEquals(List.of("backbone/conv0/kernel", "backbone/conv0/bias", "backbone/conv1/kernel", "backbone/conv1/bias",
                    "backbone/conv2/kernel", "backbone/conv2/bias", "backbone/conv3/kernel", "backbone/conv3/bias", "head/kernel", "head/bias"),
                    List.copyOf(a.learningRateScales().keySet()));
            assertEquals(List.of("backbone/conv2/kernel", "backbone/conv2/bias", "backbone/conv3/kernel", "backbone/conv3/bias", "head/kernel",
                    "head/bias"), List.copyOf(t.learningRateScales().keySet()));
        }
        Model half = classifier();
        org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {2, 4}, Backbone.unfreeze(half, 0.5), "the top half: 2 of 4");
        try (Network h = Network.build(half, 1)) {
            assertEquals(6, h.learningRateScales().size(), "conv2, conv3 and the head");
        }
        Model none = classifier();
        Backbone.unfreeze(none, 0.0);
        try (Network n = Network.build(none, 1)) {
            assertEquals(List.of("head/kernel", "head/bias"), List.copyOf(n.learningRateScales().keySet()));
        }
    }

    @Test void discriminativeRatesRiseGeometricallyFromTheBottomToTheHead() {
        Model m = classifier();
        Backbone.unfreeze(m, null);
        try (Network net = Network.build(m, 1)) {
            Backbone.learningRates(net, m, tuning(null, false));
            Map<String, Double> uniform = net.learningRateScales();
            for (int i = 0; i < 4; i++) assertEquals(0.01, uniform.get("backbone/conv" + i + "/kernel"), 1e-15);
            assertEquals(1.0, uniform.get("head/kernel"));
            Backbone.learningRates(net, m, tuning(null, true));
            Map<String, Double> spread = net.learningRateScales();
            for (int i = 0; i < 4; i++) { // 0.01^(1 - (i+1)/5): 0.01^0.8 at the bottom ... 0.01^0.2 at the top, then the head's 1
                assertEquals(Math.pow(0.01, 1 - (i + 1) / 5.0), spread.get("backbone/conv" + i + "/kernel"), 1e-12, "conv" + i);
                assertEquals(spread.get("backbone/conv" + i + "/kernel"), spread.get("backbone/conv" + i + "/bias"));
            }
            assertEquals(1.0, spread.get("head/kernel"));
        }
        Model top = classifier();
        Backbone.unfreeze(top, 2.0);
        try (Network net = Network.build(top, 1)) { // the spread runs over the layers that train
            Backbone.learningRates(net, top, tuning(2.0, true));
            assertEquals(Math.pow(0.01, 2 / 3.0), net.learningRateScales().get("backbone/conv2/kernel"), 1e-12);
            assertFalse(net.learningRateScales().containsKey("backbone/conv1/kernel"));
        }
    }
}
