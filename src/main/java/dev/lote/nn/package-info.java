/** Layer specs, the {@link dev.lote.nn.Sequential} architecture, presets and the Keras-style summary.
 *  Pure Java: specs compute shapes and parameter counts; {@code dev.lote.torch} runs them. */
package dev.lote.nn;
