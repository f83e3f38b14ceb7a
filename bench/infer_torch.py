#!/usr/bin/env python3
"""PyTorch peer for `lote bench infer NAME`: torchvision's MobileNetV2 or ResNet-18/34 written out layer for layer
(random weights, eval mode; torchvision itself is not needed), up to the layer Lote's --cut defaults to (MobileNetV2:
its last 1x1 conv + BN + ReLU6, 7x7x1280; ResNet: layer4's last ReLU, 7x7x512), at PyTorch's best on a CPU:
channels_last memory and torch.inference_mode, on batches of random pixels at 224x224. Prints ms/batch and images/s.
With --fine-tune, the peer of `lote bench step --model NAME --input 224x224x3 --freeze-batch-norm`: training steps of
the features + global pooling + a linear head (14 classes), batch normalization frozen in eval mode (fine-tuning's
phase 2), Adam, at channels_last.
small_cnn is Lote's default recipe's model (five 3x3 conv + ReLU + BN blocks, 2x2 max pooling between, global average
pooling, dropout 0.3, a 14-class softmax layer) at 96x128; with --train, the peer of `lote bench step --model small-cnn
--input 96x128x3`: whole training steps, batch normalization in training mode, Adam, at channels_last.
  infer_torch.py mobilenet_v2|resnet18|resnet34|small_cnn [--batch-size 16] [--steps 20] [--threads 0] [--fine-tune|--train]
Run it with jemalloc preloaded, as ./lote does (bench/compare.sh does)."""
import argparse, contextlib, time
import torch
from torch import nn


def conv_bn(i, o, k=3, s=1, groups=1, relu=True, relu6=True):
    layers = [nn.Conv2d(i, o, k, s, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(o)]
    return layers + ([nn.ReLU6(inplace=True) if relu6 else nn.ReLU(inplace=True)] if relu else [])


class InvertedResidual(nn.Module):
    def __init__(self, i, o, s, t):
        super().__init__()
        h = i * t
        layers = (conv_bn(i, h, 1) if t != 1 else []) + conv_bn(h, h, 3, s, groups=h) + conv_bn(h, o, 1, relu=False)
        self.conv = nn.Sequential(*layers)
        self.residual = s == 1 and i == o

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


def mobilenet_v2():
    layers, i = conv_bn(3, 32, 3, 2), 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for k in range(n):
            layers.append(InvertedResidual(i, c, s if k == 0 else 1, t))
            i = c
    return nn.Sequential(*layers, *conv_bn(i, 1280, 1))


class BasicBlock(nn.Module):
    def __init__(self, i, o, s):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(i, o, 3, s, relu6=False), *conv_bn(o, o, 3, relu=False))
        self.down = nn.Sequential(*conv_bn(i, o, 1, s, relu=False)) if s != 1 or i != o else nn.Identity()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.body(x) + self.down(x))


def resnet(blocks):
    layers, i = [*conv_bn(3, 64, 7, 2, relu6=False), nn.MaxPool2d(3, 2, 1)], 64
    for o, n, s in zip([64, 128, 256, 512], blocks, [1, 2, 2, 2]):
        for k in range(n):
            layers.append(BasicBlock(i, o, s if k == 0 else 1))
            i = o
    return nn.Sequential(*layers)


def small_cnn():
    layers, i = [], 3
    for k, o in enumerate([32, 64, 128, 256, 256]):
        layers += [nn.Conv2d(i, o, 3, padding=1), nn.ReLU(inplace=True), nn.BatchNorm2d(o, momentum=0.1, eps=1e-3)]
        layers += [nn.MaxPool2d(2)] if k < 4 else []
        i = o
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(i, 14))


MODELS = {"mobilenet_v2": mobilenet_v2, "resnet18": lambda: resnet([2, 2, 2, 2]), "resnet34": lambda: resnet([3, 4, 6, 3]),
          "small_cnn": small_cnn}
SIZES = {"small_cnn": (96, 128)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model", choices=sorted(MODELS))
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=0)
    steps_of = p.add_mutually_exclusive_group()
    steps_of.add_argument("--fine-tune", action="store_true")
    steps_of.add_argument("--train", action="store_true")
    p.add_argument("--bf16", action="store_true", help="autocast to bfloat16 (the peer of Lote's --precision bf16)")
    a = p.parse_args()
    a.cast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if a.bf16 else contextlib.nullcontext
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    m = MODELS[a.model]().eval().to(memory_format=torch.channels_last)
    h, w = SIZES.get(a.model, (224, 224))
    x = (torch.randint(0, 256, (a.batch_size, 3, h, w)).float() / 255).contiguous(memory_format=torch.channels_last)
    if a.fine_tune:
        return fine_tune(m, x, a)
    if a.train:
        return train(m.train(), x, a)
    with torch.inference_mode(), a.cast():
        for _ in range(3):
            m(x)
        ms = []
        for _ in range(a.steps):
            t = time.perf_counter()
            m(x)
            ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    med = ms[len(ms) // 2]
    print(f"PyTorch {torch.__version__} {a.model} features (channels_last, inference_mode{', bf16' if a.bf16 else ''}) {h}x{w} batch {a.batch_size}, "
          f"{torch.get_num_threads()} threads: {med:.1f} ms/batch median, {a.batch_size * 1000 / med:.1f} images/s")


def fine_tune(features, x, a):
    for mod in features.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.requires_grad_(False)  # frozen, and eval mode (the whole model is in eval mode: no dropout here)
    with torch.no_grad():
        width = features(x[:1]).shape[1]
    m = nn.Sequential(features, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, 14))
    train(m, x, a, "fine-tuning step (batch norm frozen, channels_last, Adam)")


def train(m, x, a, kind="training step (channels_last, Adam)"):
    """Prints the median ms of a.steps Adam steps on cross-entropy, after 2 untimed ones."""
    opt = torch.optim.Adam([w for w in m.parameters() if w.requires_grad], lr=1e-4)
    y = torch.arange(a.batch_size) % 14
    ms = []
    for i in range(a.steps + 2):
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with a.cast():
            loss = nn.functional.cross_entropy(m(x), y)
        loss.backward()
        opt.step()
        if i >= 2:
            ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    med = ms[len(ms) // 2]
    print(f"PyTorch {torch.__version__} {a.model} {kind}{' bf16' if a.bf16 else ''} {x.shape[2]}x{x.shape[3]} batch {a.batch_size}, "
          f"{torch.get_num_threads()} threads: {med:.1f} ms/step median, {a.batch_size * 1000 / med:.1f} images/s")


if __name__ == "__main__":
    main()
