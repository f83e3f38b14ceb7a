#!/usr/bin/env bash
# Peak RSS of the default recipe as the data set grows (issue 13, item 8): one epoch, batch 5, on 400 and on 4,000
# generated 192x256 JPEGs. Flat means within 5 %. Pass LOTE_NO_JEMALLOC=1 to see glibc's malloc instead.
#   bench/rss-growth.sh [WORKDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/lote-rss}
mkdir -p "$work"
cd "$here"
launcher=./lote
if [[ -n "${LOTE_NO_JEMALLOC:-}" ]]; then
  sed 's|^jemalloc=.*|jemalloc=/nonexistent|' lote > "$work/lote-glibc" && chmod +x "$work/lote-glibc"
  cp "$work/lote-glibc" ./.lote-glibc && launcher=./.lote-glibc
fi
declare -A rss
for n in 400 4000; do
  [[ -d "$work/data$n" ]] || ./lote sample-data "$work/data$n" --classes 4 --per-class $((n / 4)) --size 192x256 >/dev/null
  rss[$n]=$(/usr/bin/time -f "%M" "$launcher" train "$work/data$n" --epochs 1 --batch-size 5 --no-summary --no-report \
    -o "$work/m$n.lote" 2>&1 >/dev/null | tail -1)
  printf '%5d images: peak RSS %4d MB\n' "$n" $((rss[$n] / 1024))
done
rm -f ./.lote-glibc
python3 -c "print('growth: %+.1f %%' % (100 * (${rss[4000]} / ${rss[400]} - 1)))"
