"""Keras' losses on given logits: argv = JSON list of {logits, labels, smoothing, sample_weight} (categorical cross-entropy)
or {logits, targets, smoothing} (binary cross-entropy on 0/1 targets, multi-label); prints one loss a line."""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402

for a in json.loads(sys.argv[1]):
    logits = np.array(a["logits"], dtype="float32")
    if "targets" in a:
        bce = keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=a["smoothing"])
        print("loss", float(bce(np.array(a["targets"], dtype="float32"), logits)))
        continue
    y = keras.utils.to_categorical(a["labels"], logits.shape[1])
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=a["smoothing"])
    print("loss", float(loss(y, logits, sample_weight=np.array(a["sample_weight"], dtype="float32"))))
