#!/usr/bin/env python3
"""The peer an integrator would write: paho-mqtt + json + sqlite3, one table, commit every 1000 messages.

Subscribes to lift/+/+/+ with QoS 1 on a persistent session (clean session off), stores every message, and
exits once it has committed --expect distinct messages. It runs paho's own loop_forever(), which reconnects
after a lost connection, as an integrator's ingester would: paho 1.6 closes a busy connection itself when
the PINGRESP is queued behind a long run of PUBLISHes (eclipse-paho/paho.mqtt.python#914). The session
redelivers what was not acknowledged; each disconnect is reported with the result.
With --subscribe-only it just creates the session and leaves.
"""
import argparse
import json
import sqlite3
import sys
import time

import paho.mqtt.client as mqtt


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--expect", type=int, default=0)
    parser.add_argument("--subscribe-only", action="store_true")
    args = parser.parse_args()

    db = sqlite3.connect(args.db)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("""CREATE TABLE IF NOT EXISTS messages (
        elevator_id TEXT, seq INTEGER, kind TEXT, ts INTEGER, body TEXT, PRIMARY KEY (elevator_id, seq))""")
    state = {"pending": [], "stored": 0, "disconnects": []}
    started = time.monotonic()

    def flush():
        # Rows, not messages: a message redelivered after a reconnect is ignored by the primary key.
        before = db.total_changes
        db.executemany("INSERT OR IGNORE INTO messages VALUES (?, ?, ?, ?, ?)", state["pending"])
        db.commit()
        state["stored"] += db.total_changes - before
        state["pending"] = []

    def on_connect(client, userdata, flags, rc, *rest):
        client.subscribe("lift/+/+/+", qos=1)

    def on_subscribe(client, userdata, mid, granted, *rest):
        if args.subscribe_only:
            client.disconnect()

    def on_disconnect(client, userdata, rc, *rest):
        # loop_forever() reconnects by itself; the persistent session redelivers what was not acknowledged.
        if rc != mqtt.MQTT_ERR_SUCCESS:
            state["disconnects"].append({"at": round(time.monotonic() - started, 1), "stored": state["stored"],
                                         "reason": mqtt.error_string(rc)})
            print(f"disconnected: {state['disconnects'][-1]}", file=sys.stderr, flush=True)

    def on_message(client, userdata, message):
        if args.subscribe_only:
            return  # only creating the session
        parts = message.topic.split("/")
        try:
            body = json.loads(message.payload)
        except ValueError:
            return
        state["pending"].append((parts[2], body.get("seq"), parts[3], body.get("ts"), message.payload.decode()))
        # A commit every 1,000 messages, or as soon as those pending could complete the expected rows.
        if len(state["pending"]) >= min(1000, args.expect - state["stored"]):
            flush()
            if state["stored"] >= args.expect:
                client.disconnect()

    try:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, client_id="bench-paho", clean_session=False)
    except AttributeError:  # paho-mqtt 1.x
        client = mqtt.Client(client_id="bench-paho", clean_session=False)
    client.max_inflight_messages_set(100)
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_disconnect = on_disconnect
    client.on_message = on_message
    client.reconnect_delay_set(min_delay=1, max_delay=2)
    client.connect(args.host, args.port, keepalive=60)
    client.loop_forever(retry_first_connection=True)
    elapsed = time.monotonic() - started
    if not args.subscribe_only:
        print(json.dumps({"stored": state["stored"], "seconds": elapsed, "disconnects": state["disconnects"]}))


if __name__ == "__main__":
    sys.exit(main())
