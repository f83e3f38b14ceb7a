#!/usr/bin/env bash
# Near-duplicate search, measured: 20 copies (re-encoded, resized 0.7x, cropped 90 %; one under another class, one in
# test/) injected into 1,000 of sample-data's pictures and, when given, into a folder of real photos (class folders,
# e.g. bench/real-photos.sh's set/train). Prints, for each set, how many copies `lote inspect --duplicates` found, how
# many groups hold no copy (false groups), the flags and the time. Usage: PYTHON=venv/bin/python bench/duplicates.sh [PHOTOS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$here/lote" sample-data "$work/synthetic/train" --classes 10 --per-class 100 --size 192x256 > /dev/null
sets=("$work/synthetic")
if [[ -n "${1:-}" ]]; then
  mkdir -p "$work/photos" && cp -r "$1" "$work/photos/train"
  sets+=("$work/photos")
fi
for set in "${sets[@]}"; do
  "$python" "$here/bench/inject_copies.py" "$set" 20 > /dev/null
  start=$(date +%s.%N)
  "$here/lote" inspect "$set" --duplicates --format json > "$work/out.json" || true  # exit 1: problems found
  end=$(date +%s.%N)
  "$python" - "$work/out.json" "$set" "$(echo "$end - $start" | bc)" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
groups = j["nearDuplicates"]
found = sum(1 for g in groups if any("/copy" in f for f in g["files"]))
false = [g for g in groups if not any("/copy" in f for f in g["files"])]
flags = sorted({g["crosses"] for g in groups if g.get("crosses")})
print(f"{sys.argv[2].split('/')[-1]}: {sum(j['countPerClass'].values())} images, {found} of 20 copies found, {len(false)} false groups, "
      f"lowest copy similarity {min(g['similarity'] for g in groups if g not in false):.4f}; flags: {flags}; {float(sys.argv[3]):.1f} s")
PY
done
