/** The engine: the only package that touches libtorch ({@code org.bytedeco.pytorch}). It loads the natives, sets
 *  threads (and adapts them on a busy machine), owns native memory (one {@code PointerScope} per step) and runs
 *  {@link dev.lote.nn} specs, with kernels of its own in C where libtorch's ops are slow (the fused first block, Adam). */
package dev.lote.torch;
