/** The {@code lote} command line: one small picocli command per verb; exit codes and error messages are mapped
 *  in one place ({@link dev.lote.cli.Main}). Commands parse and print; the work is in the other packages. */
package dev.lote.cli;
