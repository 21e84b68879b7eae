#!/usr/bin/env python3
"""Fault event -> ticket on the contractor topic, timed end to end while telemetry flows.

Publishes one fault event (QoS 1) for each of --probes probe elevators, --interval seconds apart, and listens on
contractor/C-PROBE/tickets; a ticket names its elevator, so each arrival matches its event. Latency is from
just before the publish to the ticket's arrival, both read from this process's monotonic clock. Each probe
elevator first says it is online (retained status, as a controller does on connecting), so that the only
ticket it gets is its fault's; only `rescue` tickets are matched anyway. Both clients send each packet at once
(TCP_NODELAY), as LiftWatch and the broker do. Prints JSON: count, missing, p50/p90/p99/max in milliseconds, and how
many took over 50 and over 100 ms.
"""
import argparse
import json
import math
import socket
import threading
import time

import paho.mqtt.client as mqtt


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--region", default="430102")
    args = parser.parse_args()

    sent, arrived = {}, {}
    lock = threading.Lock()
    ready = threading.Event()

    def on_connect(client, userdata, flags, rc):
        client.subscribe("contractor/C-PROBE/tickets", qos=1)

    def on_subscribe(client, userdata, mid, granted):
        ready.set()

    def on_message(client, userdata, message):
        now = time.monotonic()
        try:
            ticket = json.loads(message.payload)
        except ValueError:
            return
        if ticket.get("type") != "rescue":
            return
        with lock:
            arrived.setdefault(ticket.get("elevator_id"), now)

    listener = mqtt.Client(client_id="ticket-latency-listener", clean_session=True)
    listener.on_connect, listener.on_subscribe, listener.on_message = on_connect, on_subscribe, on_message
    listener.connect(args.host, args.port)
    listener.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.loop_start()
    ready.wait(10)
    publisher = mqtt.Client(client_id="ticket-latency-probe", clean_session=True)
    publisher.connect(args.host, args.port)
    publisher.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    publisher.loop_start()
    for i in range(1, args.probes + 1):
        elevator = f"PROBE-{i:04d}"
        ts = int(time.time() * 1000)
        body = json.dumps({"seq": 1, "ts": ts, "kind": "fault", "code": "entrapment_at_floor", "state": "raised", "floor": 3, "occupied": True})
        publisher.publish(f"lift/{args.region}/{elevator}/status", json.dumps({"state": "online", "ts": ts, "firmware": "probe-1"}), qos=1, retain=True)
        time.sleep(0.02)
        with lock:
            sent[elevator] = time.monotonic()
        publisher.publish(f"lift/{args.region}/{elevator}/event", body, qos=1)
        time.sleep(args.interval)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with lock:
            if len(arrived) >= len(sent):
                break
        time.sleep(0.1)
    listener.loop_stop()
    publisher.loop_stop()
    with lock:
        latencies = sorted((arrived[e] - sent[e]) * 1000 for e in sent if e in arrived)
    def pct(p):
        # Nearest rank: the smallest latency with at least p % of them at or below it (p99 of 300: the 297th).
        return round(latencies[max(0, math.ceil(p / 100 * len(latencies)) - 1)], 1) if latencies else None
    print(json.dumps({"count": len(latencies), "missing": len(sent) - len(latencies), "p50_ms": pct(50), "p90_ms": pct(90),
                      "p99_ms": pct(99), "max_ms": round(latencies[-1], 1) if latencies else None,
                      "over_50_ms": sum(1 for l in latencies if l > 50), "over_100_ms": sum(1 for l in latencies if l > 100)}))


if __name__ == "__main__":
    main()
