package dev.lote.torch;

import dev.lote.torch.Network.StepResult;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A network's part in a data-parallel run: every rank starts from rank 0's weights and state, and each step
 * averages the gradients of all ranks (weighted by their samples) before Adam's update, so N ranks with batch b
 * step as one process with batch N·b.
 */
final class DataParallel {
    private final ProcessGroup group;
    private final Parameters params;

    DataParallel(ProcessGroup group, Parameters params) {
        this.group = group;
        this.params = params;
        try (PointerScope scope = new PointerScope()) {
            for (Tensor t : params.all()) group.broadcast(t, 0);
            params.changed();
            // gradients exist from the start, so a rank whose batch is empty still has zeros to contribute
            Tensor zero = null;
            for (Tensor w : params.trained()) zero = zero == null ? w.sum().mul(new Scalar(0)) : zero.add(w.sum().mul(new Scalar(0)));
            if (zero != null) zero.backward();
        }
    }

    ProcessGroup group() { return group; }

    /** Averages layer state (batch-norm statistics) across ranks, so every rank holds the same model. */
    void averageState() {
        if (group.world() == 1) return;
        List<Tensor> state = params.state();
        if (state.isEmpty()) return;
        group.allReduceSum(state);
        try (NoGradGuard guard = new NoGradGuard()) {
            Scalar world = new Scalar((double) group.world());
            for (Tensor t : state) t.div_(world);
        }
        params.changed();
    }

    /**
     * Sum over ranks of (gradient × samples), divided by all ranks' samples: the gradient of the mean loss over the
     * global batch. The step's metrics travel in the same collective, so every rank sees the global values.
     */
    StepResult averageGradients(StepResult local) {
        List<Tensor> weights = params.trained(), grads = new ArrayList<>(weights.size() + 1);
        try (NoGradGuard guard = new NoGradGuard()) {
            Scalar n = new Scalar((double) local.samples());
            for (Tensor w : weights) grads.add(w.grad().mul_(n));
            Tensor stats = torch.tensor(new float[] {(float) local.lossSum(), local.correct(), local.samples()});
            grads.add(stats);
            group.allReduceSum(grads);
            float[] global = new float[3];
            stats.data_ptr_float().get(global);
            if (global[2] > 0) {
                Scalar total = new Scalar((double) global[2]);
                for (Tensor w : weights) w.grad().div_(total);
            }
            return new StepResult(global[0], Math.round(global[1]), Math.round(global[2]));
        }
    }
}
