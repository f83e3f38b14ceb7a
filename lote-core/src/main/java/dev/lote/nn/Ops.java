package dev.lote.nn;

import java.util.List;

/**
 * The operations a layer's computation is written against, once, as Keras 3 writes {@code call} against
 * {@code keras.ops}; each engine implements them: libtorch ({@code dev.lote.torch}, training and prediction) and the
 * ONNX writer. Values are seen in Keras' sample layout, images (height, width, channels) with channels last, whatever
 * layout the engine keeps them in. Weights are the engine's own values of the layer's declared {@link Weight}s (so a
 * kernel's layout is the engine's business). Paddings are (top, bottom, left, right).
 */
public interface Ops<T> {
    /** One sample's shape in Keras' order (the real one at run time, so "same" padding follows the input). */
    Shape shape(T x);

    /** A constant over the last (channel) axis, or a scalar when given one value. */
    T constant(float... values);

    /** A 2-D convolution (cross-correlation) with zero padding; {@code bias} may be null. */
    T conv(T x, T kernel, T bias, Convolution c);

    /** The transpose of a convolution (its gradient), then cropped by {@code c.pads()} and grown by {@code outputPadding} at the end. */
    T convTranspose(T x, T kernel, T bias, Convolution c, int[] outputPadding);

    /** A convolution's geometry: kernel size, strides, dilation, padding, groups. */
    record Convolution(int[] kernel, int[] strides, int[] dilation, int[] pads, int groups) {
        public boolean padded() { return pads[0] + pads[1] + pads[2] + pads[3] > 0; }
    }

    /** {@code x · kernel + bias} on the last axis; {@code bias} may be null. */
    T dense(T x, T kernel, T bias);

    /** Max or average pooling; an average leaves padded pixels out, as Keras does. */
    T pool(T x, boolean max, int[] size, int[] strides, int[] pads);

    /** The mean or maximum over the spatial axes. */
    T globalPool(T x, boolean max, boolean keepDims);

    T add(T a, T b);

    T subtract(T a, T b);

    T multiply(T a, T b);

    T divide(T a, T b);

    T maximum(T a, T b);

    T sqrt(T x);

    /** An activation function; softmax over the last axis. */
    T activation(T x, Activation a);

    /** {@link #activation} of a value nobody else reads (a layer's own output): an engine may compute it in place. */
    default T ownActivation(T x, Activation a) { return activation(x, a); }

    /** Keras' {@code relu(x, negative_slope, max_value, threshold)}; {@code max} NaN: no clipping. */
    T relu(T x, double max, double negativeSlope, double threshold);

    /**
     * Batch normalization over the channels; {@code training}: with the batch's statistics, moving the stored ones by
     * Keras' {@code momentum}. {@code gamma}, {@code beta} may be null.
     */
    T batchNorm(T x, T gamma, T beta, T mean, T variance, double momentum, double epsilon, boolean training);

    /** Normalization over the last axis; {@code gamma}, {@code beta} may be null. */
    T layerNorm(T x, T gamma, T beta, double epsilon);

    /** Normalization over groups of channels and the spatial axes. */
    T groupNorm(T x, int groups, T gamma, T beta, double epsilon);

    /** Zero padding of an image (top, bottom, left, right). */
    T pad(T x, int[] amounts);

    /** Cropping of an image (top, bottom, left, right). */
    T crop(T x, int[] amounts);

    /** Each pixel repeated ({@code bilinear} false) or interpolated, {@code size} times (rows, columns). */
    T upsample(T x, int[] size, boolean bilinear);

    /** The sample reshaped in Keras' order. */
    T reshape(T x, Shape to);

    /** Keras' {@code Permute}: sample axes in a new order (1-based). */
    T permute(T x, int[] dims);

    /** Concatenation on a sample axis (0-based, Keras' order). */
    T concat(List<T> xs, int axis);

    /** Training-time dropout; {@code channels}: whole channels at once (SpatialDropout2D). */
    T dropout(T x, double rate, boolean channels);
}
