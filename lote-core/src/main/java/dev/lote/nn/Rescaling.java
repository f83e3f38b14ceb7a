package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code x · scale + offset}, with one number or one per channel each: {@code new Rescaling(1 / 127.5, -1)}. */
public final class Rescaling extends Layer {
    private final double[] scale, offset;

    public Rescaling(double scale, double offset) {
        this.scale = new double[] {scale};
        this.offset = new double[] {offset};
    }

    public Rescaling(Config c) {
        super(c);
        scale = c.numbers("scale", new double[] {1});
        offset = c.numbers("offset", new double[] {0});
    }

    public double[] scale() { return scale.clone(); }
    public double[] offset() { return offset.clone(); }

    @Override protected Shape outputShape(Shape in) {
        for (double[] v : new double[][] {scale, offset}) {
            if (v.length != 1 && v.length != channels(in)) throw new IllegalArgumentException("Rescaling has " + v.length
                    + " values for " + channels(in) + " channels; give one, or one per channel.");
        }
        return in;
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        T y = scale.length == 1 && scale[0] == 1 ? x : ops.multiply(x, ops.constant(Config.floats(scale)));
        return offset.length == 1 && offset[0] == 0 ? y : ops.add(y, ops.constant(Config.floats(offset)));
    }

    @Override public float[][] inferenceAffine(java.util.Map<String, float[]> weights, String path, int channels) {
        return new float[][] {Config.floats(scale, channels), Config.floats(offset, channels)};
    }

    @Override protected void writeConfig(ObjectNode c) {
        if (scale.length == 1) c.put("scale", scale[0]);
        else c.set("scale", Config.array(scale));
        if (offset.length == 1) c.put("offset", offset[0]);
        else c.set("offset", Config.array(offset));
    }
}
