package dev.lote.nn;

/**
 * Adam with Keras' defaults and Keras' update rule:
 * {@code α = lr·√(1−β2ᵗ)/(1−β1ᵗ);  m ← m + (g−m)(1−β1);  v ← v + (g²−v)(1−β2);  w ← w − α·m/(√v + ε)}.
 * (libtorch's Adam adds ε after bias correction and defaults to ε = 1e-8, which differs in early steps.)
 * A positive {@code weightDecay} makes it Keras' AdamW: {@code w ← w − lr·weightDecay·w} before the step.
 */
public record Adam(double learningRate, double beta1, double beta2, double epsilon, double weightDecay) {
    public Adam {
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be 0 or more, got " + weightDecay + ".");
        if (!(learningRate >= 0)) throw new IllegalArgumentException("learning rate must be 0 or more, got " + learningRate + ".");
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("betas must be in [0, 1).");
        if (!(epsilon > 0)) throw new IllegalArgumentException("epsilon must be positive, got " + epsilon + ".");
    }

    public Adam() { this(1e-3, 0.9, 0.999, 1e-7, 0); }

    public Adam(double learningRate) { this(learningRate, 0.9, 0.999, 1e-7, 0); }

    public Adam withLearningRate(double lr) { return new Adam(lr, beta1, beta2, epsilon, weightDecay); }

    public Adam withWeightDecay(double wd) { return new Adam(learningRate, beta1, beta2, epsilon, wd); }

    /** Adam's state: the step count and, per trained weight (by path), the first and second moments, in Keras' layout. */
    public record State(long steps, java.util.Map<String, float[]> moments, java.util.Map<String, float[]> velocities) {}
}
