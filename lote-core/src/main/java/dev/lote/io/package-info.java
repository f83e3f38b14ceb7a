/** The {@code .lote} model file: written atomically, read with clear errors for foreign or damaged files. */
package dev.lote.io;
