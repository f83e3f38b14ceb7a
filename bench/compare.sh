#!/usr/bin/env bash
# Lote against PyTorch on one folder, back to back in one run (the machine is shared and noisy, so the ratios are
# what counts): the notebook's step in memory, the notebook's epoch end to end (decoding included) and its peak RSS.
#
#   bench/compare.sh [DIR] [STEPS]
#
# DIR: class folders of JPEGs (default: 14 classes x 100 synthetic 768x1024 JPEGs from `lote sample-data`).
# STEPS: steps timed in memory (default 20). With TensorFlow and Keras in PYTHON, a last row compares the default
# recipe (small-cnn at 96x128, batch 32, the decoded cache) with ../shared/peers/keras_recipe.py over EPOCHS epochs
# (default 6): median ms/step of the epochs after the first, as images/s. Then inference rows (ratio: Lote's images/s
# over the peer's): MobileNetV2 and ResNet-18 against PyTorch, seed-cnn and small-cnn against ONNX Runtime where PYTHON
# has it. PYTHON: a Python with PyTorch (default /tmp/venv/bin/python, where pip installs PyTorch 2.13 from the local
# wheel; else Debian's /usr/bin/python3 with PyTorch 1.13; the table names it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
peer="$root/../shared/peers/torch_peer.py"
keras_peer="$root/../shared/peers/keras_recipe.py"
[[ -f "$peer" ]] || { echo "compare: the peer $peer is missing" >&2; exit 2; }
dir="${1:-}"
steps="${2:-20}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ -z "$dir" ]]; then
  dir="$work/data"
  "$root/lote" sample-data "$dir" --classes 14 --per-class 100 --size 768x1024 >/dev/null
fi
python="${PYTHON:-/tmp/venv/bin/python}"
[[ -x "$python" ]] || python=/usr/bin/python3
torch_version="$("$python" -c 'import torch; print(torch.__version__)')"
jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
peer_env=(env OMP_NUM_THREADS="$(nproc)")
[[ -f "$jemalloc" ]] && peer_env+=(LD_PRELOAD="$jemalloc" MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1)
images=$(find "$dir" -type f \( -iname '*.jpg' -o -iname '*.jpeg' \) | wc -l)
trained=$(( images / 5 * 5 ))   # the notebook drops the last partial batch

# 1. the step: seed-cnn, batch 5, 768x1024, forward + backward + Adam, on a batch already in memory
lote_ms=$("$root/lote" bench step --batch-size 5 --steps "$steps" | sed -n 's/.* \([0-9.]*\) ms\/step median.*/\1/p')
peer_ips=$("${peer_env[@]}" "$python" "$peer" "$dir" --in-memory --epochs 1 --max-steps "$steps" | sed -n 's/^epoch .* \([0-9.]*\) images\/s$/\1/p' | tail -1)
peer_ms=$(awk -v ips="$peer_ips" 'BEGIN { printf "%.0f", 5000 / ips }')

# 2. one epoch of the notebook's job end to end, and its peak RSS
lote_out=$("$root/lote" train "$dir" --model seed-cnn --epochs 1 --validation-split 0 --no-summary --no-report -o "$work/m.lote")
lote_s=$(sed -n 's/.* for 1 epochs in \([0-9.]*\) s.*/\1/p' <<<"$lote_out")
lote_ips=$(awk -v n="$trained" -v s="$lote_s" 'BEGIN { printf "%.2f", n / s }')
lote_rss=$(sed -n 's/.*peak RSS \([0-9.]*\) GB.*/\1/p' <<<"$lote_out")
peer_out=$("${peer_env[@]}" "$python" "$peer" "$dir" --epochs 1)
peer_epoch_ips=$(sed -n 's/^RESULT torch-peer images\/s \([0-9.]*\) .*/\1/p' <<<"$peer_out")
peer_rss=$(sed -n 's/.*peak_rss_mb main \([0-9]*\) workers \([0-9]*\).*/\1 \2/p' <<<"$peer_out" | awk '{ printf "%.2f", ($1 + $2) / 1024 }')

printf '%s images in %s; peer: PyTorch %s (%s)\n' "$images" "$dir" "$torch_version" "$python"
printf '%-44s %12s %12s %8s %8s\n' "work" "Lote" "PyTorch" "ratio" "target"
printf '%-44s %9s ms %9s ms %7.2fx %8s\n' "notebook step (in memory, ms/step)" "$lote_ms" "$peer_ms" "$(awk -v a="$lote_ms" -v b="$peer_ms" 'BEGIN{print a/b}')" "<= 0.40x"
printf '%-44s %12s %12s %7.2fx %8s\n' "notebook epoch end to end (images/s)" "$lote_ips" "$peer_epoch_ips" "$(awk -v a="$lote_ips" -v b="$peer_epoch_ips" 'BEGIN{print a/b}')" ">= 2.5x"
printf '%-44s %9s GB %9s GB %7.2fx %8s\n' "peak RSS of that epoch (PyTorch: all processes)" "$lote_rss" "$peer_rss" "$(awk -v a="$lote_rss" -v b="$peer_rss" 'BEGIN{print a/b}')" "<= 1.0x"

# 3. the default recipe against Keras' idiomatic one, where this Python has TensorFlow
if "$python" -c 'import tensorflow, keras' 2>/dev/null; then
  epochs="${EPOCHS:-6}"
  steady() { sed -n "$1" | tail -n +2 | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
  lote_rec=$("$root/lote" train "$dir" --epochs "$epochs" --no-summary --no-report --cache "$work/cache" -o "$work/r.lote" \
    | steady 's/.* \([0-9.]*\)ms\/step .*/\1/p')
  keras_rec=$(TF_CPP_MIN_LOG_LEVEL=3 "${peer_env[@]}" "$python" "$keras_peer" "$dir" --epochs "$epochs" --patience "$epochs" 2>/dev/null \
    | steady 's/.* - \([0-9.]*\)ms\/step - .*/\1/p')
  lote_rec_ips=$(awk -v ms="$lote_rec" 'BEGIN { printf "%.1f", 32000 / ms }')
  keras_rec_ips=$(awk -v ms="$keras_rec" 'BEGIN { printf "%.1f", 32000 / ms }')
  printf '%-44s %12s %12s %7.2fx %8s\n' "default recipe, steady epochs (images/s; Keras)" "$lote_rec_ips" "$keras_rec_ips" \
    "$(awk -v a="$lote_rec_ips" -v b="$keras_rec_ips" 'BEGIN{print a/b}')" ">= 2x"
  if grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo; then # the same recipe with Lote's --precision bf16, against Keras' float32
    lote_bf16=$("$root/lote" train "$dir" --epochs "$epochs" --no-summary --no-report --cache "$work/cache" --precision bf16 -o "$work/r-bf16.lote" \
      | steady 's/.* \([0-9.]*\)ms\/step .*/\1/p')
    lote_bf16_ips=$(awk -v ms="$lote_bf16" 'BEGIN { printf "%.1f", 32000 / ms }')
    printf '%-44s %12s %12s %7.2fx %8s\n' "  the same, Lote --precision bf16" "$lote_bf16_ips" "$keras_rec_ips" \
      "$(awk -v a="$lote_bf16_ips" -v b="$keras_rec_ips" 'BEGIN{print a/b}')" ">= 2x"
  fi
else
  echo "default recipe against Keras: skipped ($python has no TensorFlow and Keras; pip installs tensorflow-cpu and keras)"
fi

# 4. inference on in-memory batches of 16, same threads: torchvision's MobileNetV2 and ResNet-18 features against
# PyTorch at channels_last + inference_mode (bench/infer_torch.py), and the notebook's seed-cnn and the default
# small-cnn against ONNX Runtime on Lote's own ONNX export of the same model (bench/onnx_infer.py)
infer_ms() { sed -n 's/.* \([0-9.]*\) ms\/batch median.*/\1/p' | tail -1; }
infer_row() { # name, Lote ms, peer ms, peer, target
  printf '%-44s %9s ms %9s ms %7.2fx %8s\n' "$1 (ms/batch; $4)" "$2" "$3" "$(awk -v a="$2" -v b="$3" 'BEGIN{print b/a}')" "$5"
}
threads=$(nproc)
for net in mobilenet_v2 resnet18; do
  lote_inf=$("$root/lote" bench infer "$net" --batch-size 16 --threads "$threads" | infer_ms)
  peer_inf=$("${peer_env[@]}" "$python" "$root/bench/infer_torch.py" "$net" --batch-size 16 --threads "$threads" | infer_ms)
  infer_row "$net features inference" "$lote_inf" "$peer_inf" "PyTorch" ">= 1.2x"
  if grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo; then # Lote's bf16 against PyTorch's float32 and its bf16 autocast
    lote_bf16=$("$root/lote" bench infer "$net" --batch-size 16 --threads "$threads" --precision bf16 | infer_ms)
    peer_bf16=$("${peer_env[@]}" "$python" "$root/bench/infer_torch.py" "$net" --batch-size 16 --threads "$threads" --bf16 | infer_ms)
    infer_row "  the same, Lote bf16" "$lote_bf16" "$peer_inf" "PyTorch float32" ">= 1.2x"
    infer_row "  the same, Lote bf16" "$lote_bf16" "$peer_bf16" "PyTorch bf16" "-"
  fi
done
if "$python" -c 'import onnxruntime' 2>/dev/null; then
  [[ -f "$work/r.lote" ]] || "$root/lote" train "$dir" --epochs 1 --no-summary --no-report -o "$work/r.lote" >/dev/null
  for pair in "seed-cnn:$work/m.lote" "small-cnn:$work/r.lote"; do
    model=${pair#*:}
    "$root/lote" export "$model" --format onnx -o "$work/${pair%%:*}.onnx" >/dev/null
    lote_inf=$("$root/lote" bench infer "$model" --batch-size 16 --threads "$threads" | infer_ms)
    peer_inf=$("$python" "$root/bench/onnx_infer.py" "$work/${pair%%:*}.onnx" --batch-size 16 --threads "$threads" | infer_ms)
    infer_row "${pair%%:*} inference" "$lote_inf" "$peer_inf" "ONNX Runtime" ">= 0.9x"
  done
else
  echo "seed-cnn and small-cnn against ONNX Runtime: skipped ($python has no onnxruntime; pip installs it)"
fi
