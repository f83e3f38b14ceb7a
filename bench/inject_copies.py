#!/usr/bin/env python3
"""Injects near copies into DIR/train/<class>/ for `lote inspect --duplicates`: COUNT images picked at random, each
copied re-encoded at JPEG quality 60, resized to 0.7x or cropped to its centre 90 % (in turn); the first copy is filed
under another class, the second under DIR/test/ (which gets one image of each class moved from train/ first). Prints one line per copy. Usage: inject_copies.py DIR [COUNT]"""
import os, random, sys
from PIL import Image

root, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20
train = os.path.join(root, "train")
random.seed(3)
classes = sorted(d for d in os.listdir(train) if os.path.isdir(os.path.join(train, d)))
for c in classes:  # test/ gets one image of each class (a folder per class, as train/)
    os.makedirs(os.path.join(root, "test", c), exist_ok=True)
    last = sorted(os.listdir(os.path.join(train, c)))[-1]
    os.replace(os.path.join(train, c, last), os.path.join(root, "test", c, last))
files = [(c, f) for c in classes for f in sorted(os.listdir(os.path.join(train, c)))]
for i, (c, f) in enumerate(random.sample(files, count)):
    im = Image.open(os.path.join(train, c, f)).convert("RGB")
    kind = ["re-encoded", "resized", "cropped"][i % 3]
    if kind == "resized":
        im = im.resize((int(im.width * 0.7), int(im.height * 0.7)), Image.BILINEAR)
    if kind == "cropped":
        dw, dh = int(im.width * 0.05), int(im.height * 0.05)
        im = im.crop((dw, dh, im.width - dw, im.height - dh))
    part, label = ("train", classes[(classes.index(c) + 1) % len(classes)]) if i == 0 else ("test", c) if i == 1 else ("train", c)
    os.makedirs(os.path.join(root, part, label), exist_ok=True)
    out = os.path.join(root, part, label, "copy%d_%s" % (i, f))
    im.save(out, quality=60)
    print(kind, os.path.join(train, c, f), "->", out)
