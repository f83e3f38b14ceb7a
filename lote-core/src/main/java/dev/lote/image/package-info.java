/** Bytes to RGB pixels: decoding, header probes and the reasons a file is refused. Pure functions. */
package dev.lote.image;
