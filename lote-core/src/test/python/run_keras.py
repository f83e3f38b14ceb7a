"""Runs Keras models in the real Keras: run_keras.py DIR. For every DIR/NAME.keras, reads DIR/NAME.in (float32
inputs, NHWC, the first axis the batch, shape in DIR/NAME.shape as "n,h,w,c") and writes DIR/NAME.out: the model's
predict() output, float32, flattened in Keras' order. Where DIR/NAME.tflite is there too, runs it on the same input
in TensorFlow Lite's interpreter and writes DIR/NAME.tflite.out. Prints one line per model."""
import glob
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # TF 2.21's oneDNN kernels crash (SIGFPE) on DenseNet here
import numpy as np
import keras

folder = sys.argv[1]
for path in sorted(glob.glob(os.path.join(folder, "*.keras"))):
    stem = path[: -len(".keras")]
    shape = [int(v) for v in open(stem + ".shape").read().split(",")]
    x = np.fromfile(stem + ".in", dtype=np.float32).reshape(shape)
    model = keras.saving.load_model(path, compile=False)
    y = np.asarray(model.predict(x, verbose=0), dtype=np.float32)
    y.tofile(stem + ".out")
    if os.path.exists(stem + ".tflite"):
        import tensorflow as tf
        it = tf.lite.Interpreter(model_path=stem + ".tflite")
        d = it.get_input_details()[0]
        it.resize_tensor_input(d["index"], shape)
        it.allocate_tensors()
        it.set_tensor(d["index"], x)
        it.invoke()
        it.get_tensor(it.get_output_details()[0]["index"]).astype(np.float32).tofile(stem + ".tflite.out")
    print(os.path.basename(stem), y.shape)
