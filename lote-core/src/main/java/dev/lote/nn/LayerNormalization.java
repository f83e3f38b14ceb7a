package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** Normalises each sample over its last axis, then scales by gamma and shifts by beta (Keras' epsilon 1e-3). */
public final class LayerNormalization extends Layer {
    private final double epsilon;
    private boolean center = true, scale = true;

    public LayerNormalization() { this.epsilon = 1e-3; }

    public LayerNormalization(Config c) {
        super(c);
        var axis = c.node().get("axis");
        boolean last = axis == null || axis.isNull() || axis.asInt(0) == -1 || (axis.isArray() && axis.size() == 1 && axis.get(0).asInt() == -1);
        if (!last) throw c.bad("axis", axis.toString(), "-1 (the last axis)");
        epsilon = c.number("epsilon", 1e-3);
        center = c.bool("center", true);
        scale = c.bool("scale", true);
    }

    public double epsilon() { return epsilon; }

    @Override protected Shape outputShape(Shape in) { return in; }

    @Override protected List<Weight> weights(Shape in) {
        List<Weight> w = new ArrayList<>();
        if (scale) w.add(Weight.vector("gamma", channels(in), Weight.Init.ONES, true));
        if (center) w.add(Weight.vector("beta", channels(in), Weight.Init.ZEROS, true));
        return w;
    }

    public boolean center() { return center; }
    public boolean scale() { return scale; }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        return ops.layerNorm(x, w.optional("gamma"), w.optional("beta"), epsilon);
    }

    @Override protected void writeConfig(ObjectNode c) {
        c.put("axis", -1);
        c.put("epsilon", epsilon);
        c.put("center", center);
        c.put("scale", scale);
    }
}
