/** Benchmarks the project keeps ({@code lote bench}): measured here, compared with the peers in shared/peers. */
package dev.lote.bench;
