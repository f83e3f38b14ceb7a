package dev.lote.torch;

import dev.lote.natives.NativeCode;
import dev.lote.nn.Activation;
import dev.lote.nn.Conv2D;
import dev.lote.nn.DepthwiseConv2D;
import dev.lote.nn.MaxPooling2D;
import dev.lote.nn.Padding;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The first block of an image model — DepthwiseConv2D (odd K×K, same, stride 1) → Conv2D (F filters, 1×1) →
 * MaxPooling2D (P×P, stride P, valid), relu or linear — as one native operation ({@code stem.c}), forward and
 * backward. At 768×1024 libtorch spends ~165 ms a step on this block, most of it moving full-resolution
 * activations through memory; the fused kernel keeps each row in cache and recomputes instead of storing (~55 ms
 * here, and ~500 MB less memory at the notebook's batch).
 *
 * <p>The kernel is compiled for this CPU and this block's sizes on first use ({@link Native}). Without a compiler,
 * or with native kernels off (Engine.Options), the block runs on libtorch's ops; the two agree to float rounding.
 *
 * <p>Training: the block's output is a leaf that collects its gradient from autograd; {@link Step#backward()}
 * then computes the block's weight gradients natively and adds them to the weights' {@code grad}.
 */
final class FusedStem {
    private static final Map<String, long[]> LIBRARIES = new ConcurrentHashMap<>(); // sizes → {forward, backward}

    private final int channels, kernel, filters, poolSize;
    private final boolean relu1, relu2;
    private final Tensor depthwise, depthwiseBias, pointwise, pointwiseBias; // engine tensors (live with the network)
    private final boolean trains;
    private final long forwardFn, backwardFn;

    private FusedStem(int channels, DepthwiseConv2D dw, Conv2D pw, int poolSize, dev.lote.nn.Weights<Tensor> dww, dev.lote.nn.Weights<Tensor> pww, long[] fns) {
        this.channels = channels;
        this.kernel = dw.kernelSize()[0];
        this.filters = pw.filters();
        this.poolSize = poolSize;
        relu1 = dw.activation() == Activation.RELU;
        relu2 = pw.activation() == Activation.RELU;
        depthwise = dww.get("depthwise_kernel");
        depthwiseBias = dww.has("bias") ? dww.get("bias") : null;
        pointwise = pww.get("kernel");
        pointwiseBias = pww.has("bias") ? pww.get("bias") : null;
        trains = depthwise.requires_grad() || pointwise.requires_grad(); // either layer may be frozen alone
        forwardFn = fns[0];
        backwardFn = fns[1];
    }

    /** Whether the three layers form a block this kernel computes. */
    static boolean fits(int channels, DepthwiseConv2D dw, Conv2D pw, MaxPooling2D pool) {
        int[] k = dw.kernelSize(), p = pool.poolSize(), ps = pool.strides();
        return channels >= 1 && channels <= 8
                && k[0] == k[1] && k[0] % 2 == 1 && k[0] <= 7 && dw.padding() == Padding.SAME && dw.depthMultiplier() == 1
                && all(dw.strides(), 1) && all(dw.dilationRate(), 1) && reluOrLinear(dw.activation())
                && all(pw.kernelSize(), 1) && all(pw.strides(), 1) && all(pw.dilationRate(), 1) && pw.groups() == 1
                && Integer.bitCount(pw.filters()) == 1 && pw.filters() >= 8 && pw.filters() <= 64 && reluOrLinear(pw.activation())
                && p[0] == p[1] && ps[0] == p[0] && ps[1] == p[1] && p[0] <= 8 && pool.padding() == Padding.VALID;
    }

    /** Whether fusion is on, the block fits, and its kernel is built (compiling it now if need be). */
    static boolean ready(int channels, DepthwiseConv2D dw, Conv2D pw, MaxPooling2D pool) {
        return fits(channels, dw, pw, pool) && library(channels, dw.kernelSize()[0], pw.filters(), pool.poolSize()[0]) != null;
    }

    /** The kernel's {forward, backward} addresses for these sizes, compiled the first time; null where that fails. */
    private static long[] library(int c, int k, int f, int p) {
        if (!Native.available()) return null;
        return LIBRARIES.computeIfAbsent(c + "-" + k + "-" + f + "-" + p, key -> {
            Path lib = NativeCode.compile(FusedStem.class, "stem.c", List.of("-DSTEM_C=" + c, "-DSTEM_K=" + k, "-DSTEM_F=" + f, "-DSTEM_P=" + p));
            if (lib == null) return null;
            long fw = Native.symbol(lib.toString(), "lote_stem_forward"), bw = Native.symbol(lib.toString(), "lote_stem_backward");
            return fw == 0 || bw == 0 ? null : new long[] {fw, bw};
        });
    }

    /** The fused block of layers that are {@link #ready}. */
    static FusedStem create(int channels, DepthwiseConv2D dw, Conv2D pw, MaxPooling2D pool, dev.lote.nn.Weights<Tensor> dww, dev.lote.nn.Weights<Tensor> pww) {
        return new FusedStem(channels, dw, pw, pool.poolSize()[0], dww, pww, library(channels, dw.kernelSize()[0], pw.filters(), pool.poolSize()[0]));
    }

    private static boolean all(int[] v, int x) {
        for (int i : v) if (i != x) return false;
        return true;
    }

    private static boolean reluOrLinear(Activation a) { return a == Activation.RELU || a == Activation.LINEAR; }

    /** One step's use of the block in training: the input and the output leaf whose gradient autograd fills. */
    final class Step {
        private final Tensor input, output;

        private Step(Tensor input, Tensor output) {
            this.input = input;
            this.output = output;
        }

        /** Adds the block's weight gradients (from the output's gradient) to the weights' grad. */
        void backward() {
            Tensor g = output.grad();
            if (g == null || !g.defined()) return;
            Tensor gn = g.contiguous(); // (B, Ho, Wo, F)
            int n = kernel * kernel * channels + channels + filters * channels + filters;
            Tensor[] w = weightsForKernel();
            int threads = Math.max(1, torch.get_num_threads());
            Tensor parts = torch.zeros(threads, n);
            run(input, threads, (r0, r1, t) -> Native.stemBackward(backwardFn, (int) input.size(0), (int) input.size(1),
                    (int) input.size(2), address(input), address(w[0]), address(w[1]), address(w[2]), address(w[3]),
                    relu1 ? 1 : 0, relu2 ? 1 : 0, address(gn), address(parts) + 4L * n * t, r0, r1));
            Tensor sum = parts.sum(0);
            int kk = kernel * kernel * channels;
            Tensor dwd = sum.narrow(0, 0, kk).view(kernel, kernel, channels).permute(2, 0, 1).reshape(channels, 1, kernel, kernel);
            Tensor dbd = sum.narrow(0, kk, channels);
            Tensor dwp = sum.narrow(0, kk + channels, (long) filters * channels).view(filters, channels, 1, 1);
            Tensor dbp = sum.narrow(0, kk + channels + (long) filters * channels, filters);
            // the gradients reach .grad through autograd, which creates or adds to it as for any other weight
            Tensor surrogate = null;
            Tensor[][] pairs = {{depthwise, dwd}, {depthwiseBias, dbd}, {pointwise, dwp}, {pointwiseBias, dbp}};
            for (Tensor[] p : pairs) {
                if (p[0] == null || !p[0].requires_grad()) continue; // no bias, or a frozen layer
                Tensor term = p[0].mul(p[1]).sum();
                surrogate = surrogate == null ? term : surrogate.add(term);
            }
            if (surrogate == null) return;
            surrogate.backward();
        }
    }

    /**
     * The block's output (N, F, H/P, W/P) in channels_last memory for an input (N, C, H, W) in channels_last memory.
     * {@code steps}: where a training step records itself for {@link Step#backward()} (null when not training).
     */
    Tensor apply(Tensor x, List<Step> steps) {
        Tensor xn = x.permute(0, 2, 3, 1).contiguous(); // (N, H, W, C), free for channels_last
        int b = (int) xn.size(0), h = (int) xn.size(1), w = (int) xn.size(2);
        Tensor out = torch.empty(b, h / poolSize, w / poolSize, filters);
        if ((long) b * (h / poolSize) * (w / poolSize) > 0) {
            Tensor[] k = weightsForKernel();
            run(xn, Math.max(1, torch.get_num_threads()), (r0, r1, t) -> Native.stemForward(forwardFn, b, h, w, address(xn), address(k[0]),
                    address(k[1]), address(k[2]), address(k[3]), relu1 ? 1 : 0, relu2 ? 1 : 0, address(out), r0, r1));
        }
        if (steps != null && trains) {
            out.set_requires_grad(true);
            steps.add(new Step(xn, out));
        }
        return out.permute(0, 3, 1, 2);
    }

    /** The weights in the kernel's layouts: depthwise (K, K, C), its bias, pointwise (F, C), its bias (zeros if none). */
    private Tensor[] weightsForKernel() {
        Tensor wd = depthwise.detach().reshape(channels, kernel, kernel).permute(1, 2, 0).contiguous();
        Tensor wp = pointwise.detach().reshape(filters, channels).contiguous();
        Tensor bd = depthwiseBias == null ? torch.zeros(channels) : depthwiseBias.detach().contiguous();
        Tensor bp = pointwiseBias == null ? torch.zeros(filters) : pointwiseBias.detach().contiguous();
        return new Tensor[] {wd, bd, wp, bp};
    }

    private static long address(Tensor t) { return Native.address(t); }

    private interface Rows {
        int run(int r0, int r1, int thread);
    }

    /** Splits the (image, pool row) rows of x over {@code threads} threads. */
    private void run(Tensor nhwc, int threads, Rows rows) {
        int total = (int) nhwc.size(0) * ((int) nhwc.size(1) / poolSize);
        boolean ok = NativeCode.inParts(Math.max(1, Math.min(threads, total)), total,
                (from, to, t) -> rows.run((int) from, (int) to, t) == 1, "the fused first block");
        if (!ok) throw new OutOfMemoryError("The fused first block could not allocate its row buffers.");
    }
}
