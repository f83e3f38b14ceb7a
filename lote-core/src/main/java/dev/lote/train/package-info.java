/** Training: Keras' {@code fit} loop ({@link dev.lote.train.Trainer}), {@link dev.lote.train.History},
 *  callbacks and the progress bar. Knows nothing of files or the command line. */
package dev.lote.train;
