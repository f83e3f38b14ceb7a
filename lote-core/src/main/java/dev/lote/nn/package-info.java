/** Layers (each kind with its Keras config, shapes and named weights), functional {@link dev.lote.nn.Model}s and
 *  {@link dev.lote.nn.Sequential} stacks, Keras' JSON ({@link dev.lote.nn.KerasConfig}), presets and the summary.
 *  Pure Java: {@code dev.lote.torch} creates the weights and runs the forward passes. */
package dev.lote.nn;
