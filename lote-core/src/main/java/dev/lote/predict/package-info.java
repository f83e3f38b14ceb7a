/** Inference: {@link dev.lote.predict.Classifier} decodes, batches, classifies and ranks files, folders and uploaded bytes with a model. */
package dev.lote.predict;
