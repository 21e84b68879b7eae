#!/usr/bin/env bash
# Sets up, builds and runs LiftWatch on its embedded defaults with a simulated fleet on a generated city:
# SQLite file var/liftwatch.sqlite, a local mosquitto started by `liftwatch serve` on 127.0.0.1:18830,
# a Changsha registry of UNITS building units (default 3000, var/city/*.csv, imported once), and the first
# ELEVATORS in-service elevators of it (default 100) as simulated controllers. Ctrl-C stops everything cleanly.
# PROVINCE=1 starts on Hunan instead (`liftsim province`: 146,000 units in 13,500 estates, the retrofit programme
# from 2018 to today, about 6,600 elevators; var/province/*, imported once, about a minute and a half).
#   http://127.0.0.1:8080/healthz   http://127.0.0.1:8080/metrics   http://127.0.0.1:8080/progress
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
fleet=var/city/elevators.csv
if [ "${PROVINCE:-0}" = 1 ]; then
  fleet=var/province/elevators.csv
  if [ ! -f var/province/imported ]; then
    "$bin/liftsim" province --seed 1 --output var/province
    "$bin/liftwatch" places import var/province/places.csv
    "$bin/liftwatch" import units var/province/units.csv --quiet
    "$bin/liftwatch" import elevators var/province/elevators.csv --quiet
    "$bin/liftwatch" import steps var/province/steps.jsonl --quiet
    "$bin/liftwatch" targets import var/province/targets.csv
    touch var/province/imported
  fi
else
  if [ ! -f var/city/elevators.csv ]; then
    "$bin/liftsim" city --units "$units" --seed 1 --output var/city
  fi
  # Re-importing the same files changes nothing: safe on every start.
  "$bin/liftwatch" import units var/city/units.csv
  "$bin/liftwatch" import elevators var/city/elevators.csv
fi

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
"$bin/liftsim" run --fleet "$fleet" --elevators "$elevators" --port 18830 &
sim=$!
echo "demo: LiftWatch on http://127.0.0.1:8080 (healthz, metrics, progress); $elevators simulated elevators of $fleet; Ctrl-C to stop"
wait "$serve"
