package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Max or average pooling; as in Keras, the stride defaults to the pool size and {@code valid} padding floors. */
public abstract sealed class Pooling2D extends Layer permits MaxPooling2D, AveragePooling2D {
    private int[] poolSize = {2, 2}, strides;
    private Padding padding = Padding.VALID;

    protected Pooling2D(int poolSize) {
        this.poolSize = new int[] {Config.positive("pool_size", poolSize), poolSize};
        this.strides = this.poolSize.clone();
    }

    protected Pooling2D(Config c) {
        super(c);
        poolSize = Window.positive("pool_size", c.ints("pool_size", 2, poolSize));
        strides = Window.positive("strides", c.ints("strides", 2, poolSize));
        padding = c.padding("padding");
    }

    public int[] poolSize() { return poolSize.clone(); }
    public int[] strides() { return strides.clone(); }
    public Padding padding() { return padding; }

    @SuppressWarnings("unchecked")
    public <T extends Pooling2D> T padding(Padding p) { padding = p; return (T) this; }

    @SuppressWarnings("unchecked")
    public <T extends Pooling2D> T strides(int s) { strides = new int[] {Config.positive("strides", s), s}; return (T) this; }

    @Override protected Shape outputShape(Shape in) {
        requireImage(this, in);
        return Window.output(in, poolSize, strides, new int[] {1, 1}, padding, in.channels());
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) {
        Shape in = ops.shape(x);
        int[] ph = padding.amounts(in.height(), poolSize[0], strides[0]), pw = padding.amounts(in.width(), poolSize[1], strides[1]);
        return ops.pool(x, this instanceof MaxPooling2D, poolSize, strides, new int[] {ph[0], ph[1], pw[0], pw[1]});
    }

    @Override protected void writeConfig(ObjectNode c) {
        c.set("pool_size", Config.array(poolSize));
        c.put("padding", padding.keras());
        c.set("strides", Config.array(strides));
        c.put("data_format", "channels_last");
    }
}
