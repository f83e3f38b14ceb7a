package dev.lote.nn;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/** Max pooling; as in Keras, the stride defaults to the pool size and {@code valid} padding floors. */
public record MaxPooling2D(int poolSize, int strides, Padding padding) implements Layer {
    @JsonCreator public MaxPooling2D(@JsonProperty("pool_size") Integer poolSize, @JsonProperty("strides") Integer strides,
                                     @JsonProperty("padding") Padding padding) {
        this(poolSize == null ? 2 : poolSize, strides == null ? (poolSize == null ? 2 : poolSize) : strides,
                padding == null ? Padding.VALID : padding);
    }

    public MaxPooling2D {
        Layer.positive("pool_size", poolSize);
        Layer.positive("strides", strides);
    }

    public MaxPooling2D(int poolSize) { this(poolSize, poolSize, Padding.VALID); }

    @Override public Shape outputShape(Shape in) {
        Layer.requireImage(this, in);
        return Shape.image(padding.outputLength(in.height(), poolSize, strides),
                padding.outputLength(in.width(), poolSize, strides), in.channels());
    }

    @Override public long parameterCount(Shape in) { return 0; }
}
