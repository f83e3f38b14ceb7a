package dev.lote.nn;

/** One layer's weights as an engine holds them, by the names its {@link Layer#weights} declared. */
public interface Weights<T> {
    T get(String name);

    boolean has(String name);

    /** Whether the layer trains (a frozen BatchNormalization keeps its statistics). */
    boolean trains();

    default T optional(String name) { return has(name) ? get(name) : null; }
}
