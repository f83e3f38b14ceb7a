/** Evaluation of a trained model on labelled images: metrics, per-class report, confusion matrix, hardest files. */
package dev.lote.eval;
