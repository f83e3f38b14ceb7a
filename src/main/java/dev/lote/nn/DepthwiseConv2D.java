package dev.lote.nn;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Depthwise 2-D convolution: each input channel has its own kernel; channels are not mixed.
 * (H, W, C) → (H', W', C × depthMultiplier). {@code new DepthwiseConv2D(3).padding(Padding.SAME).activation(Activation.RELU)}
 */
public record DepthwiseConv2D(int kernelSize, int depthMultiplier, int strides, Padding padding,
                              Activation activation, boolean useBias) implements Layer {
    @JsonCreator public DepthwiseConv2D(@JsonProperty("kernel_size") int kernelSize,
                                        @JsonProperty("depth_multiplier") Integer depthMultiplier,
                                        @JsonProperty("strides") Integer strides, @JsonProperty("padding") Padding padding,
                                        @JsonProperty("activation") Activation activation,
                                        @JsonProperty("use_bias") Boolean useBias) {
        this(kernelSize, depthMultiplier == null ? 1 : depthMultiplier, strides == null ? 1 : strides,
                padding == null ? Padding.VALID : padding, activation == null ? Activation.LINEAR : activation,
                useBias == null || useBias);
    }

    public DepthwiseConv2D {
        Layer.positive("kernel_size", kernelSize);
        Layer.positive("depth_multiplier", depthMultiplier);
        Layer.positive("strides", strides);
    }

    public DepthwiseConv2D(int kernelSize) { this(kernelSize, 1, 1, Padding.VALID, Activation.LINEAR, true); }

    public DepthwiseConv2D padding(Padding p) { return new DepthwiseConv2D(kernelSize, depthMultiplier, strides, p, activation, useBias); }
    public DepthwiseConv2D activation(Activation a) { return new DepthwiseConv2D(kernelSize, depthMultiplier, strides, padding, a, useBias); }
    public DepthwiseConv2D strides(int s) { return new DepthwiseConv2D(kernelSize, depthMultiplier, s, padding, activation, useBias); }

    @Override public Shape outputShape(Shape in) {
        Layer.requireImage(this, in);
        return Shape.image(padding.outputLength(in.height(), kernelSize, strides),
                padding.outputLength(in.width(), kernelSize, strides), in.channels() * depthMultiplier);
    }

    @Override public long parameterCount(Shape in) {
        long out = (long) in.channels() * depthMultiplier;
        return out * kernelSize * kernelSize + (useBias ? out : 0);
    }

    @Override public int weightTensors() { return useBias ? 2 : 1; }
}
