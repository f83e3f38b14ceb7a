package dev.lote.train;

import dev.lote.data.Batch;
import dev.lote.data.BatchSequence;
import dev.lote.data.Loader;
import dev.lote.nn.Adam;
import dev.lote.torch.Network;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Leslie Smith's learning-rate range test, as fastai's {@code lr_find}: one training step per batch with the rate
 * rising exponentially from {@code start} to {@code end}, the loss smoothed as it goes (an exponential moving
 * average, bias-corrected), stopped once it passes 4× its lowest. The suggestion is the rate where the smoothed loss
 * falls fastest against log(rate), before its lowest point. The network's weights, batch-norm statistics and Adam's
 * state are put back afterwards, so training starts from where it was.
 */
public final class LearningRateFinder {
    private LearningRateFinder() {}

    /** One step: the rate it ran at, the loss of its batch, and the smoothed loss so far. */
    public record Point(double learningRate, double loss, double smoothed) {}

    /** The curve and the suggested rate; {@code lowest}: the rate of the lowest smoothed loss. */
    public record Result(List<Point> curve, double suggested, double lowest) {}

    static final double SMOOTHING = 0.98, DIVERGED = 4;

    /** At most {@code steps} steps over {@code data}'s batches (epochs repeat when it has fewer), {@code workers} decoding. */
    public static Result run(Network net, BatchSequence data, double start, double end, int steps, int workers) {
        if (!(start > 0) || !(end > start)) throw new IllegalArgumentException("The rates to try must rise from above 0: got " + start + " to " + end + ".");
        if (steps < 10) throw new IllegalArgumentException("The range test needs at least 10 steps, got " + steps + ".");
        if (data.size() == 0) throw new IllegalArgumentException("No batch to try rates on: the data has fewer images than one batch.");
        Map<String, float[]> weights = net.weightValues();
        Adam.State state = net.optimizerState();
        Adam settings = net.optimizer();
        List<Point> curve = new ArrayList<>();
        try {
            double average = 0, best = Double.POSITIVE_INFINITY;
            int step = 0;
            for (int epoch = 0; step < steps; epoch++) {
                try (Loader loader = new Loader(data.forEpoch(epoch), workers, 2)) {
                    while (loader.hasNext() && step < steps) {
                        Batch b = loader.next();
                        if (b.size() == 0) continue;
                        double lr = start * Math.pow(end / start, step / (double) (steps - 1));
                        net.optimizer(settings.withLearningRate(lr));
                        Network.StepResult r = net.trainStep(b);
                        double loss = r.lossSum() / r.samples();
                        average = SMOOTHING * average + (1 - SMOOTHING) * loss;
                        double smoothed = average / (1 - Math.pow(SMOOTHING, step + 1));
                        step++;
                        if (!Double.isFinite(smoothed)) { step = steps; break; }
                        curve.add(new Point(lr, loss, smoothed));
                        best = Math.min(best, smoothed);
                        if (smoothed > DIVERGED * best) { step = steps; break; }
                    }
                }
            }
        } finally {
            net.setWeightValues(weights);
            net.restore(state);
            net.optimizer(settings);
        }
        return suggest(curve);
    }

    /** The steepest fall of the smoothed loss against log(rate), before its lowest point (the first tenth skipped: noise). */
    static Result suggest(List<Point> curve) {
        if (curve.size() < 5) throw new IllegalStateException("The loss diverged after " + curve.size() + " steps: start from a lower rate.");
        int low = 0;
        for (int i = 1; i < curve.size(); i++) if (curve.get(i).smoothed() < curve.get(low).smoothed()) low = i;
        int from = Math.max(1, curve.size() / 10), k = 2, steepest = -1;
        double slope = Double.POSITIVE_INFINITY;
        for (int i = from; i <= low; i++) {
            int a = Math.max(0, i - k), b = Math.min(curve.size() - 1, i + k);
            double s = (curve.get(b).smoothed() - curve.get(a).smoothed())
                    / (Math.log(curve.get(b).learningRate()) - Math.log(curve.get(a).learningRate()));
            if (s < slope) { slope = s; steepest = i; }
        }
        double lowest = curve.get(low).learningRate();
        return new Result(List.copyOf(curve), steepest >= 0 ? curve.get(steepest).learningRate() : lowest / 10, lowest);
    }
}
