/** Lote: train, evaluate and run image classifiers from folders of images. {@link dev.lote.LoteModel} is the
 *  Java API's front door; the packages below each do one job (see the README's Layout section). */
package dev.lote;
