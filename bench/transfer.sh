#!/usr/bin/env bash
# Transfer learning against training from scratch, on real photos of objects the test set never shows in training
# (bench/real-photos.sh's set): fine-tune nsfwjs@4.4.0's MobileNetV2 (npm, MIT; Keras' ImageNet weights up to block_10,
# uint8-quantised; imported as a TensorFlow.js model) cut below its tuned top, and train the default recipe from
# scratch, back to back on the same folders; also the fine-tuning's phase 1 alone (a linear probe on the frozen features).
# Prints validation and test accuracy on the unseen objects, wall time and peak RSS for each.
#   bench/transfer.sh [WORKDIR] [--cut block_13_depthwise_relu] [--head-epochs 10] [--epochs 10]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/lote-real-photos}
shift || true
cut=block_13_depthwise_relu
args=()
while (( $# )); do
  case "$1" in
    --cut) cut=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
[[ -d "$work/set/train" ]] || "$here/bench/real-photos.sh" "$work" --epochs 0 >/dev/null 2>&1 || true
[[ -d "$work/set/train" ]] || { echo "transfer.sh: no photo set in $work/set (run bench/real-photos.sh $work first)" >&2; exit 2; }
mkdir -p "$work/npm"
if [[ ! -f "$work/npm/package/dist/models/mobilenet_v2/model.min.js" ]]; then
  (cd "$work/npm" && npm pack --silent nsfwjs@4.4.0 >/dev/null && tar xzf nsfwjs-4.4.0.tgz)
fi
backbone="$work/npm/package/dist/models/mobilenet_v2/model.min.js"
cd "$here"

run() { # name, then train options
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  ./lote train "$work/set/train" --no-report --no-summary -o "$work/$name.lote" "$@" > "$work/$name.log" 2>&1
  end=$(date +%s.%N)
  local val test rss
  val=$(grep -o 'val_accuracy [0-9.]*' "$work/$name.log" | tail -1 | cut -d' ' -f2)
  rss=$(grep -o 'peak RSS [0-9.]* GB' "$work/$name.log" | tail -1 | cut -d' ' -f3)
  test=$(./lote evaluate "$work/$name.lote" "$work/set/test" --json 2>/dev/null | python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["accuracy"])')
  printf '%-26s %9s %9s %9.0f %13s\n' "$name" "${val:--}" "$test" "$(echo "$end - $start" | bc)" "${rss:--}"
}

printf '%-26s %9s %9s %9s %13s\n' recipe "val acc" "test acc" "time (s)" "peak RSS (GB)"
run "fine-tuned-mobilenet_v2" --backbone "$backbone" --cut "$cut" "${args[@]}"
# phase 1 alone: the head on the frozen features, its weight decay chosen on validation (a linear probe)
run "frozen-features-probe" --backbone "$backbone" --cut "$cut" "${args[@]}" --epochs 0
run "from-scratch-default"
