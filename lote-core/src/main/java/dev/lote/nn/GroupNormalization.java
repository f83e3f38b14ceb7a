package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Normalises each sample over groups of channels (and height and width), independent of the batch size, then scales
 * by gamma and shifts by beta. Keras' defaults: 32 groups, epsilon 1e-3. {@code new GroupNormalization(8)}
 */
public final class GroupNormalization extends Layer {
    private final int groups;
    private final double epsilon;
    private boolean center = true, scale = true;

    public GroupNormalization(int groups) {
        this.groups = Config.positive("groups", groups);
        this.epsilon = 1e-3;
    }

    public GroupNormalization(Config c) {
        super(c);
        c.requireChannelsAxis("axis");
        groups = Config.positive("groups", c.integer("groups", 32));
        epsilon = c.number("epsilon", 1e-3);
        center = c.bool("center", true);
        scale = c.bool("scale", true);
    }

    @Override protected Shape outputShape(Shape in) {
        if (channels(in) % groups != 0) throw new IllegalArgumentException("GroupNormalization: " + groups + " groups must divide the "
                + channels(in) + " channels.");
        return in;
    }

    @Override protected List<Weight> weights(Shape in) {
        List<Weight> w = new ArrayList<>();
        if (scale) w.add(Weight.vector("gamma", channels(in), Weight.Init.ONES, true));
        if (center) w.add(Weight.vector("beta", channels(in), Weight.Init.ZEROS, true));
        return w;
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        return ops.groupNorm(x, groups, w.optional("gamma"), w.optional("beta"), epsilon);
    }

    @Override protected void writeConfig(ObjectNode c) {
        c.put("groups", groups);
        c.put("axis", -1);
        c.put("epsilon", epsilon);
        c.put("center", center);
        c.put("scale", scale);
    }
}
