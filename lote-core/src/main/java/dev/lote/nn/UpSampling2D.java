package dev.lote.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Makes an image {@code size} times larger (rows, columns): each pixel repeated ({@code nearest}) or interpolated
 * ({@code bilinear}, half-pixel centres as TensorFlow's resize). {@code new UpSampling2D(2)}
 */
public final class UpSampling2D extends Layer {
    private final int[] size;
    private final boolean bilinear;

    public UpSampling2D(int size) { this(size, false); }

    public UpSampling2D(int size, boolean bilinear) {
        this.size = new int[] {Config.positive("size", size), size};
        this.bilinear = bilinear;
    }

    public UpSampling2D(Config c) {
        super(c);
        size = Window.positive("size", c.ints("size", 2, new int[] {2, 2}));
        String mode = c.text("interpolation", "nearest");
        if (!mode.equals("nearest") && !mode.equals("bilinear")) throw c.bad("interpolation", mode, "'nearest' or 'bilinear'");
        bilinear = mode.equals("bilinear");
    }

    @Override protected Shape outputShape(Shape in) {
        requireImage(this, in);
        return Shape.image(in.height() * size[0], in.width() * size[1], in.channels());
    }

    @Override protected <T> T compute(Ops<T> ops, T x, Weights<T> w, Mode mode) { return ops.upsample(x, size, bilinear); }

    @Override protected void writeConfig(ObjectNode c) {
        c.set("size", Config.array(size));
        c.put("data_format", "channels_last");
        c.put("interpolation", bilinear ? "bilinear" : "nearest");
    }
}
