#!/usr/bin/env python3
"""Reference outputs for Lote's torchvision architectures (run by TorchvisionTest with Debian's python3-torch and
python3-torchvision). For each architecture: random weights (weights=None) with random batch-norm statistics, saved
as NAME.pth (torch.save of the state dict) and NAME.safetensors (written here with json and struct), and the softmax
(NAME.output.f32) and log-softmax (NAME.logp.f32) of its outputs in eval mode on a fixed batch (input.u8: N×224×224×3 bytes; the model sees them ÷ 255, NCHW).
Also evil.pth: a pickle whose global is os.system, which Lote must refuse without running it."""
import json, os, struct, sys
import numpy as np
import torch, torchvision

out = sys.argv[1]
names = sys.argv[2:] or ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0"]
torch.manual_seed(0)
rng = np.random.default_rng(0)
x8 = rng.integers(0, 256, size=(2, 224, 224, 3), dtype=np.uint8)
x8.tofile(os.path.join(out, "input.u8"))
x = torch.from_numpy(x8.astype(np.float32) / 255).permute(0, 3, 1, 2).contiguous()


def safetensors(path, sd):
    header, blobs, at = {}, [], 0
    for k, v in sd.items():
        if v.dtype == torch.int64:
            continue  # num_batches_tracked
        b = v.detach().contiguous().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


for name in names:
    m = getattr(torchvision.models, name)(weights=None).eval()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.normal_(0, 0.2)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.normal_(0, 0.2)
        z = m(x)
        # spread the logits to a std of 3 (random deep nets give huge ones), so every log-probability is compared
        last = [mod for mod in m.modules() if isinstance(mod, torch.nn.Linear)][-1]
        f = 3 / z.std()
        last.weight.mul_(f)
        last.bias.mul_(f)
        z = m(x)
    torch.softmax(z, 1).numpy().astype("<f4").tofile(os.path.join(out, name + ".output.f32"))
    torch.log_softmax(z, 1).numpy().astype("<f4").tofile(os.path.join(out, name + ".logp.f32"))
    torch.save(m.state_dict(), os.path.join(out, name + ".pth"))
    safetensors(os.path.join(out, name + ".safetensors"), m.state_dict())


class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + os.path.join(out, "pwned"),))


torch.save({"conv1.weight": Evil()}, os.path.join(out, "evil.pth"))
print("ok", torch.__version__, torchvision.__version__)
