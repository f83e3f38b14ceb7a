#!/usr/bin/env bash
# The real-photo benchmark of the recipes: 14 classes of photographed objects (Tux Paint's cut-out photo stamps)
# pasted on real wallpapers (KDE Plasma, GNOME), 100 training and 20 test images per class at 768x1024, where the
# test objects and backgrounds never appear in training. Then `lote bench recipes` trains the notebook's recipe
# and the default one on it and measures both on the unseen test set.
#   bench/real-photos.sh [WORKDIR] [extra 'bench recipes' options, e.g. --epochs 12]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/lote-real-photos}
shift || true
mkdir -p "$work/debs"
cd "$work/debs"
ls tuxpaint-stamps-default_*.deb plasma-workspace-wallpapers_*.deb gnome-backgrounds_*.deb >/dev/null 2>&1 \
  || apt-get download tuxpaint-stamps-default plasma-workspace-wallpapers gnome-backgrounds
rm -rf "$work/pkg" "$work/objects" "$work/backgrounds"
for d in *.deb; do dpkg-deb -x "$d" "$work/pkg"; done

# classes: folders of photographed objects, one file per object (sub-folders hold cartoons and are left out)
stamps=$work/pkg/usr/share/tuxpaint/stamps
for pair in birds:animals/birds fruit:food/fruit flowers:plants/flowers vegetables:food/vegetables \
            bovines:animals/mammals/bovines tools:household/tools mammals:animals/mammals fish:animals/fish \
            insects:animals/insects planets:space/planets sports:sports household:household \
            rodents:animals/mammals/rodents trees:plants/trees; do
  mkdir -p "$work/objects/${pair%%:*}"
  cp "$stamps/${pair#*:}"/*.png "$work/objects/${pair%%:*}/"
done

# backgrounds: each wallpaper once (its largest raster file; the others are the same picture at other sizes)
mkdir -p "$work/backgrounds"
for w in "$work"/pkg/usr/share/wallpapers/*/contents/images; do
  f=$(ls -S "$w"/*.{jpg,png} 2>/dev/null | head -1 || true)
  [[ -n "$f" ]] && cp "$f" "$work/backgrounds/$(basename "$(dirname "$(dirname "$w")")").${f##*.}"
done
cp "$work"/pkg/usr/share/backgrounds/gnome/*.{jpg,png,webp} "$work/backgrounds/" 2>/dev/null || true

cd "$here"
./lote sample-data "$work/set" --paste "$work/objects" --on "$work/backgrounds" --per-class 100 --test-per-class 20 --size 768x1024
./lote bench recipes "$work/set/train" "$work/set/test" "$@"   # the note on issue 7 used --epochs 40
