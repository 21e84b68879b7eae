#!/usr/bin/env python3
"""The peer an integrator would write: paho-mqtt + json + sqlite3, one table, commit every 1000 messages.

Subscribes to lift/+/+/+ with QoS 1 on a persistent session (clean session off), stores every message, and
exits once it has committed --expect messages. With --subscribe-only it just creates the session and leaves.
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
    state = {"pending": [], "stored": 0, "subscribed": False}

    def flush():
        db.executemany("INSERT OR IGNORE INTO messages VALUES (?, ?, ?, ?, ?)", state["pending"])
        db.commit()
        state["stored"] += len(state["pending"])
        state["pending"] = []

    def on_connect(client, userdata, flags, rc, *rest):
        client.subscribe("lift/+/+/+", qos=1)

    def on_subscribe(client, userdata, mid, granted, *rest):
        state["subscribed"] = True

    def on_message(client, userdata, message):
        parts = message.topic.split("/")
        try:
            body = json.loads(message.payload)
        except ValueError:
            return
        state["pending"].append((parts[2], body.get("seq"), parts[3], body.get("ts"), message.payload.decode()))
        if len(state["pending"]) >= 1000:
            flush()

    try:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, client_id="bench-paho", clean_session=False)
    except AttributeError:  # paho-mqtt 1.x
        client = mqtt.Client(client_id="bench-paho", clean_session=False)
    client.max_inflight_messages_set(100)
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(args.host, args.port, keepalive=60)
    started = time.monotonic()
    while True:
        client.loop(timeout=0.1)
        if args.subscribe_only and state["subscribed"]:
            break
        if not args.subscribe_only and state["stored"] + len(state["pending"]) >= args.expect:
            flush()
            break
    elapsed = time.monotonic() - started
    client.disconnect()
    if not args.subscribe_only:
        print(json.dumps({"stored": state["stored"], "seconds": elapsed}))


if __name__ == "__main__":
    sys.exit(main())
