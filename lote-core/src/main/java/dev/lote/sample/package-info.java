/** Synthetic, class-dependent sample images ({@code lote sample-data}) for the demo, tests and benchmarks. */
package dev.lote.sample;
