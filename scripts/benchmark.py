#!/usr/bin/env python3
"""LiftWatch's benchmark harness: the same recorded fleet stream through three consumers, side by side.

  (a) mosquitto_sub taking the stream to /dev/null: the consumer-side limit
  (b) a plain Python paho-mqtt + sqlite3 ingester (scripts/bench/paho_ingester.py)
  (c) LiftWatch, published -> committed, checked by counting what it stored

For each consumer the broker first holds the whole stream for the consumer's persistent session (the
consumer subscribes, leaves, the stream is published), then the consumer starts and the clock runs until it
has everything (for LiftWatch: until /metrics counts every message committed). All three read the same
broker, the same way. Then: store size hot and compacted, the long-range queries, the fault-event latency
histogram, and LiftWatch's peak resident memory. With --sustained SECONDS, also a paced run of that length,
sampling LiftWatch's resident memory every 10 s.

Run from the repository root: scripts/benchmark.py [--elevators 1000 --seconds 1000] [--sustained 600]
Builds in release mode; starts and stops its own mosquitto on a free loopback port.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def log(text):
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def rss_kib(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except FileNotFoundError:
        return None
    return None


def cpu_seconds(pid):
    """User + system CPU time a process has used so far (from /proc), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except FileNotFoundError:
        return None


def io_per_message(pid, total):
    """Bytes and system calls of a process's reads and writes so far (/proc/PID/io: files and sockets alike), per
    message. Unlike rates and CPU time, these hardly move with the machine's speed from one run to the next."""
    with open(f"/proc/{pid}/io") as f:
        io = {key: int(value) for key, value in (line.split(": ") for line in f.read().splitlines())}
    return {"write_bytes": round(io["wchar"] / total), "read_bytes": round(io["rchar"] / total),
            "write_calls": round(io["syscw"] / total, 2), "read_calls": round(io["syscr"] / total, 2)}


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_share(broker_seconds, consumer_seconds, seconds, total):
    """CPU used during a drain: cores busy and microseconds per message, for the broker and the consumer."""
    return {name: {"cores": round(cpu / seconds, 2), "us_per_msg": round(cpu * 1e6 / total, 1)}
            for name, cpu in (("broker", broker_seconds), ("consumer", consumer_seconds))}


SYSCALLS = ["read", "write", "pselect6", "epoll_wait", "futex", "pread64", "pwrite64", "fdatasync"]


class SyscallCounter:
    """Counts a process's system calls by thread (`perf stat` on the syscall tracepoints), from start until
    `per_message`. Needs tracepoint access (root, or kernel.perf_event_paranoid <= -1). The tracepoints slow every
    system call a little, so rates measured meanwhile are not comparable with runs without them."""

    def __init__(self, path, pid=None):
        self.path = path
        events = ["-e", ",".join(f"syscalls:sys_enter_{name}" for name in SYSCALLS)]
        self.prefix = ["perf", "stat", "-x", ",", "-o", path] + events
        self.proc = None
        if pid is not None:
            self.proc = subprocess.Popen(self.prefix + ["--per-thread", "-p", str(pid)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.2)  # perf needs a moment to attach

    def wrap(self, command):
        """The command run under `perf stat` (for a consumer the harness starts itself: nothing is missed)."""
        return self.prefix + ["--"] + command

    def per_message(self, messages, group=lambda thread: "process"):
        """System calls per message, summed over the threads of each group (`group` maps a thread's name to its
        group), only the calls that were made."""
        if self.proc:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait()
        counts = {}
        with open(self.path) as f:
            for line in f:
                fields = line.strip().split(",")
                if line.startswith("#") or len(fields) < 4:
                    continue
                if fields[0].isdigit():  # one process: count,unit,event,...
                    thread, count, event = "", fields[0], fields[2]
                else:  # --per-thread: comm-tid,count,unit,event,...
                    thread, count, event = fields[0].rsplit("-", 1)[0], fields[1], fields[3]
                if not count.isdigit() or int(count) == 0:
                    continue
                name = group(thread)
                call = event.removeprefix("syscalls:sys_enter_")
                counts.setdefault(name, {}).setdefault(call, 0)
                counts[name][call] += int(count)
        return {name: {call: round(n / messages, 3) for call, n in sorted(calls.items(), key=lambda c: -c[1]) if n / messages >= 0.0005}
                for name, calls in counts.items()}


def liftwatch_thread_group(thread):
    """LiftWatch's threads by role: the network threads of its MQTT sessions are named "mq <client id's end>"."""
    return "network threads" if thread.startswith("mq ") else "other threads"


class Broker:
    def __init__(self, work):
        self.port = free_port()
        self.dir = os.path.join(work, "mosquitto")
        os.makedirs(self.dir, exist_ok=True)
        conf = os.path.join(self.dir, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "max_queued_messages 0\nmax_queued_bytes 0\nmax_inflight_messages 100\n"
                    f"log_dest file {self.dir}/mosquitto.log\n")
            if os.geteuid() == 0:
                f.write("user root\n")
        self.proc = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def settle():
    """Write back what earlier steps left dirty (the peer's database), so no drain pays for another's writes."""
    os.sync()
    time.sleep(1)


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs)


def replay(bin_dir, broker, stream):
    out = run([f"{bin_dir}/liftsim", "replay", "--port", str(broker.port), "--input", stream, "--connections", "4"]).stdout
    log(out.strip())
    return float(re.search(r"\((\d+) msg/s\)", out).group(1))


def scrape(port):
    """LiftWatch's /metrics page."""
    for attempt in range(10):
        try:
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
            break
        except OSError:
            if attempt == 9:
                raise
            time.sleep(0.5)
    return text


def metric(port, name):
    text = scrape(port)
    return counter(text, name), text


def counter(text, name):
    """The sum of a metric's series in a /metrics page."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def bench_mosquitto_sub(broker, total):
    sub = ["mosquitto_sub", "-p", str(broker.port), "-i", "bench-sub", "-c", "-q", "1", "-t", "lift/#"]
    run(sub + ["-E"])
    return sub


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elevators", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=1000, help="simulated seconds of stream (1 message/s/elevator + stats)")
    parser.add_argument("--telemetry-every", type=int, default=1, metavar="SECONDS",
                        help="seconds between two telemetry samples of an elevator (default 1; 10 is the contract's usual interval)")
    parser.add_argument("--sustained", type=int, default=0, help="also run a paced run of this many seconds")
    parser.add_argument("--rate", type=int, default=20000, help="messages per second of the sustained run")
    parser.add_argument("--batch-size", type=int, help="LiftWatch's ingest.batch_size (default: LiftWatch's own default)")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--only", default="abc", help="which consumers to run: any of a, b, c")
    parser.add_argument("--ticket-latency", type=int, default=0, metavar="PROBES",
                        help="also time fault event -> ticket on the contractor topic for this many probe faults while --rate telemetry flows")
    parser.add_argument("--no-drain", action="store_true", help="with --ticket-latency or --sustained: only the paced runs, not LiftWatch's drain")
    parser.add_argument("--replicate", action="store_true",
                        help="stream LiftWatch's store with Litestream to a file replica during the drain (the cluster profile's cost), "
                             "then restore the replica and compare it with the store")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (databases, LiftWatch's serve.log)")
    parser.add_argument("--perf", metavar="FILE", help="record a perf profile of LiftWatch's drain into FILE (perf record -g)")
    parser.add_argument("--perf-dwarf", action="store_true",
                        help="with --perf: DWARF call graphs at 199 Hz instead of frame pointers at 499 Hz (libsqlite3 has no frame "
                             "pointers: only DWARF attributes SQLite's time to its callers; ~100 MB and a slower drain)")
    parser.add_argument("--syscalls", action="store_true",
                        help="count system calls per message during the drains of (a) and (c), by process and (LiftWatch) by "
                             "thread role, with perf stat on the syscall tracepoints (needs root; slows the drains)")
    parser.add_argument("--json", default=os.path.join(ROOT, "var", "benchmark.json"))
    args = parser.parse_args()

    if not args.skip_build:
        log("building in release mode")
        subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True)
    bin_dir = run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT).stdout.strip()
    work = tempfile.mkdtemp(prefix="liftwatch-bench-")
    every = "" if args.telemetry_every == 1 else f"-every{args.telemetry_every}"
    stream = os.path.join(ROOT, "var", f"stream-{args.elevators}x{args.seconds}{every}.bin")
    os.makedirs(os.path.dirname(stream), exist_ok=True)
    # The stream ends when it was recorded. Recorded on an earlier (UTC) day, its samples are all in a past day,
    # which LiftWatch's start-up maintenance pass compacts while the drain runs: recorded again, so that every
    # drain measures ingestion alone.
    if not os.path.exists(stream) or int(os.path.getmtime(stream)) // 86400 != int(time.time()) // 86400:
        log(f"recording {args.elevators} elevators x {args.seconds} s, telemetry every {args.telemetry_every} s")
        log(run([f"{bin_dir}/liftsim", "record", "--elevators", str(args.elevators), "--seconds", str(args.seconds),
                 "--telemetry-every", str(args.telemetry_every), "--output", stream]).stdout.strip())
    total = count_messages(stream)
    log(f"stream: {total} messages, {os.path.getsize(stream)} bytes")
    results = {"messages": total, "elevators": args.elevators, "telemetry_every": args.telemetry_every, "stream_bytes": os.path.getsize(stream)}
    results["parse"] = run([f"{bin_dir}/liftsim", "benchmark-parse", "--input", stream]).stdout.strip().splitlines()
    log("\n".join(results["parse"]))
    broker = Broker(work)
    try:
        if "a" in args.only:
            sub = bench_mosquitto_sub(broker, total)
            results["publish_rate_a"] = replay(bin_dir, broker, stream)
            settle()
            counters = None
            if args.syscalls:
                counters = (SyscallCounter(os.path.join(work, "syscalls-a-broker.csv"), pid=broker.proc.pid),
                            SyscallCounter(os.path.join(work, "syscalls-a.csv")))
            start, broker_cpu, children_cpu = time.monotonic(), cpu_seconds(broker.proc.pid), children_cpu_seconds()
            command = sub + ["-C", str(total)]
            subprocess.run(counters[1].wrap(command) if counters else command, stdout=subprocess.DEVNULL, check=True)
            seconds = time.monotonic() - start
            cpu = cpu_share(cpu_seconds(broker.proc.pid) - broker_cpu, children_cpu_seconds() - children_cpu, seconds, total)
            results["a_mosquitto_sub"] = {"seconds": seconds, "rate": total / seconds, "cpu": cpu}
            log(f"(a) mosquitto_sub: {total / seconds:,.0f} msg/s, CPU {cpu}")
            if counters:
                syscalls = {"broker": counters[0].per_message(total)["process"],
                            "mosquitto_sub": counters[1].per_message(total)["process"]}
                results["a_mosquitto_sub"]["syscalls_per_message"] = syscalls
                log(f"(a) system calls per message (under perf stat: rate not comparable): {syscalls}")
        if "b" in args.only:
            db = os.path.join(work, "paho.sqlite")
            # Debian's python3-paho-mqtt lives with Debian's interpreter.
            python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
            ingester = [python, os.path.join(ROOT, "scripts", "bench", "paho_ingester.py"), "--port", str(broker.port), "--db", db]
            run(ingester + ["--subscribe-only"])
            results["publish_rate_b"] = replay(bin_dir, broker, stream)
            settle()
            start = time.monotonic()
            out = run(ingester + ["--expect", str(total)]).stdout
            seconds = time.monotonic() - start
            stored = sqlite3.connect(db).execute("SELECT count(*) FROM messages").fetchone()[0]
            disconnects = json.loads(out)["disconnects"]
            results["b_paho_sqlite"] = {"seconds": seconds, "rate": total / seconds, "stored": stored, "disconnects": disconnects}
            if disconnects:
                # paho's own keepalive bug costs it a reconnect; its rate before that is the kinder figure.
                first = disconnects[0]
                results["b_paho_sqlite"]["rate_before_first_disconnect"] = first["stored"] / first["at"]
            log(f"(b) paho + sqlite3: {total / seconds:,.0f} msg/s ({stored} stored) {out.strip()}")
            for suffix in ("", "-wal", "-shm"):  # not needed any more; its dirty pages would burden the next drain
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
        if "c" in args.only:
            results.update(bench_liftwatch(args, bin_dir, broker, stream, total, work))
    finally:
        broker.stop()
    if "a_mosquitto_sub" in results and "c_liftwatch" in results:
        results["c_over_a"] = results["c_liftwatch"]["rate"] / results["a_mosquitto_sub"]["rate"]
    if "b_paho_sqlite" in results and "c_liftwatch" in results:
        results["c_over_b"] = results["c_liftwatch"]["rate"] / results["b_paho_sqlite"]["rate"]
        if "rate_before_first_disconnect" in results["b_paho_sqlite"]:
            results["c_over_b_before_disconnect"] = results["c_liftwatch"]["rate"] / results["b_paho_sqlite"]["rate_before_first_disconnect"]
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=2)
    print(json.dumps(results, indent=2))
    if args.keep:
        log(f"kept {work} (LiftWatch's database and serve.log under liftwatch/)")
    else:
        shutil.rmtree(work, ignore_errors=True)


def count_messages(path):
    count = 0
    with open(path, "rb") as f:
        data = f.read()
    i = 0
    while i < len(data):
        topic_len = int.from_bytes(data[i:i + 2], "big")
        i += 2 + topic_len
        payload_len = int.from_bytes(data[i:i + 4], "big")
        i += 4 + payload_len
        count += 1
    return count


def bench_liftwatch(args, bin_dir, broker, stream, total, work):
    results = {}
    cwd = os.path.join(work, "liftwatch")
    os.makedirs(cwd, exist_ok=True)
    shutil.copytree(os.path.join(ROOT, "config"), os.path.join(cwd, "config"))
    lw = f"{bin_dir}/liftwatch"
    http = free_port()
    common = ([] if args.batch_size is None else ["--set", f"ingest.batch_size={args.batch_size}"]) + ["--set", f"http.port={http}", "--broker-host", "127.0.0.1", "--broker-port", str(broker.port), "--log-level", "warning"]
    ids = run([f"{bin_dir}/liftsim", "ids", "--elevators", str(args.elevators)]).stdout.split()

    def register():
        # 5,000 ids a command: the argument parser takes time quadratic in the number of positional arguments.
        for start in range(0, len(ids), 5_000):
            run([lw, "elevators", "register", "--region", "430102", "--contractor", "C-BENCH"] + ids[start:start + 5_000], cwd=cwd)

    register()

    def serve():
        proc = subprocess.Popen([lw, "serve"] + common, cwd=cwd, stdout=subprocess.DEVNULL, stderr=open(os.path.join(cwd, "serve.log"), "a"))
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{http}/healthz", timeout=1)
                return proc
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("liftwatch did not start")

    if not args.no_drain:
        first = serve()  # creates the persistent session
        first.send_signal(signal.SIGTERM)
        first.wait()
        results["publish_rate_c"] = replay(bin_dir, broker, stream)
        settle()
        # Every message is committed as a sample (telemetry, event, stats, status), a dead letter or a duplicate.
        names = ["liftwatch_ingest_samples_total", "liftwatch_ingest_dead_letters_total", "liftwatch_ingest_duplicates_total"]
        broker_counter = SyscallCounter(os.path.join(work, "syscalls-c-broker.csv"), pid=broker.proc.pid) if args.syscalls else None
        litestream = None
        db = os.path.join(cwd, "var", "liftwatch.sqlite")
        if args.replicate:
            with open(os.path.join(cwd, "litestream.yml"), "w") as f:
                f.write(f"dbs:\n  - path: {db}\n    replicas:\n      - type: file\n        path: {cwd}/replica\n        sync-interval: 1s\n")
            litestream = subprocess.Popen(["litestream", "replicate", "-config", os.path.join(cwd, "litestream.yml")],
                                          stdout=subprocess.DEVNULL, stderr=open(os.path.join(cwd, "litestream.log"), "a"))
            litestream_cpu = cpu_seconds(litestream.pid)
        start, broker_cpu = time.monotonic(), cpu_seconds(broker.proc.pid)
        proc = serve()
        counters = None
        if args.syscalls:
            # LiftWatch's count starts once it serves: the messages stored before are left out below.
            counters = (broker_counter, SyscallCounter(os.path.join(work, "syscalls-c.csv"), pid=proc.pid))
            text = scrape(http)
            counted_from = sum(counter(text, name) for name in names)
        profiler = None
        if args.perf:
            graph = ["-F", "199", "--call-graph", "dwarf,16384"] if args.perf_dwarf else ["-F", "499", "-g"]
            profiler = subprocess.Popen(["perf", "record"] + graph + ["-o", args.perf, "-p", str(proc.pid)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = 0
        received = 0
        while True:
            peak = max(peak, rss_kib(proc.pid) or 0)
            # One scrape per poll: the poll itself takes CPU from the drain it measures.
            text = scrape(http)
            received = sum(counter(text, name) for name in names)
            if received >= total:
                break
            if time.monotonic() - start > 1800:
                raise RuntimeError(f"LiftWatch stored only {received} of {total}")
            time.sleep(0.05)
        seconds = time.monotonic() - start
        cpu = cpu_share(cpu_seconds(broker.proc.pid) - broker_cpu, cpu_seconds(proc.pid), seconds, total)
        io = io_per_message(proc.pid, total)
        syscalls = None
        if counters:
            syscalls = {"broker": counters[0].per_message(total)["process"]}
            syscalls.update(counters[1].per_message(total - counted_from, group=liftwatch_thread_group))
        if profiler:
            profiler.send_signal(signal.SIGINT)
            profiler.wait()
            log(f"perf profile of the drain in {args.perf} (perf report -i {args.perf} --no-children)")
        _, text = metric(http, "liftwatch_ingest_samples_total")
        results["c_liftwatch"] = {"seconds": seconds, "rate": total / seconds, "peak_rss_mib": peak / 1024, "cpu": cpu, "io_per_message": io}
        if syscalls:
            results["c_liftwatch"]["syscalls_per_message"] = syscalls
            log(f"(c) system calls per message (under perf stat: rate not comparable): {syscalls}")
        results["event_latency_histogram"] = [line for line in text.splitlines() if line.startswith("liftwatch_ingest_event_commit_latency_seconds")]
        log(f"(c) LiftWatch: {total / seconds:,.0f} msg/s, peak RSS {peak / 1024:.0f} MiB, CPU {cpu}, I/O per message {io}")
        if litestream:
            results["c_liftwatch"]["litestream_cpu_seconds"] = cpu_seconds(litestream.pid) - litestream_cpu
        proc.send_signal(signal.SIGTERM)
        proc.wait()
        con = sqlite3.connect(db)
        tables = ["telemetry", "events", "stats", "status_reports"]
        stored = sum(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)
        results["c_liftwatch"]["stored_rows"] = stored
        con.close()
        if litestream:
            # What the replica holds once Litestream has shipped the last pages (its sync interval, 1 s).
            time.sleep(2)
            litestream.send_signal(signal.SIGTERM)
            litestream.wait()
            began = time.monotonic()
            restored = os.path.join(work, "restored.sqlite")
            run(["litestream", "restore", "-o", restored, "file://" + os.path.join(cwd, "replica")])
            restore_seconds = time.monotonic() - began
            con = sqlite3.connect(restored)
            replica_rows = sum(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)
            con.close()
            size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(cwd, "replica")) for f in fs)
            results["replication"] = {"replica_rows": replica_rows, "store_rows": stored, "restore_seconds": restore_seconds,
                                      "replica_mib": size / 2**20, "store_mib": os.path.getsize(db) / 2**20,
                                      "litestream_cpu_seconds": results["c_liftwatch"]["litestream_cpu_seconds"]}
            log(f"replication: replica {replica_rows} of {stored} rows, restored in {restore_seconds:.1f} s, "
                f"replica {size / 2**20:.0f} MiB, Litestream CPU {results['replication']['litestream_cpu_seconds']:.1f} s")
        results["storage_hot"] = json.loads(run([lw, "store", "report", "--json"], cwd=cwd).stdout)
        began = time.monotonic()
        log(run([lw, "store", "maintain", "--include-today"], cwd=cwd).stdout.strip())
        results["compaction_seconds"] = time.monotonic() - began
        results["storage_compacted"] = json.loads(run([lw, "store", "report", "--json"], cwd=cwd).stdout)
        log(f"compaction of every sample: {results['compaction_seconds']:.1f} s "
            f"({results['compaction_seconds'] * 1e6 / max(results['storage_compacted']['chunk_samples'], 1):.1f} µs per sample)")
        results["queries"] = run([lw, "store", "benchmark-queries", "--database", os.path.join(cwd, "queries.sqlite")], cwd=cwd).stdout.strip().splitlines()
        log("\n".join(results["queries"]))
    def fresh_database():
        # The paced runs measure a live fleet: a database of its own, not the drained one whose "today" was
        # just compacted for the storage figure (live, today is never compacted, and rollups of a compacted
        # day decode its chunks). The stream continues after the drained one (new seq and ts).
        for suffix in ("", "-wal", "-shm"):
            try:
                os.remove(os.path.join(cwd, "var", "liftwatch.sqlite" + suffix))
            except FileNotFoundError:
                pass
        register()

    if args.sustained:
        fresh_database()
        results["sustained"] = sustained(args, bin_dir, broker, stream, serve, cwd, http)
    if args.ticket_latency:
        fresh_database()
        results["ticket_latency"] = ticket_latency(args, bin_dir, broker, stream, serve, cwd, http)
    return results


def ticket_latency(args, bin_dir, broker, stream, serve, cwd, http):
    """Probe faults while the stream is replayed at --rate: fault event published -> ticket on contractor/C-PROBE/tickets."""
    lw = f"{bin_dir}/liftwatch"
    probes = [f"PROBE-{i:04d}" for i in range(1, args.ticket_latency + 1)]
    run([lw, "elevators", "register", "--region", "430102", "--contractor", "C-PROBE"] + probes, cwd=cwd)
    proc = serve()
    loops = max(1, int((args.ticket_latency * 0.2 + 30) * args.rate / count_messages(stream)) + 1)
    publisher = subprocess.Popen([f"{bin_dir}/liftsim", "replay", "--port", str(broker.port), "--input", stream, "--rate", str(args.rate), "--loops", str(loops), "--first-loop", "1"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(10)  # telemetry at full rate before the first probe
    before, _ = metric(http, "liftwatch_ingest_samples_total")
    probe_start = time.monotonic()
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    out = run([python, os.path.join(ROOT, "scripts", "bench", "ticket_latency.py"), "--port", str(broker.port), "--probes", str(args.ticket_latency)]).stdout
    after, text = metric(http, "liftwatch_ingest_samples_total")
    stored_rate = (after - before) / (time.monotonic() - probe_start)
    backlog, _ = metric(http, "liftwatch_ingest_backlog_messages")
    commit_latency = [line for line in text.splitlines() if line.startswith("liftwatch_ingest_event_commit_latency_seconds")]
    handled_latency = [line for line in text.splitlines() if line.startswith("liftwatch_ingest_event_handled_latency_seconds")]
    publisher.terminate()
    publisher.wait()
    proc.send_signal(signal.SIGTERM)
    proc.wait()
    result = json.loads(out.strip().splitlines()[-1])
    result.update({"telemetry_rate": args.rate, "stored_per_second": round(stored_rate), "backlog_at_end": backlog,
                   "event_commit_latency_histogram": commit_latency, "event_handled_latency_histogram": handled_latency})
    log(f"ticket latency under {args.rate} msg/s: {result}")
    return result


def sustained(args, bin_dir, broker, stream, serve, cwd, http):
    """Paces whole loops of the stream at --rate for at least --sustained seconds and follows, every 10 s, what
    LiftWatch has stored, what the broker still holds for it, its CPU and its memory. Then waits until every
    published message is stored: a LiftWatch that keeps up stores at the offered rate with a backlog that stays
    flat, and has little left to drain when the publisher stops."""
    proc = serve()
    per_loop = count_messages(stream)
    loops = max(1, -(-args.sustained * args.rate // per_loop))

    def counts():
        text = scrape(http)
        return {"samples": counter(text, "liftwatch_ingest_samples_total"), "duplicates": counter(text, "liftwatch_ingest_duplicates_total"),
                "dead_letters": counter(text, "liftwatch_ingest_dead_letters_total"), "gaps": counter(text, "liftwatch_ingest_gaps_total"),
                "lost": counter(text, "liftwatch_ingest_lost_messages_total")}

    def handled(c):
        return c["samples"] + c["duplicates"] + c["dead_letters"]

    held_log = os.path.join(cwd, "broker-held.log")
    watcher = subprocess.Popen(["mosquitto_sub", "-p", str(broker.port), "-t", "$SYS/broker/store/messages/count"],
                               stdout=open(held_log, "w"), stderr=subprocess.DEVNULL)

    def held():
        with open(held_log) as f:
            lines = f.read().split()
        return int(lines[-1]) if lines else None

    # The broker's count includes its own retained $SYS messages: what it holds before publishing is the floor.
    waited = time.monotonic()
    while held() is None and time.monotonic() - waited < 15:
        time.sleep(0.5)
    floor = held() or 0
    first = counts()
    publisher = subprocess.Popen([f"{bin_dir}/liftsim", "replay", "--port", str(broker.port), "--input", stream, "--rate", str(args.rate), "--loops", str(loops), "--first-loop", "1"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    samples = []
    start = time.monotonic()
    previous_cpu, previous_t, previous_handled = cpu_seconds(proc.pid), start, handled(first)
    next_sample = start + 10
    while publisher.poll() is None:
        time.sleep(0.2)
        if time.monotonic() < next_sample:
            continue
        next_sample += 10
        now, cpu, c = time.monotonic(), cpu_seconds(proc.pid), counts()
        sqlite_bytes, _ = metric(http, "liftwatch_store_sqlite_memory_bytes")
        backlog, _ = metric(http, "liftwatch_ingest_backlog_messages")
        samples.append({"t": round(now - start), "stored_per_s": round((handled(c) - previous_handled) / (now - previous_t)),
                        "broker_held": (held() or 0) - floor, "liftwatch_backlog": backlog, "cores": round((cpu - previous_cpu) / (now - previous_t), 2),
                        "rss_mib": round((rss_kib(proc.pid) or 0) / 1024), "sqlite_mib": round(sqlite_bytes / 1048576, 1)})
        previous_cpu, previous_t, previous_handled = cpu, now, handled(c)
        log(f"sustained: {samples[-1]}")
    published_seconds = time.monotonic() - start
    if publisher.returncode != 0:
        raise RuntimeError(f"the publisher exited with status {publisher.returncode}")
    published = loops * per_loop
    left_at_end = published - (handled(counts()) - handled(first))
    while handled(counts()) - handled(first) < published and time.monotonic() - start < published_seconds + 900:
        time.sleep(0.2)
    drained = time.monotonic() - start - published_seconds
    last = counts()
    delta = {k: int(last[k] - first[k]) for k in last}
    if handled(last) - handled(first) < published:
        raise RuntimeError(f"LiftWatch handled {handled(last) - handled(first)} of {published} messages 900 s after the publisher stopped: {delta}")
    peak = (rss_kib(proc.pid, "VmHWM") or 0) / 1024
    watcher.terminate()
    proc.send_signal(signal.SIGTERM)
    proc.wait()
    steady = [s["stored_per_s"] for s in samples[3:]]
    result = {"seconds": round(published_seconds, 1), "rate": args.rate, "offered_per_s": round(published / published_seconds),
              "published": published, "counted": delta, "not_yet_stored_when_publisher_stopped": int(left_at_end),
              "drained_after_s": round(drained, 1), "stored_per_s_from_30s": round(sum(steady) / len(steady)) if steady else None,
              "samples": samples, "peak_rss_mib": peak}
    log(f"sustained: published {published} in {published_seconds:.1f} s ({published / published_seconds:,.0f} msg/s); LiftWatch counted {delta}; "
        f"{int(left_at_end)} not yet stored when the publisher stopped, all handled {drained:.1f} s later")
    return result


if __name__ == "__main__":
    main()
