#!/usr/bin/env python3
"""PyTorch-eager peer for `lote bench infer MODEL --cut out_relu`: MobileNetV2 (width 1.0) up to its last 1x1 conv +
BN + ReLU6 (7x7x1280 at 224x224), torchvision's layer structure written out (random weights, eval mode, no grad),
batches of random pixels. Prints ms/batch and images/s. Run it with jemalloc preloaded, as ./lote does:
  LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 python3 bench/mobilenet_v2_torch.py --batch-size 16
"""
import argparse, time
import torch
from torch import nn


def conv_bn(i, o, k=3, s=1, groups=1, relu=True):
    layers = [nn.Conv2d(i, o, k, s, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(o)]
    return layers + ([nn.ReLU6(inplace=True)] if relu else [])


class InvertedResidual(nn.Module):
    def __init__(self, i, o, s, t):
        super().__init__()
        h = i * t
        layers = (conv_bn(i, h, 1) if t != 1 else []) + conv_bn(h, h, 3, s, groups=h) + conv_bn(h, o, 1, relu=False)
        self.conv = nn.Sequential(*layers)
        self.residual = s == 1 and i == o

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


def features():
    layers, i = conv_bn(3, 32, 3, 2), 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for k in range(n):
            layers.append(InvertedResidual(i, c, s if k == 0 else 1, t))
            i = c
    return nn.Sequential(*layers, *conv_bn(i, 1280, 1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--channels-last", action="store_true", help="also try the channels_last memory format")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    m = features().eval()
    x = torch.rand(a.batch_size, 3, 224, 224) * 255 / 255
    for fmt in ["contiguous"] + (["channels_last"] if a.channels_last else []):
        if fmt == "channels_last":
            m, x = m.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            for _ in range(3):
                m(x)
            ms = []
            for _ in range(a.steps):
                t = time.perf_counter()
                m(x)
                ms.append((time.perf_counter() - t) * 1000)
        ms.sort()
        med = ms[len(ms) // 2]
        print(f"PyTorch {torch.__version__} eager MobileNetV2 features ({fmt}) 224x224 batch {a.batch_size}, "
              f"{torch.get_num_threads()} threads: {med:.1f} ms/batch median, {a.batch_size * 1000 / med:.1f} images/s")


if __name__ == "__main__":
    main()
