package dev.lote.torch;

import dev.lote.nn.Model;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * How a network's output becomes a loss, probabilities and a count of right answers, as Keras compiles it for the
 * model's last activation: softmax → categorical cross-entropy on the logits; sigmoid → binary cross-entropy on the
 * logits, one independent yes/no per class (multi-label); linear → cross-entropy of the softmax; anything else →
 * cross-entropy of the probabilities clipped at 1e-7. Class weights and label smoothing are Keras' too.
 */
final class Loss {
    /** How the output is read: logits before a final softmax or sigmoid, raw logits, or probabilities from elsewhere. */
    enum Output { SOFTMAX_LOGITS, SIGMOID_LOGITS, LOGITS, PROBABILITIES }

    final Output output;
    private final Model spec; // its classes are read only where a loss needs them: a feature extractor has none
    private float[] classWeights; // null: every sample counts the same
    private double labelSmoothing;
    private float[][] labelSets; // multi-label: label index → its classes as 0/1 (null: label i is class i alone)

    Loss(Model spec) {
        this.spec = spec;
        output = switch (spec.activation()) {
            case SOFTMAX -> Output.SOFTMAX_LOGITS;
            case SIGMOID -> Output.SIGMOID_LOGITS;
            case LINEAR -> Output.LOGITS;
            default -> Output.PROBABILITIES;
        };
    }

    /** Whether the graph leaves its final softmax or sigmoid to this loss. */
    boolean takesLogits() { return output == Output.SOFTMAX_LOGITS || output == Output.SIGMOID_LOGITS; }

    boolean multiLabel() { return output == Output.SIGMOID_LOGITS; }

    void classWeights(float[] weights) {
        if (weights != null && weights.length != spec.classes()) throw new IllegalArgumentException(weights.length
                + " class weights for a model of " + spec.classes() + " classes.");
        if (weights != null && multiLabel()) throw new IllegalArgumentException("Class weights are for one label per image; "
                + "a multi-label model weighs each class's yes and no alike.");
        classWeights = weights == null ? null : weights.clone();
    }

    void labelSmoothing(double s) {
        if (!(s >= 0 && s < 1)) throw new IllegalArgumentException("Label smoothing must be in [0, 1), got " + s + ".");
        labelSmoothing = s;
    }

    /** Multi-label: the classes of each label index (rows of 0/1, one column per class). */
    void labelSets(float[][] sets) {
        if (!multiLabel()) throw new IllegalArgumentException("Label sets are for a model that ends in a sigmoid (multi-label).");
        for (float[] row : sets) if (row.length != spec.classes()) throw new IllegalArgumentException("A label set of " + row.length
                + " classes for a model of " + spec.classes() + ".");
        labelSets = sets.clone();
    }

    /** Class probabilities from the network's output. */
    Tensor probabilities(Tensor out) {
        return switch (output) {
            case SIGMOID_LOGITS -> torch.sigmoid(out);
            case PROBABILITIES -> out;
            default -> torch.softmax(out, 1);
        };
    }

    /**
     * The mean loss over the batch. Categorical: with label smoothing s the target is (1 − s)·one-hot + s / classes; with
     * class weights (training only, as in Keras) each sample's loss is weighed by its class's, the sum divided by the batch
     * size. Multi-label: the mean over samples and classes of binary cross-entropy, targets smoothed to t·(1 − s) + s / 2.
     */
    Tensor of(Tensor out, int[] labels, boolean training) {
        if (multiLabel()) {
            Tensor t = targets(labels);
            if (labelSmoothing > 0) t = t.mul(new Scalar(1 - labelSmoothing)).add(new Scalar(labelSmoothing / 2));
            return torch.binary_cross_entropy_with_logits(out, t);
        }
        Tensor y = Tensors.labels(labels);
        float[] weights = training ? classWeights : null;
        Tensor logProbabilities = output == Output.PROBABILITIES ? torch.log(torch.clamp_min(out, new Scalar(1e-7))) : null;
        if (weights == null && labelSmoothing == 0) return logProbabilities == null ? torch.cross_entropy_loss(out, y)
                : torch.nll_loss(logProbabilities, y);
        Tensor logp = logProbabilities != null ? logProbabilities : torch.log_softmax(out, 1);
        Tensor each = logp.gather(1, y.unsqueeze(1)).squeeze(1).neg(); // per sample
        if (labelSmoothing > 0) each = each.mul(new Scalar(1 - labelSmoothing)).sub(logp.mean(new long[] {1}, false,
                new ScalarTypeOptional()).mul(new Scalar(labelSmoothing)));
        if (weights != null) each = each.mul(torch.index_select(Tensors.floats(weights, 1).reshape(-1), 0, y));
        return each.mean();
    }

    /** A mixed batch's loss ({@link Mixing}): λ·loss(labels) + (1 − λ)·loss(partners), training's. */
    Tensor mixed(Tensor out, int[] labels, int[] partners, double lambda) {
        return of(out, labels, true).mul(new Scalar(lambda)).add(of(out, partners, true).mul(new Scalar(1 - lambda)));
    }

    /** Right answers: the top class is the label; multi-label, every class's yes or no at 0.5 is right (exact match). */
    long correct(Tensor out, int[] labels) {
        if (!multiLabel()) return out.argmax(new LongOptional(1), false).eq(Tensors.labels(labels)).sum().item().toLong();
        Tensor yes = out.gt(new Scalar(0.0)), wrong = yes.ne(targets(labels).gt(new Scalar(0.5)));
        return labels.length - wrong.any(1).sum().item().toLong();
    }

    private Tensor targets(int[] labels) {
        int classes = spec.classes();
        float[] t = new float[labels.length * classes];
        for (int i = 0; i < labels.length; i++) {
            if (labelSets != null) System.arraycopy(labelSets[labels[i]], 0, t, i * classes, classes);
            else t[i * classes + labels[i]] = 1;
        }
        return Tensors.floats(t, labels.length);
    }
}
