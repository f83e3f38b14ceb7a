package dev.lote.nn;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/** 2-D convolution. (H, W, C) → (H', W', filters). {@code new Conv2D(32, 3).padding(Padding.SAME).activation(Activation.RELU)} */
public record Conv2D(int filters, int kernelSize, int strides, Padding padding, Activation activation, boolean useBias)
        implements Layer {
    @JsonCreator public Conv2D(@JsonProperty("filters") int filters, @JsonProperty("kernel_size") int kernelSize,
                               @JsonProperty("strides") Integer strides, @JsonProperty("padding") Padding padding,
                               @JsonProperty("activation") Activation activation, @JsonProperty("use_bias") Boolean useBias) {
        this(filters, kernelSize, strides == null ? 1 : strides, padding == null ? Padding.VALID : padding,
                activation == null ? Activation.LINEAR : activation, useBias == null || useBias);
    }

    public Conv2D {
        Layer.positive("filters", filters);
        Layer.positive("kernel_size", kernelSize);
        Layer.positive("strides", strides);
    }

    public Conv2D(int filters, int kernelSize) { this(filters, kernelSize, 1, Padding.VALID, Activation.LINEAR, true); }

    public Conv2D padding(Padding p) { return new Conv2D(filters, kernelSize, strides, p, activation, useBias); }
    public Conv2D activation(Activation a) { return new Conv2D(filters, kernelSize, strides, padding, a, useBias); }
    public Conv2D strides(int s) { return new Conv2D(filters, kernelSize, s, padding, activation, useBias); }

    @Override public Shape outputShape(Shape in) {
        Layer.requireImage(this, in);
        return Shape.image(padding.outputLength(in.height(), kernelSize, strides),
                padding.outputLength(in.width(), kernelSize, strides), filters);
    }

    @Override public long parameterCount(Shape in) {
        return (long) in.channels() * filters * kernelSize * kernelSize + (useBias ? filters : 0);
    }

    @Override public int weightTensors() { return useBias ? 2 : 1; }
}
