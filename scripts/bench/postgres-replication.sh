#!/usr/bin/env bash
# The PostgreSQL side of docs/decisions/0001-store-replication.md: how fast PostgreSQL 15 on this machine stores
# telemetry-shaped rows with a streaming standby, synchronous (no acknowledged write lost) and asynchronous, and
# what one small transaction (a fault event, an API change) costs in each. A bare insert rate: no MQTT, no decoding,
# so an upper bound for a store on PostgreSQL, to set beside LiftWatch's whole drain (scripts/benchmark.py).
#
#   scripts/bench/postgres-replication.sh [seconds per run, default 20]
set -euo pipefail
SECONDS_PER_RUN=${1:-20}
BIN=/usr/lib/postgresql/15/bin
WORK=$(mktemp -d /tmp/pg-replication-XXXX)
chown postgres "$WORK"
as_pg() { runuser -u postgres -- "$@"; }
trap 'as_pg $BIN/pg_ctl -D $WORK/standby stop -m immediate >/dev/null 2>&1 || true; as_pg $BIN/pg_ctl -D $WORK/primary stop -m immediate >/dev/null 2>&1 || true' EXIT

as_pg $BIN/initdb -D "$WORK/primary" -A trust >/dev/null
cat >> "$WORK/primary/postgresql.conf" <<CONF
port = 55432
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK'
wal_level = replica
max_wal_senders = 4
shared_buffers = 512MB
synchronous_standby_names = 'standby1'
CONF
as_pg $BIN/pg_ctl -D "$WORK/primary" -l "$WORK/primary.log" start >/dev/null
as_pg $BIN/pg_basebackup -h 127.0.0.1 -p 55432 -D "$WORK/standby" -R >/dev/null
sed -i "s/^port = 55432/port = 55433/" "$WORK/standby/postgresql.conf"
echo "primary_conninfo = 'host=127.0.0.1 port=55432 application_name=standby1'" >> "$WORK/standby/postgresql.auto.conf"
as_pg $BIN/pg_ctl -D "$WORK/standby" -l "$WORK/standby.log" start >/dev/null
sleep 2
psql() { command psql -h 127.0.0.1 -p 55432 -U postgres -qAt "$@"; }
psql -c "SELECT application_name, sync_state FROM pg_stat_replication"
psql -c "CREATE SEQUENCE s; CREATE TABLE telemetry(elevator int NOT NULL, seq bigint NOT NULL, ts bigint NOT NULL, payload bytea NOT NULL,
  PRIMARY KEY (elevator, seq)); CREATE TABLE events(id bigserial PRIMARY KEY, elevator int NOT NULL, ts bigint NOT NULL, code text NOT NULL)"
# 1,000 rows per transaction: one ingest batch of a 1,000-elevator fleet; the payload a compact sample's size.
cat > "$WORK/batch.sql" <<'SQL'
INSERT INTO telemetry SELECT g % 1000, nextval('s'), (extract(epoch FROM now()) * 1000)::bigint, '\x0102030405060708090a0b0c0d0e0f101112131415161718'::bytea FROM generate_series(1, 1000) g;
SQL
cat > "$WORK/event.sql" <<'SQL'
INSERT INTO events(elevator, ts, code) VALUES (1, (extract(epoch FROM now()) * 1000)::bigint, 'entrapment_between_floors');
SQL
for mode in on local; do
  psql -c "ALTER SYSTEM SET synchronous_commit = '$mode'" -c "SELECT pg_reload_conf()" >/dev/null
  label=$([ $mode = on ] && echo "synchronous standby" || echo "asynchronous standby")
  rows=$(command pgbench -h 127.0.0.1 -p 55432 -U postgres -n -c 2 -j 2 -T "$SECONDS_PER_RUN" -f "$WORK/batch.sql" postgres 2>/dev/null | awk '/^tps/ {print int($3 * 1000)}')
  latency=$(command pgbench -h 127.0.0.1 -p 55432 -U postgres -n -c 1 -T "$SECONDS_PER_RUN" -f "$WORK/event.sql" postgres 2>/dev/null | awk '/latency average/ {print $4}')
  echo "postgres 15, $label: $rows telemetry rows/s (1,000 per transaction, 2 clients); one-row transaction ${latency} ms"
done
