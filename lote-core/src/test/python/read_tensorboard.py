"""Reads a TensorBoard log folder with TensorBoard's own event reader and prints what it found as JSON.

Usage: read_tensorboard.py LOGDIR  ->  {"train": {"scalars": {tag: [[step, value], ...]}, "images": {...}, "text": {...}}, ...}
"""
import json
import os
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util

out = {}
root = sys.argv[1]
for run in sorted(os.listdir(root)):
    acc = event_accumulator.EventAccumulator(os.path.join(root, run), size_guidance={
        event_accumulator.SCALARS: 0, event_accumulator.IMAGES: 0, event_accumulator.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    found = {"scalars": {}, "images": {}, "text": {}}
    for t in tags["scalars"]:
        found["scalars"][t] = [[e.step, e.value] for e in acc.Scalars(t)]
    for t in tags["images"]:
        found["images"][t] = [{"step": e.step, "width": e.width, "height": e.height, "png_bytes": len(e.encoded_image_string),
                               "png": e.encoded_image_string[:8].hex()} for e in acc.Images(t)]
    for t in tags["tensors"]:
        found["text"][t] = [tensor_util.make_ndarray(e.tensor_proto).item().decode("utf-8") for e in acc.Tensors(t)]
    out[run] = found
print(json.dumps(out))
