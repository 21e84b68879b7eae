#!/usr/bin/env bash
# Takes the screenshots in docs/screenshots/ with headless Chromium on demo data: a generated city, a simulated
# fleet publishing for a minute, a few injected faults (an entrapment, door faults, a brake fault) turned into
# tickets, and one scheduler pass. Installs chromium and a CJK font from Debian when missing.
#   scripts/screenshots.sh            (about 3 minutes after the build)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
missing=()
command -v chromium >/dev/null || missing+=(chromium)
fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk' || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
swift build --product liftwatch 2>&1 | grep -E "error|Compiling liftwatch" || true
swift build --product liftsim 2>&1 | grep -E "error" || true
bin=$(swift build --show-bin-path)
work=$(mktemp -d /tmp/liftwatch-shots-XXXXXX)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mqtt=$(port); http=$(port)
lw() { "$bin/liftwatch" "$@" --database "$work/liftwatch.sqlite"; }
set_common=(--set "broker.embedded_port=$mqtt" --set "http.port=$http" --set "scheduler.pass_interval_seconds=2")

"$bin/liftsim" city --units 3000 --seed 1 --output "$work/city" >/dev/null
lw import units "$work/city/units.csv" --quiet >/dev/null
lw import elevators "$work/city/elevators.csv" --quiet >/dev/null
admin=$(lw tokens create --role admin --label screenshots 2>/dev/null)
regulator=$(lw tokens create --role regulator --region 4301 --label "Changsha bureau" 2>/dev/null)
contractor_id=$(awk -F, 'NR>1 && $1 ~ /^E430102/ && $6=="in_service" {print $4; exit}' "$work/city/elevators.csv")
contractor=$(lw tokens create --role contractor --contractor "$contractor_id" 2>/dev/null)
# Demo data as if the city had been registered two weeks ago: the first maintenance visits fall due now.
sqlite3 "$work/liftwatch.sqlite" "UPDATE elevators SET registered_at = registered_at - 14 * 86400000"

"$bin/liftwatch" serve --database "$work/liftwatch.sqlite" "${set_common[@]}" --log-level warning >"$work/serve.log" 2>&1 &
serve=$!
cleanup() { kill -TERM $serve $sim 2>/dev/null; wait $serve 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
sim=""
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$http/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
"$bin/liftsim" run --fleet "$work/city/elevators.csv" --elevators 120 --port "$mqtt" --duration 300 >/dev/null 2>&1 &
sim=$!
sleep 20
# Faults on elevators the contractor maintains and a few others: seq numbers far above the fleet's own.
now_ms() { python3 -c 'import time; print(int(time.time()*1000))'; }
mapfile -t mine < <(awk -F, -v c="$contractor_id" 'NR>1 && $4==c && $6=="in_service" {print $3" "$1}' "$work/city/elevators.csv" | head -4)
mapfile -t others < <(awk -F, 'NR>1 && $6=="in_service" {print $3" "$1}' "$work/city/elevators.csv" | sed -n '20,60p;' | head -12)
n=1000000
fault() { # region elevator code [occupied]
  n=$((n + 1)); local extra=""; [ "${4:-}" = occupied ] && extra=',"occupied":true'
  mosquitto_pub -p "$mqtt" -q 1 -t "lift/$1/$2/event" -m "{\"seq\":$n,\"ts\":$(now_ms),\"kind\":\"fault\",\"code\":\"$3\",\"state\":\"raised\",\"floor\":4$extra}"
}
read -r r e <<<"${mine[0]}"; fault "$r" "$e" entrapment_at_floor occupied
read -r r e <<<"${mine[1]}"; fault "$r" "$e" door_close_failure
read -r r e <<<"${mine[2]}"; fault "$r" "$e" brake_fault
read -r r e <<<"${mine[3]}"; fault "$r" "$e" button_stuck
codes=(door_open_failure entrapment_between_floors door_obstructed speed_abnormal battery_low door_close_failure)
i=0
for line in "${others[@]}"; do read -r r e <<<"$line"; fault "$r" "$e" "${codes[$((i % 6))]}"; i=$((i + 1)); done
sleep 3
# The contractor acknowledges the rescue.
rescue=$(lw tickets list --type rescue --contractor "$contractor_id" | awk 'NR==2 {print $1}')
[ -n "$rescue" ] && lw tickets act "$rescue" acknowledge --as "contractor:$contractor_id" --note "on my way" >/dev/null 2>&1 || true
sleep 30
elevator=$(echo "${mine[0]}" | cut -d' ' -f2)

# The login form is posted from a page on this host (LiftWatch refuses a login posted from another site, and
# from a file:// page, whose Origin is "null").
pages=$(port)
python3 -m http.server "$pages" --bind 127.0.0.1 --directory "$work" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; cleanup' EXIT
sleep 0.5
shoot() { # token path output [height]
  cat >"$work/login.html" <<HTML
<form method="post" action="http://127.0.0.1:$http/login"><input name="token" value="$1"><input name="next" value="$2"></form>
<script>document.forms[0].submit()</script>
HTML
  timeout 60 chromium --headless --enable-logging=stderr --v=0 --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,"${4:-1100}" --timeout=12000 \
    --screenshot="docs/screenshots/$3" "http://127.0.0.1:$pages/login.html" 2>&1 | grep -i 'console\|uncaught\|refused\|violat' | head -5 || true
  echo "docs/screenshots/$3"
}
mkdir -p docs/screenshots
shoot "$regulator" "/" overview.png 1500
shoot "$regulator" "/elevators/$elevator" elevator.png 1200
shoot "$contractor" "/contractor" contractor.png 1000
shoot "$admin" "/api/v1/elevators/$elevator/dossier?format=html" dossier.png 1500
shoot "$admin" "/login" login.png 500
