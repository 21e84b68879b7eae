#!/usr/bin/env python3
"""100,000 controllers on one node (issue 27, item 5; docs/scaling.md): each its own MQTT connection, telemetry
every 10 s, into one `liftwatch serve` and one mosquitto on this machine.

  scripts/scale-benchmark.py [--elevators 100000] [--processes 7] [--minutes 10] [--skip-build]

The fleet is spread over --processes `liftsim run` processes, each connected to an edge mosquitto of its own,
bridged (QoS 1, both ways) into the node's mosquitto that LiftWatch reads: a process may hold no more open files
than the hard limit (20,000 in this sandbox, which cannot raise it), so no single broker process can take 100,000
connections here; each edge takes one process's share, and the node's broker sees the edges' bridges. After
every controller is connected the clock runs for --minutes; every 10 s it samples LiftWatch's and mosquitto's
resident memory and CPU and LiftWatch's stored-message counter. Then the fleet stops, and what the controllers
published is set against what LiftWatch stored. Release build; a fresh SQLite file; the figures go to
var/scale-benchmark.json.
"""
import argparse, json, os, re, resource, signal, socket, sqlite3, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(*parts):
    print("scale:", *parts, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def scrape(port, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name) and not line.startswith("#"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elevators", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=7)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--telemetry-every", type=int, default=10)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--perf", metavar="FILE", help="record a perf profile (call graphs, 199 Hz) of LiftWatch over the measured minutes")
    args = parser.parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard != resource.RLIM_INFINITY and hard < args.elevators // args.processes + 1_000:
        raise SystemExit(f"scale: {args.elevators // args.processes} connections per process need more open files than the hard limit {hard}")
    if not args.skip_build:
        for product in ("liftwatch", "liftsim"):
            subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    bin_dir = os.path.join(ROOT, ".build/release")
    work = tempfile.mkdtemp(prefix="scale-")
    log("work directory", work)
    per = args.elevators // args.processes
    central = free_port()
    ports = [free_port() for _ in range(args.processes)]
    common = ("allow_anonymous true\nmax_queued_messages 1000000\nmax_inflight_messages 100\npersistence false\nsys_interval 5\n"
              "log_type error\nlog_type warning\n" + ("user root\n" if os.getuid() == 0 else ""))
    with open(f"{work}/mosquitto.conf", "w") as f:
        f.write(f"listener {central} 127.0.0.1\n{common}log_dest file {work}/mosquitto.log\n")
    broker = subprocess.Popen(["mosquitto", "-c", f"{work}/mosquitto.conf"])
    time.sleep(0.5)
    edges = []
    for i, port in enumerate(ports):
        with open(f"{work}/edge-{i}.conf", "w") as f:
            f.write(f"listener {port} 127.0.0.1\n{common}log_dest file {work}/edge-{i}.log\n"
                    f"connection edge-{i}\naddress 127.0.0.1:{central}\ntopic lift/# both 1\ncleansession false\n"
                    f"bridge_protocol_version mqttv311\ntry_private true\nbridge_max_packet_size 0\n")
        edges.append(subprocess.Popen(["mosquitto", "-c", f"{work}/edge-{i}.conf"]))
    time.sleep(1)
    lw = [f"{bin_dir}/liftwatch"]
    database = ["--database", f"{work}/lw.sqlite"]
    subprocess.run(lw + ["migrate"] + database, check=True, stdout=subprocess.DEVNULL)
    log(f"registering {args.elevators} elevators")
    for i in range(args.processes):
        ids = [f"S{i}-{n:04d}" for n in range(1, per + 1)]
        for start in range(0, len(ids), 5_000):
            subprocess.run(lw + ["elevators", "register", "--region", "430102", "--contractor", "C-SCALE"] + ids[start:start + 5_000] + database,
                           check=True, stdout=subprocess.DEVNULL)
    http = free_port()
    serve = subprocess.Popen(lw + ["serve", "--broker-host", "127.0.0.1", "--broker-port", str(central), "--http-port", str(http),
                                   "--log-level", "warning"] + database, stderr=open(f"{work}/serve.log", "w"))
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{http}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    fleet = []
    for i, port in enumerate(ports):
        fleet.append(subprocess.Popen(
            [f"{bin_dir}/liftsim", "run", "--elevators", str(per), "--prefix", f"S{i}", "--port", str(port),
             "--telemetry-every", str(args.telemetry_every), "--stats-every", "600", "--seed", str(i + 1), "--replay-buffer", "30"],
            stdout=open(f"{work}/liftsim-{i}.log", "w"), stderr=subprocess.STDOUT))
    log(f"{args.processes} fleet processes of {per} controllers started")

    def connected():
        total = 0
        for i in range(args.processes):
            with open(f"{work}/liftsim-{i}.log") as f:
                found = re.findall(r"(\d+)/(\d+) connected", f.read())
            total += int(found[-1][0]) if found else 0
        return total

    began = time.time()
    while connected() < per * args.processes and time.time() - began < 600:
        time.sleep(2)
    ramp = time.time() - began
    log(f"{connected()} connected after {ramp:.0f} s")
    # Where a backlog sits: each broker's messages held ($SYS, every 5 s) and LiftWatch's own.
    held = {}
    watchers = []
    for name, port in [("node", central)] + [(f"edge-{i}", p) for i, p in enumerate(ports)]:
        path = f"{work}/held-{name}.log"
        held[name] = path
        watchers.append(subprocess.Popen(["mosquitto_sub", "-p", str(port), "-t", "$SYS/broker/store/messages/count"],
                                         stdout=open(path, "w"), stderr=subprocess.DEVNULL))

    def last_line(path):
        with open(path) as f:
            lines = f.read().split()
        return int(lines[-1]) if lines else None

    def cpu_now():
        return {"liftwatch": cpu_seconds(serve.pid), "node_broker": cpu_seconds(broker.pid),
                "edges": sum(cpu_seconds(e.pid) for e in edges), "fleet": sum(cpu_seconds(p.pid) for p in fleet)}

    samples = []
    start = time.time()
    previous_cpu, previous_t = cpu_now(), start
    profiler = None
    if args.perf:
        profiler = subprocess.Popen(["perf", "record", "-F", "199", "-g", "-o", args.perf, "-p", str(serve.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stored0, cpu_lw0, cpu_mq0 = scrape(http, "liftwatch_ingest_samples_total"), cpu_seconds(serve.pid), cpu_seconds(broker.pid)
    cpu_edges0 = sum(cpu_seconds(e.pid) for e in edges)
    while time.time() - start < args.minutes * 60:
        time.sleep(10)
        sample = {"t": round(time.time() - start), "liftwatch_rss_mib": status(serve.pid, "VmRSS") / 1024,
                  "mosquitto_rss_mib": status(broker.pid, "VmRSS") / 1024,
                  "edges_rss_mib": sum(status(e.pid, "VmRSS") for e in edges) / 1024, "stored": scrape(http, "liftwatch_ingest_samples_total"),
                  "connected": connected(), "liftwatch_backlog": scrape(http, "liftwatch_ingest_backlog_messages"),
                  "node_broker_held": last_line(held["node"]),
                  "edges_held": sum(last_line(held[f"edge-{i}"]) or 0 for i in range(args.processes))}
        cpu, now = cpu_now(), time.time()
        sample["cores"] = {k: round((cpu[k] - previous_cpu[k]) / (now - previous_t), 2) for k in cpu}
        previous_cpu, previous_t = cpu, now
        samples.append(sample)
        log(json.dumps(sample))
    seconds = time.time() - start
    stored1 = scrape(http, "liftwatch_ingest_samples_total")
    if profiler:
        profiler.send_signal(signal.SIGINT)
        profiler.wait()
        log(f"perf profile of LiftWatch in {args.perf} (perf report -i {args.perf} --children)")
    cpu_lw, cpu_mq = cpu_seconds(serve.pid) - cpu_lw0, cpu_seconds(broker.pid) - cpu_mq0
    cpu_edges = sum(cpu_seconds(e.pid) for e in edges) - cpu_edges0
    for process in fleet:
        process.send_signal(signal.SIGTERM)
    for process in fleet:
        process.wait()
    published = 0
    for i in range(args.processes):
        with open(f"{work}/liftsim-{i}.log") as f:
            found = re.findall(r"(\d+) messages published", f.read())
        published += int(found[-1]) if found else 0
    # What the brokers still queue for LiftWatch is drained before it stops: stored until the count stands still.
    drain_began, last, still = time.time(), -1.0, 0
    while still < 3 and time.time() - drain_began < 900:
        time.sleep(5)
        now_stored = scrape(http, "liftwatch_ingest_samples_total")
        still = still + 1 if now_stored == last else 0
        last = now_stored
    drain_seconds = time.time() - drain_began - 15
    for watcher in watchers:
        watcher.terminate()
    serve.send_signal(signal.SIGTERM)
    serve.wait()
    for process in edges + [broker]:
        process.send_signal(signal.SIGTERM)
        process.wait()
    db = sqlite3.connect(f"{work}/lw.sqlite")
    rows = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("telemetry", "stats", "status_reports", "events", "dead_letters")}
    counters = dict(zip(["received", "duplicates", "gaps", "lost"], db.execute(
        "SELECT sum(received), sum(duplicates), sum(gaps), sum(lost) FROM ingest_counters").fetchone()))
    size = sum(os.path.getsize(f"{work}/lw.sqlite{s}") for s in ("", "-wal") if os.path.exists(f"{work}/lw.sqlite{s}"))
    rss = [s["liftwatch_rss_mib"] for s in samples]
    result = {
        "elevators": per * args.processes, "processes": args.processes, "telemetry_every_s": args.telemetry_every, "ramp_seconds": ramp,
        "measured_seconds": seconds, "stored_per_second": (stored1 - stored0) / seconds,
        "liftwatch_cpu_share_of_one_core": cpu_lw / seconds, "mosquitto_cpu_share_of_one_core": cpu_mq / seconds,
        "edge_brokers_cpu_share_of_one_core": cpu_edges / seconds,
        "liftwatch_rss_mib_first_last_min_max": [rss[0], rss[-1], min(rss), max(rss)] if rss else None,
        "published_by_fleet": published, "received_by_liftwatch": counters["received"], "rows": rows, "counters": counters,
        "database_mib": size / 2**20, "drain_after_fleet_stopped_s": drain_seconds, "samples": samples,
    }
    os.makedirs(os.path.join(ROOT, "var"), exist_ok=True)
    with open(os.path.join(ROOT, "var/scale-benchmark.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=2))
    stored = rows["telemetry"] + rows["stats"] + rows["events"] + rows["status_reports"]
    log(f"published {published}, received {counters['received']}, stored rows {stored}")


if __name__ == "__main__":
    main()
