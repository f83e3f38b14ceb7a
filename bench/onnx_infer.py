#!/usr/bin/env python3
"""ONNX Runtime throughput of a model exported by `lote export --format onnx`, on random uint8 NHWC batches, and its
agreement with probabilities Lote wrote (optional). Usage: onnx_infer.py MODEL.onnx [--batch-size 16] [--threads 2]"""
import argparse, json, time
import numpy as np
import onnxruntime as ort

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("--batch-size", type=int, default=16)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
o = ort.SessionOptions()
o.intra_op_num_threads = a.threads
s = ort.InferenceSession(a.model, o, providers=["CPUExecutionProvider"])
meta = s.get_modelmeta().custom_metadata_map
h, w = int(meta["input_height"]), int(meta["input_width"])
shape = [a.batch_size, h, w, 3] if meta["input_layout"] == "nhwc" else [a.batch_size, 3, h, w]
x = np.random.default_rng(1).integers(0, 256, size=shape, dtype=np.uint8)
for _ in range(3):
    s.run(None, {"pixels": x})
ms = []
for _ in range(a.steps):
    t = time.perf_counter()
    s.run(None, {"pixels": x})
    ms.append((time.perf_counter() - t) * 1000)
ms.sort()
med = ms[len(ms) // 2]
print(f"ONNX Runtime {ort.__version__} {a.model} {h}x{w} batch {a.batch_size}, {a.threads} threads: "
      f"{med:.1f} ms/batch median, {a.batch_size * 1000 / med:.1f} images/s; classes {json.loads(meta['classes'])[:3]}...")
