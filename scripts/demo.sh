#!/usr/bin/env bash
# Sets up, builds and runs LiftWatch on its embedded defaults with a simulated fleet on a generated city:
# SQLite file var/liftwatch.sqlite, a local mosquitto started by `liftwatch serve` on 127.0.0.1:18830,
# a Changsha registry of UNITS building units (default 3000, var/city/*.csv, imported once), and the first
# ELEVATORS in-service elevators of it (default 100) as simulated controllers. Ctrl-C stops everything cleanly.
#   http://127.0.0.1:8080/healthz   http://127.0.0.1:8080/metrics
set -euo pipefail
cd "$(dirname "$0")/.."

elevators=${ELEVATORS:-100}
units=${UNITS:-3000}

scripts/setup.sh
echo "demo: building (first build takes a few minutes)"
swift build --product liftwatch
swift build --product liftsim
bin=$(swift build --show-bin-path)

"$bin/liftwatch" migrate
if [ ! -f var/city/elevators.csv ]; then
  "$bin/liftsim" city --units "$units" --seed 1 --output var/city
fi
# Re-importing the same files changes nothing: safe on every start.
"$bin/liftwatch" import units var/city/units.csv
"$bin/liftwatch" import elevators var/city/elevators.csv

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
"$bin/liftsim" run --fleet var/city/elevators.csv --elevators "$elevators" --port 18830 &
sim=$!
echo "demo: LiftWatch on http://127.0.0.1:8080 (healthz, metrics); $elevators simulated elevators of the generated city; Ctrl-C to stop"
wait "$serve"
