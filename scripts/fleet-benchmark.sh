#!/usr/bin/env bash
# Runs a simulated fleet of ELEVATORS controllers (each its own MQTT connection, all on one thread) against a
# fresh mosquitto for SECONDS, with a mosquitto_sub taking everything, and reports the simulator's CPU and
# memory, the broker's CPU, and how many messages arrived. Figures go to docs/benchmarks.md.
#   scripts/fleet-benchmark.sh [ELEVATORS=10000] [SECONDS=120] [TELEMETRY_EVERY=10]
set -euo pipefail
cd "$(dirname "$0")/.."
elevators=${1:-10000}
seconds=${2:-120}
every=${3:-10}

swift build -c release --product liftsim >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
user root
persistence false
max_connections -1
max_queued_messages 100000
log_dest stderr
log_type error
log_type warning
CONF
ulimit -n "$(ulimit -Hn)"
mosquitto -c "$work/mosquitto.conf" 2>"$work/mosquitto.err" & broker=$!
sub=""
cleanup() { [ -n "$sub" ] && kill "$sub" 2>/dev/null; kill "$broker" 2>/dev/null; wait 2>/dev/null; cat "$work/mosquitto.err" >&2; rm -rf "$work"; }
trap cleanup EXIT
sleep 0.5
mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -t 'lift/#' >"$work/received" & sub=$!
sleep 0.5
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
broker_before=$(ticks "$broker")
start=$(date +%s.%N)
echo "fleet-benchmark: $elevators elevators, telemetry every $every s, stats every 60 s, $seconds s"
"$bin/liftsim" run --elevators "$elevators" --duration "$seconds" --telemetry-every "$every" --port "$port" --replay-buffer 60 2>"$work/progress"
end=$(date +%s.%N)
sleep 2
broker_after=$(ticks "$broker")
grep -E 'connected' "$work/progress" | tail -3
received=$(wc -l <"$work/received")
python3 - "$broker_before" "$broker_after" "$hz" "$start" "$end" "$received" <<'PY'
import sys
before, after, hz, start, end, received = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
wall = end - start
print(f"fleet-benchmark: mosquitto used {(after - before) / hz:.1f} CPU s ({(after - before) / hz / wall * 100:.0f} % of one core); mosquitto_sub received {received} messages")
PY
