package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** Fully connected layer on the last axis: (…, features) → (…, units). {@code new Dense(60).activation(Activation.RELU)} */
public final class Dense extends Layer {
    private final int units;
    private Activation activation = Activation.LINEAR;
    private boolean useBias = true;

    public Dense(int units) { this.units = Config.positive("units", units); }

    public Dense(Config c) {
        super(c);
        units = Config.positive("units", c.integer("units", 0));
        activation = c.activation("activation");
        useBias = c.bool("use_bias", true);
    }

    public Dense activation(Activation a) { activation = a; return this; }
    public Dense useBias(boolean b) { useBias = b; return this; }

    public int units() { return units; }
    public boolean useBias() { return useBias; }
    @Override public Activation activation() { return activation; }

    @Override protected Shape outputShape(Shape in) {
        int[] d = in.dims().clone();
        d[d.length - 1] = units;
        return new Shape(d);
    }

    @Override protected List<Weight> weights(Shape in) {
        List<Weight> w = new ArrayList<>();
        w.add(Weight.kernel("kernel", Weight.Layout.DENSE_KERNEL, channels(in), units));
        if (useBias) w.add(Weight.vector("bias", units, Weight.Init.ZEROS, true));
        return w;
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        return activateOwn(ops, ops.dense(x, w.get("kernel"), w.optional("bias")), activation, mode);
    }

    @Override protected void writeConfig(ObjectNode c) {
        c.put("units", units);
        c.put("activation", activation.keras());
        c.put("use_bias", useBias);
    }
}
