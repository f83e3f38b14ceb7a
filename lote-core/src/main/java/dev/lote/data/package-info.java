/** The user's data: the class-folder index ({@link dev.lote.data.ImageFolder}) and the lazy
 *  {@link dev.lote.data.BatchSequence} that decodes one batch at a time. */
package dev.lote.data;
