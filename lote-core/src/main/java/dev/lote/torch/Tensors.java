package dev.lote.torch;

import dev.lote.data.Batch;
import dev.lote.nn.Shape;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/** Java arrays in and out of libtorch: batches of pixels, labels, feature rows. */
final class Tensors {
    private Tensors() {}

    /** A batch's NHWC bytes as floats {@code byte · scale + offset}, viewed as NCHW (channels_last, no copy). */
    static Tensor pixels(Batch batch, double scale, double offset) {
        Shape s = batch.sampleShape();
        Tensor bytes = torch.empty(new long[] {batch.size(), s.height(), s.width(), s.channels()},
                new TensorOptions(torch.ScalarType.Byte), new MemoryFormatOptional());
        bytes.data_ptr_byte().put(batch.pixels(), 0, Math.toIntExact(batch.size() * s.size()));
        Tensor x = bytes.to(torch.ScalarType.Float);
        // ÷ 255 in float32 equals numpy's pixels / 255 cast to float32 for all 256 values
        // in place, keeping x: what an in-place op returns is a second handle that dies with x's
        if (scale == 1 / 255.0) x.div_(new Scalar(255f));
        else if (scale != 1) x.mul_(new Scalar(scale));
        if (offset != 0) x.add_(new Scalar(offset));
        return x.permute(0, 3, 1, 2); // NHWC memory viewed as NCHW = channels_last, no copy
    }

    static Tensor labels(int[] labels) {
        long[] y = new long[labels.length];
        for (int i = 0; i < y.length; i++) y[i] = labels[i];
        return torch.tensor(y);
    }

    /** {@code n} rows of {@code features.length / n} floats. */
    static Tensor floats(float[] features, int n) {
        Tensor x = torch.empty(n, features.length / n);
        x.data_ptr_float().put(features, 0, features.length / n * n);
        return x;
    }

    /** A (n, …) tensor as n Java rows. */
    static float[][] rows(Tensor t, int n) {
        Tensor flat = t.contiguous().reshape(n, -1);
        int k = (int) flat.size(1);
        float[] all = new float[n * k];
        flat.data_ptr_float().get(all);
        float[][] rows = new float[n][k];
        for (int i = 0; i < n; i++) System.arraycopy(all, i * k, rows[i], 0, k);
        return rows;
    }
}
