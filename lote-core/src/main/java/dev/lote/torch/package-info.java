/** The engine: the only package that touches libtorch ({@code org.bytedeco.pytorch}). It loads the natives, sets
 *  threads, owns native memory (one {@code PointerScope} per step) and runs {@link dev.lote.nn} specs. */
package dev.lote.torch;
