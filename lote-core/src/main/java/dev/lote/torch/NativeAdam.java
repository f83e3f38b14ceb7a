package dev.lote.torch;

import dev.lote.natives.NativeCode;
import java.util.Arrays;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Keras' Adam update of one weight in one pass over its memory ({@code native.c}), split over the intra-op threads:
 * libtorch's five in-place ops read and write the 18.4 M-float dense kernel of the notebook's model five times
 * (~66 ms a step here, where one pass is ~17 ms of memory traffic). It also zeroes the gradient.
 */
final class NativeAdam {
    private static final long PART = 1 << 20; // below this many floats one thread is faster than handing out work

    private NativeAdam() {}

    /** Whether the four tensors are float32 in one dense layout (contiguous or channels_last), so memory is elementwise. */
    static boolean fits(Tensor w, Tensor g, Tensor m, Tensor v) {
        if (g == null || !g.defined()) return false;
        long[] strides = w.strides().vec().get();
        for (Tensor t : new Tensor[] {w, g, m, v}) {
            if (t.scalar_type().value != torch.ScalarType.Float.value || !Arrays.equals(t.strides().vec().get(), strides)) return false;
        }
        return w.is_contiguous() || (w.dim() == 4 && w.is_contiguous(torch.MemoryFormat.ChannelsLast));
    }

    /** w ← w·decay − alpha·m̂/(√v̂ + eps) with Keras' moments, as Network.update does op by op. */
    static void step(Tensor w, Tensor g, Tensor m, Tensor v, double b1, double b2, double eps, double alpha, double decay) {
        long n = w.numel();
        long[] a = {Native.address(w), Native.address(g), Native.address(m), Native.address(v)};
        int parts = (int) Math.max(1, Math.min(Math.max(1, torch.get_num_threads()), n / PART));
        NativeCode.inParts(parts, n, (from, to, i) -> run(a, from, to - from, b1, b2, eps, alpha, decay), "Adam's update");
    }

    private static boolean run(long[] a, long from, long count, double b1, double b2, double eps, double alpha, double decay) {
        long off = 4 * from;
        Native.adam(a[0] + off, a[1] + off, a[2] + off, a[3] + off, count, (float) (1 - b1), (float) b2, (float) (1 - b2),
                (float) eps, (float) alpha, (float) decay);
        return true;
    }
}
