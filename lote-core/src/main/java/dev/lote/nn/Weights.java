package dev.lote.nn;

/** One layer's weights as an engine holds them, by the names its {@link Layer#weights} declared. */
public interface Weights<T> {
    T get(String name);

    boolean has(String name);

    /** Whether the layer trains (a frozen BatchNormalization keeps its statistics). */
    boolean trains();

    default T optional(String name) { return has(name) ? get(name) : null; }

    /**
     * An exporter's view of one call's weights: the values at {@code path + name} in {@code values}, each given to
     * {@code wrap} with its spec (a bias that batch-norm folding made has none: a vector); never training.
     */
    static <T> Weights<T> of(Layer layer, java.util.List<Shape> inputs, java.util.Map<String, float[]> values, String path,
                             java.util.function.BiFunction<Weight, float[], T> wrap) {
        java.util.Map<String, Weight> specs = new java.util.HashMap<>();
        for (Weight s : layer.weights(inputs)) specs.put(s.name(), s);
        return new Weights<>() {
            @Override public T get(String name) {
                float[] v = values.get(path + name);
                if (v == null) throw new IllegalArgumentException("weight " + path + name + " is missing.");
                Weight s = specs.get(name);
                return wrap.apply(s != null ? s : Weight.vector(name, v.length, Weight.Init.ZEROS, true), v);
            }
            @Override public boolean has(String name) { return values.containsKey(path + name); }
            @Override public boolean trains() { return false; }
        };
    }
}
