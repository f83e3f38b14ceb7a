package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * ConvNeXt's LayerScale (keras.applications): each channel times a learned {@code gamma}, which starts at
 * {@code init_values} (1e-6 there), so a residual block starts close to the identity.
 */
public final class LayerScale extends Layer {
    private final double initValues;
    private final int projectionDim;

    public LayerScale(double initValues, int projectionDim) {
        this.initValues = initValues;
        this.projectionDim = Config.positive("projection_dim", projectionDim);
    }

    public LayerScale(Config c) {
        super(c);
        initValues = c.number("init_values", 1e-6);
        projectionDim = Config.positive("projection_dim", c.integer("projection_dim", 0));
    }

    @Override public String kerasModule() { return "keras.src.applications.convnext"; }

    @Override protected Shape outputShape(Shape in) {
        if (channels(in) != projectionDim) throw new IllegalArgumentException("LayerScale has projection_dim " + projectionDim + " for "
                + channels(in) + " channels.");
        return in;
    }

    @Override protected List<Weight> weights(Shape in) { return List.of(Weight.filled("gamma", projectionDim, initValues)); }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) { return ops.multiply(x, w.get("gamma")); }

    @Override protected void writeConfig(ObjectNode c) {
        c.put("init_values", initValues);
        c.put("projection_dim", projectionDim);
    }
}
