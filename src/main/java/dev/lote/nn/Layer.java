package dev.lote.nn;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A layer spec: an immutable record of a layer's configuration, with Keras' defaults. It computes shapes and
 * parameter counts; the engine ({@code dev.lote.torch}) turns specs into native weights and operations.
 * Specs serialise to JSON as {@code {"type": "Conv2D", "filters": 16, ...}}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = DepthwiseConv2D.class, name = "DepthwiseConv2D"),
    @JsonSubTypes.Type(value = Conv2D.class, name = "Conv2D"),
    @JsonSubTypes.Type(value = MaxPooling2D.class, name = "MaxPooling2D"),
    @JsonSubTypes.Type(value = Flatten.class, name = "Flatten"),
    @JsonSubTypes.Type(value = Dense.class, name = "Dense"),
    @JsonSubTypes.Type(value = Dropout.class, name = "Dropout"),
    @JsonSubTypes.Type(value = BatchNormalization.class, name = "BatchNormalization"),
    @JsonSubTypes.Type(value = GlobalAveragePooling2D.class, name = "GlobalAveragePooling2D"),
})
public sealed interface Layer permits DepthwiseConv2D, Conv2D, MaxPooling2D, Flatten, Dense, Dropout, BatchNormalization,
        GlobalAveragePooling2D {

    /** Output shape for one sample; throws {@link IllegalArgumentException} when the input does not fit. */
    Shape outputShape(Shape input);

    /** Number of parameters for this input shape, trainable or not (Keras' "Param #"). */
    long parameterCount(Shape input);

    /** The trainable part of {@link #parameterCount}. */
    default long trainableCount(Shape input) { return parameterCount(input); }

    /** Weight tensors this layer holds (a kernel, and a bias when it has one), in the order the engine keeps them. */
    default int weightTensors() { return 0; }

    /** Non-trained state tensors (BatchNormalization's moving mean and variance), saved with the weights. */
    default int stateTensors() { return 0; }

    /** Keras' class name, e.g. {@code Conv2D}. */
    default String type() { return getClass().getSimpleName(); }

    /** Keras' default layer name, e.g. {@code depthwise_conv2d} for {@code DepthwiseConv2D}. */
    default String baseName() {
        return type().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT)
                .replace("conv2_d", "conv2d").replace("pooling2_d", "pooling2d");
    }

    static int positive(String name, int value) {
        if (value <= 0) throw new IllegalArgumentException(name + " must be positive, got " + value + ".");
        return value;
    }

    static Shape requireImage(Layer layer, Shape input) {
        if (!input.isImage()) throw new IllegalArgumentException(layer.type() + " expects an image input "
                + "(height, width, channels), got " + input.withBatch() + ". Put it before Flatten.");
        return input;
    }
}
