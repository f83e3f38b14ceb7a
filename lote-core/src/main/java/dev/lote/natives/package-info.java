/** Compiling and loading Lote's own C for this machine (the kernels in {@code torch}, the decoder hook in {@code image}). */
package dev.lote.natives;
