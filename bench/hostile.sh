#!/usr/bin/env bash
# Hostile inputs against what has landed, one line per case (issue 13): decompression bombs, a model file that lies
# about its arrays, libjpeg's warnings on stderr, a slow-upload attack on `lote serve`, and an image deleted while
# training runs.
#   bench/hostile.sh [WORKDIR]
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/lote-hostile}
rm -rf "$work" && mkdir -p "$work"
cd "$here"
./lote sample-data "$work/data" --classes 3 --per-class 12 --size 48x64 >/dev/null
./lote train "$work/data" --epochs 1 --batch-size 4 --no-summary --no-report -o "$work/m.lote" >/dev/null 2>&1
python3 - "$work" <<'PY'
import struct, sys, zipfile, zlib
w = sys.argv[1]
open(f"{w}/bomb.gif", "wb").write(b"GIF89a" + struct.pack("<HH", 32767, 32767) + b"\0\0\0" + b",\0\0\0\0\1\0\1\0\0\2\2D\1\0;")
ihdr = struct.pack(">IIBBBBB", 7000, 7000, 16, 6, 0, 0, 0)
raw = zlib.compress(b"\0" * (7000 * 8 + 1) * 7000, 9)           # 49 MP of 16-bit RGBA zeros, ~400 KB
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(f"{w}/deep.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
src = zipfile.ZipFile(f"{w}/m.lote")
with zipfile.ZipFile(f"{w}/liar.lote", "w") as out:
    for n in src.namelist():
        data = src.read(n)
        if n == "weights/dense/kernel.f32":
            data = struct.pack("<I", 0x7fffffff) + data[4:]        # claims 8 GB
        out.writestr(n, data)
import glob, os
good = open(sorted(glob.glob(f"{w}/data/0/*.jpg"))[0], "rb").read()
sos = good.index(b"\xff\xda")
os.makedirs(f"{w}/odd/a", exist_ok=True); os.makedirs(f"{w}/odd/b", exist_ok=True)
open(f"{w}/odd/a/stray.jpg", "wb").write(good[:sos] + b"\0\0\0" + good[sos:])   # libjpeg warns, decodes on
open(f"{w}/odd/b/clean.jpg", "wb").write(good)
PY

case_line() { printf '%-44s %s\n' "$1" "$2"; }

start=$(date +%s.%N); out=$(./lote predict "$work/m.lote" "$work/bomb.gif" 2>&1); end=$(date +%s.%N)
case_line "35-byte GIF, 32767x32767 canvas" "$(echo "$out" | grep -o 'header declares[^,;)]*' | head -1); $(echo "$end - $start" | bc | cut -c1-4) s"
start=$(date +%s.%N); out=$(./lote predict "$work/m.lote" "$work/deep.png" 2>&1); end=$(date +%s.%N)
case_line "$(( $(stat -c %s "$work/deep.png") / 1024 )) KB 16-bit RGBA PNG, 49 MP" "$(echo "$out" | grep -o 'header declares[^)]*' | head -1 | cut -c1-90); $(echo "$end - $start" | bc | cut -c1-4) s"
out=$(./lote predict "$work/liar.lote" "$work/data/0/0_0.jpg" 2>&1); code=$?
case_line "model file claiming a 2^31-value array" "exit $code: $(echo "$out" | tail -1 | sed 's/.*(//; s/)$//' | cut -c1-80)"

./lote inspect "$work/odd" > "$work/inspect.out" 2> "$work/inspect.err"
case_line "JPEG with 3 stray bytes before its scan" "inspect: $(grep -o 'stray.jpg: the decoder says: [^;]*' "$work/inspect.out" | head -1); unnamed stderr lines: $(grep -vc 'stray.jpg' "$work/inspect.err")"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
./lote serve "$work/m.lote" --port "$port" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -s "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
python3 - "$port" <<'PY' &
import socket, sys, time
port = int(sys.argv[1]); socks = []
for i in range(60):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"POST /predict HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n".encode())
    socks.append(s)
for t in range(40):
    for s in socks:
        try: s.send(b"\0")
        except OSError: pass
    time.sleep(0.5)
PY
attack=$!
sleep 3
start=$(date +%s.%N); health=$(curl -s -m 20 "http://127.0.0.1:$port/health"); end=$(date +%s.%N)
case_line "60 uploads at 2 bytes/s, then GET /health" "${health:-no answer} after $(echo "$end - $start" | bc | cut -c1-4) s"
forged=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: attacker.example:$port" "http://127.0.0.1:$port/report")
case_line "GET /report with Host: attacker.example" "HTTP $forged"
kill $attack $server 2>/dev/null; wait $server 2>/dev/null

(./lote train "$work/data" --epochs 4 --batch-size 4 --no-summary --no-report --workers 1 --checkpoint "$work/ck" -o "$work/survived.lote" > "$work/train.log" 2>&1; echo "exit $?" >> "$work/train.log") &
trainer=$!
for _ in $(seq 600); do [[ -f "$work/ck/epoch-001.lote" ]] && break; sleep 0.1; done
rm -f "$work/data/1/1_3.jpg"
wait $trainer
case_line "image deleted after epoch 1 of 4" "$(tail -1 "$work/train.log"), model written: $([[ -f "$work/survived.lote" ]] && echo yes || echo no)"
