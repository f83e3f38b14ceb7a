/** Wire formats written byte by byte, with no library: protobuf (ONNX graphs, TensorBoard events) and FlatBuffers (TFLite). */
package dev.lote.wire;
