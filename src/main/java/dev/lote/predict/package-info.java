/** Inference: {@link dev.lote.predict.Predictor} classifies files, folders and uploaded bytes with a model file. */
package dev.lote.predict;
