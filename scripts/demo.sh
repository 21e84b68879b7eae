#!/usr/bin/env bash
# Sets up, builds and runs LiftWatch on its embedded defaults with a small simulated fleet:
# SQLite file var/liftwatch.sqlite, a local mosquitto started by `liftwatch serve` on 127.0.0.1:18830,
# and ELEVATORS simulated controllers (default 8) publishing telemetry. Ctrl-C stops everything cleanly.
#   http://127.0.0.1:8080/healthz   http://127.0.0.1:8080/metrics
set -euo pipefail
cd "$(dirname "$0")/.."

elevators=${ELEVATORS:-8}
region=${REGION:-430102}

scripts/setup.sh
echo "demo: building (first build takes a few minutes)"
swift build --product liftwatch
swift build --product liftsim
bin=$(swift build --show-bin-path)

"$bin/liftwatch" migrate
# shellcheck disable=SC2046
"$bin/liftwatch" elevators register --region "$region" --contractor DEMO-C1 $("$bin/liftsim" ids --elevators "$elevators")

"$bin/liftwatch" serve "$@" &
serve=$!
sim=""
cleanup() {
  [ -n "$sim" ] && kill -TERM "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
  kill -TERM "$serve" 2>/dev/null && wait "$serve" 2>/dev/null
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 100); do
  curl -fsS http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break
  sleep 0.2
done
"$bin/liftsim" run --elevators "$elevators" --region "$region" --port 18830 &
sim=$!
echo "demo: LiftWatch on http://127.0.0.1:8080 (healthz, metrics); $elevators simulated elevators; Ctrl-C to stop"
wait "$serve"
