"""Runs a TFLite file in TensorFlow's own interpreter: run_tflite.py MODEL.tflite INPUT.f32 N OUTPUT.f32.
INPUT holds N NHWC images as float32; OUTPUT gets the probabilities. Prints the file's "lote" metadata (JSON), then its operators."""
import sys
import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

model, inp, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
it = tf.lite.Interpreter(model_path=model)
d = it.get_input_details()[0]
_, h, w, c = d["shape"]
it.resize_tensor_input(d["index"], [n, h, w, c])
it.allocate_tensors()
it.set_tensor(d["index"], np.fromfile(inp, dtype=np.float32).reshape(n, h, w, c))
it.invoke()
o = it.get_output_details()[0]
assert o["name"] == "probabilities", o["name"]
it.get_tensor(o["index"]).astype(np.float32).tofile(out)
m = schema.Model.GetRootAsModel(open(model, "rb").read(), 0)
for i in range(m.MetadataLength()):
    if m.Metadata(i).Name() == b"lote":
        print(bytes(m.Buffers(m.Metadata(i).Buffer()).DataAsNumpy()).decode())
# each operator and the type of its output, as "ops: CONV_2D:INT8 ..." (what runs as int8 kernels)
names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
types = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
g = m.Subgraphs(0)
print("ops: " + " ".join(names[m.OperatorCodes(g.Operators(i).OpcodeIndex()).BuiltinCode()] + ":" + types[g.Tensors(g.Operators(i).Outputs(0)).Type()]
                         for i in range(g.OperatorsLength())))
