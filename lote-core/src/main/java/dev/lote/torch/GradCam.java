package dev.lote.torch;

import java.util.function.Supplier;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Grad-CAM (Selvaraju et al.): for each image, the output of a layer (a path, {@code backbone/out_relu} for one inside a
 * nested model; it must give an image-shaped output) weighted by the mean gradient of the score of its class (the
 * logit where the model ends in softmax or sigmoid) over each channel, summed over channels, ReLU'd and scaled to a
 * maximum of 1.
 */
final class GradCam {
    private GradCam() {}

    /** Rows of (height × width) of {@code layer}'s output; {@code forward} runs the pass in inference mode. */
    static float[][] of(Graph graph, Supplier<Tensor> forward, String layer, int[] classes) {
        if (graph.tap.folded.contains(layer)) throw new IllegalArgumentException("Layer '" + layer + "' runs inside a fused "
                + "operation (the first block, or a padding the next convolution takes in); explain a later layer.");
        graph.tap.wanted = layer;
        graph.tap.captured = null;
        Tensor out;
        try {
            out = forward.get();
        } finally {
            graph.tap.wanted = null;
        }
        Tensor a = graph.tap.captured;
        graph.tap.captured = null;
        if (a == null || a.dim() != 4) throw new IllegalArgumentException("Layer '" + layer + "' gives no image-shaped output to explain.");
        Tensor score = out.gather(1, Tensors.labels(classes).unsqueeze(1)).sum();
        // the gradient of the score at the layer alone: backward() would also leave gradients on the weights for Adam's next step
        Tensor grad = torch.grad(new TensorVector(score), new TensorVector(a)).get(0);
        Tensor weights = grad.mean(new long[] {2, 3}, true, new ScalarTypeOptional()); // (n, c, 1, 1)
        Tensor cam = a.detach().mul(weights).sum(new long[] {1}, false, new ScalarTypeOptional()).relu(); // (n, h, w)
        Tensor peak = cam.amax(new long[] {1, 2}, true).clamp_min(new Scalar(1e-12));
        return Tensors.rows(cam.div(peak), classes.length);
    }
}
