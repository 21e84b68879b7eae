#!/usr/bin/env bash
# Takes the retrofit programme's screenshots in docs/screenshots/ with headless Chromium, at desktop (1400 px) and
# phone (390 px) width: the monthly report of the province and of a city, and the dossier of a unit with its
# project record (vote, steps, funding, documents). Runs on a generated Hunan of UNITS units (default 20,000;
# the programme's history is the province's whatever the size).
#   scripts/screenshots-programme.sh        (about 2 minutes after the build)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
command -v chromium >/dev/null || { echo "needs chromium (scripts/screenshots.sh installs it)"; exit 1; }
swift build --product liftwatch 2>&1 | grep -E "error" || true
swift build --product liftsim 2>&1 | grep -E "error" || true
bin=$(swift build --show-bin-path)
work=$(mktemp -d /tmp/liftwatch-programme-shots-XXXXXX)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mqtt=$(port); http=$(port); pages=$(port)
lw() { "$bin/liftwatch" "$@" --database "$work/liftwatch.sqlite"; }
today=${TODAY:-2026-12-07}

"$bin/liftsim" province --units "${UNITS:-20000}" --estates "${ESTATES:-1850}" --seed 1 --today "$today" --output "$work/province"
lw places import "$work/province/places.csv" >/dev/null
lw import units "$work/province/units.csv" --quiet
lw import elevators "$work/province/elevators.csv" --quiet
lw import steps "$work/province/steps.jsonl" --quiet
lw targets import "$work/province/targets.csv" >/dev/null
admin=$(lw tokens create --role admin --label screenshots 2>/dev/null)
province=$(lw tokens create --role regulator --region 43 --label "湖南省住房和城乡建设厅" 2>/dev/null)

# The unit shown: the latest in Changsha's 芙蓉区 to reach service; two scans attached to its steps.
elevator=$(awk -F, 'NR>1 && $3=="430102" {e=$1} END {print e}' "$work/province/elevators.csv")
unit=$(awk -F, -v e="$elevator" '$1==e {print $2}' "$work/province/elevators.csv")
python3 - "$work" <<'PY'
import sys, zlib, struct
work = sys.argv[1]
open(f"{work}/vote.pdf", "wb").write(b"%PDF-1.4\n% owners' vote, signed sheets\n%%EOF\n")
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
raw = b"".join(b"\x00" + bytes([200, 210, 220] * 64) for _ in range(48))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 48, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(f"{work}/acceptance.png", "wb").write(png)
PY
steps=$(lw project show "$unit" | python3 -c 'import json,sys; s=json.load(sys.stdin)["steps"]; print(" ".join(str(x["id"]) for x in s))')
read -r -a ids <<<"$steps"
lw project attach "$unit" "$work/vote.pdf" --step "${ids[0]}" --name "业主表决书（签字页）.pdf" >/dev/null
lw project attach "$unit" "$work/acceptance.png" --step "${ids[4]:-${ids[0]}}" --name "竣工验收现场照片.png" >/dev/null

"$bin/liftwatch" serve --database "$work/liftwatch.sqlite" --set "broker.embedded_port=$mqtt" --set "http.port=$http" --log-level warning >"$work/serve.log" 2>&1 &
serve=$!
python3 -m http.server "$pages" --bind 127.0.0.1 --directory "$work" >/dev/null 2>&1 &
server=$!
cleanup() { kill -TERM $serve $server 2>/dev/null; wait $serve 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$http/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

shoot() { # token path output width height
  cat >"$work/login.html" <<HTML
<form method="post" action="http://127.0.0.1:$http/login"><input name="token" value="$1"><input name="next" value="$2"></form>
<script>document.forms[0].submit()</script>
HTML
  timeout 60 chromium --headless --enable-logging=stderr --v=0 --no-sandbox --disable-gpu --hide-scrollbars --window-size="$4,$5" --timeout=12000 \
    --screenshot="docs/screenshots/$3" "http://127.0.0.1:$pages/login.html" 2>&1 | grep -i 'console\|uncaught\|refused\|violat' | head -5 || true
  echo "docs/screenshots/$3"
}
month=$(python3 -c "import datetime; d=datetime.date.fromisoformat('$today'); print(d.month - 1 or 12, d.year if d.month > 1 else d.year - 1)")
read -r m y <<<"$month"
mkdir -p docs/screenshots
shoot "$province" "/progress?region=43&year=$y&month=$m" progress.png 1400 2300
shoot "$province" "/progress?region=43&year=$y&month=$m" progress-phone.png 390 2600
shoot "$province" "/progress?region=4301&year=$y&month=$m" progress-city.png 1400 2000
shoot "$admin" "/api/v1/elevators/$elevator/dossier?format=html" dossier-project.png 1400 2400
shoot "$admin" "/api/v1/elevators/$elevator/dossier?format=html" dossier-project-phone.png 390 3200
