#!/usr/bin/env python3
"""TensorFlow Lite throughput of files written by `lote export --format tflite [--quantize int8]`, on random NHWC
batches (floats 0-255), in TensorFlow's own interpreter; with --images DIR (class folders), each file's top-1 answers
on those images and how often the files agree. Usage: tflite_infer.py MODEL.tflite [MODEL-int8.tflite] [--images DIR]
[--batch-size 16] [--threads 2]"""
import argparse, json, os, time
import numpy as np
import tensorflow as tf
from PIL import Image
from tensorflow.lite.python import schema_py_generated as schema

p = argparse.ArgumentParser()
p.add_argument("models", nargs="+")
p.add_argument("--images")
p.add_argument("--batch-size", type=int, default=16)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()


def interpreter(path, batch):
    it = tf.lite.Interpreter(model_path=path, num_threads=a.threads)
    d = it.get_input_details()[0]
    _, h, w, c = d["shape"]
    it.resize_tensor_input(d["index"], [batch, h, w, c])
    it.allocate_tensors()
    return it, d["index"], it.get_output_details()[0]["index"], (h, w)


def metadata(path):
    m = schema.Model.GetRootAsModel(open(path, "rb").read(), 0)
    for i in range(m.MetadataLength()):
        if m.Metadata(i).Name() == b"lote":
            return json.loads(bytes(m.Buffers(m.Metadata(i).Buffer()).DataAsNumpy()).decode())
    return {}


answers = {}
for path in a.models:
    it, x, y, (h, w) = interpreter(path, a.batch_size)
    batch = np.random.default_rng(1).integers(0, 256, size=[a.batch_size, h, w, 3]).astype(np.float32)
    it.set_tensor(x, batch)
    for _ in range(3):
        it.invoke()
    ms = []
    for _ in range(a.steps):
        t = time.perf_counter()
        it.invoke()
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    med = ms[len(ms) // 2]
    meta = metadata(path)
    line = (f"TFLite {tf.__version__} {path} ({meta.get('quantization', 'float32')}) {h}x{w} batch {a.batch_size}, {a.threads} threads: "
            f"{med:.1f} ms/batch median, {a.batch_size * 1000 / med:.1f} images/s")
    if a.images:  # the photos resized as the model was trained (stretched: the same for every file compared)
        one, x1, y1, _ = interpreter(path, 1)
        names, right, got = meta["classes"], 0, []
        for label in sorted(os.listdir(a.images)):
            for f in sorted(os.listdir(os.path.join(a.images, label))):
                im = Image.open(os.path.join(a.images, label, f)).convert("RGB").resize((w, h), Image.BILINEAR)
                one.set_tensor(x1, np.asarray(im, dtype=np.float32)[None])
                one.invoke()
                got.append(names[int(np.argmax(one.get_tensor(y1)[0]))])
                right += got[-1] == label
        answers[path] = got
        line += f"; top-1 {right / len(got):.4f} on {len(got)} images"
    print(line)
if len(answers) == 2:
    first, second = answers.values()
    print(f"same answer on {sum(u == v for u, v in zip(first, second)) / len(first):.4f} of the images")
