#!/usr/bin/env python3
"""Reliability runs of issue 8 that take minutes (docs/reliability.md).

  scripts/reliability.py crash  [--kills 5] [--elevators 100] [--seconds 150]
      SIGKILL `liftwatch serve` at random moments under load, restart it each time, then check the store
      against the simulators' own record of what they published (`liftsim scenario messages`, same seed and
      start): every message stored once or recorded lost, every event once, no ticket opened twice.
  scripts/reliability.py broker [--kills 3] [--elevators 100] [--seconds 120]
      the same with mosquitto (persistence on) killed and restarted instead; also measures how long LiftWatch
      takes to reconnect.
  scripts/reliability.py all
      both of the above, then 10 minutes of fuzzing (scripts/fuzz.sh 600): every long run of issue 8.

Release builds, a mosquitto of its own on a free port, a fresh SQLite file. Exit status 1 if anything was
lost or doubled.
"""
import argparse, collections, json, os, random, re, signal, socket, sqlite3, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(*parts):
    print("reliability:", *parts, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def build():
    log("building release binaries")
    for product in ("liftwatch", "liftsim"):
        subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


class Broker:
    def __init__(self, work):
        self.port = free_port()
        self.conf = os.path.join(work, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {work}/\n"
                    f"autosave_interval 1\nmax_queued_messages 1000000\nmax_inflight_messages 100\nlog_dest file {work}/mosquitto.log\n"
                    + ("user root\n" if os.getuid() == 0 else ""))
        self.process = None

    def start(self):
        self.process = subprocess.Popen(["mosquitto", "-c", self.conf])
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("mosquitto did not start")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


class LiftWatch:
    def __init__(self, bin_dir, work, broker_port):
        self.bin = bin_dir + "/liftwatch"
        self.work = work
        self.http = free_port()
        self.args = ["serve", "--database", f"{work}/lw.sqlite", "--broker-host", "127.0.0.1", "--broker-port", str(broker_port),
                     "--http-port", str(self.http), "--log-level", "warning"]
        self.process = None
        self.log = open(f"{work}/serve.log", "a")

    def cli(self, *args):
        return subprocess.run([self.bin, *args, "--database", f"{self.work}/lw.sqlite"], capture_output=True, text=True, check=True).stdout

    def start(self):
        self.process = subprocess.Popen([self.bin, *self.args], stdout=self.log, stderr=self.log)
        started = time.time()
        while time.time() - started < 30:
            if self.mqtt_connected():
                return time.time() - started
            time.sleep(0.05)
        raise SystemExit("liftwatch did not come up; see " + self.log.name)

    def mqtt_connected(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/healthz", timeout=0.5) as r:
                return json.load(r).get("mqtt", "").startswith("connected")
        except Exception:
            return False

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def scenario_file(work, elevators, seconds):
    """A fleet with telemetry every second and door faults raised all along (some elevators twice)."""
    steps = []
    k = 0
    for at in range(5, seconds - 10, 3):
        steps.append(f"  - {{at: {at}s, elevator: {k % 40 + 1}, fault: door_obstructed}}")
        k += 1
    path = f"{work}/crash.yaml"
    with open(path, "w") as f:
        f.write(f"""name: crash
summary: Load for the reliability runs.
fleet: {{elevators: {elevators}, prefix: REL, region: "430102", contractor: CT-REL}}
duration: {seconds}s
telemetry_every: 1s
stats_every: 30s
speed: 1
steps:
""" + "\n".join(steps) + "\nexpect:\n  elevators:\n    - {elevator: 1, lost_at_most: 0}\n")
    return path


def expected_messages(bin_dir, scenario, seed, start):
    """Per elevator, the seqs its controller made, and the fault events raised (elevator, key) -> count."""
    out = subprocess.run([bin_dir + "/liftsim", "scenario", "messages", scenario, "--seed", str(seed), "--start", str(start)],
                         capture_output=True, text=True, check=True).stdout
    seqs = collections.defaultdict(set)
    raised = collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\d+ publish \d+ lift/\d+/([^/]+)/(\w+)(?: \(retained\))? (\{.*\})$", line)
        if not m:
            continue
        elevator, kind, payload = m.group(1), m.group(2), json.loads(m.group(3))
        if "seq" in payload:
            seqs[elevator].add(payload["seq"])
        if kind == "event" and payload.get("kind") == "fault" and payload.get("state") == "raised":
            raised[(elevator, payload["code"])] += 1
    return seqs, raised


def check(db_path, seqs, raised):
    db = sqlite3.connect(db_path)
    ids = dict(db.execute("SELECT elevator_id, id FROM elevators"))
    missing_total = lost_total = doubled = 0
    report = []
    for elevator, expected in sorted(seqs.items()):
        key = ids[elevator]
        stored = collections.Counter()
        for table in ("telemetry", "events", "stats"):
            for (seq,) in db.execute(f"SELECT seq FROM {table} WHERE elevator = ?", (key,)):
                stored[seq] += 1
        for (seq,) in db.execute("SELECT DISTINCT seq FROM status_reports WHERE elevator = ? AND seq IS NOT NULL", (key,)):
            stored[seq] += 1
        lost = set()
        for a, b in db.execute("SELECT from_seq, to_seq FROM lost_ranges WHERE elevator = ?", (key,)):
            lost.update(range(a, b + 1))
        doubled += sum(1 for seq, n in stored.items() if n > 1)
        missing = expected - set(stored) - lost
        missing_total += len(missing)
        lost_total += len(lost & expected)
        if missing:
            report.append(f"{elevator}: {len(missing)} missing, e.g. {sorted(missing)[:5]}")
    tickets = collections.Counter()
    occurrences = {}
    for elevator, fault, n in db.execute("SELECT elevator_id, fault, occurrences FROM tickets WHERE fault IS NOT NULL"):
        tickets[(elevator, fault)] += 1
        occurrences[(elevator, fault)] = n
    twice = {k: n for k, n in tickets.items() if n > 1}
    no_ticket = [k for k in raised if tickets[k] == 0]
    wrong_count = {k: (occurrences.get(k), n) for k, n in raised.items() if tickets[k] == 1 and occurrences.get(k) != n}
    event_rows = db.execute("SELECT count(*), count(DISTINCT elevator || '/' || seq) FROM events").fetchone()
    return {
        "elevators": len(seqs), "messages_expected": sum(len(s) for s in seqs.values()), "missing": missing_total,
        "recorded_lost": lost_total, "stored_twice": doubled, "fault_events_raised": sum(raised.values()),
        "event_rows": event_rows[0], "event_rows_distinct": event_rows[1], "tickets_opened_twice": len(twice),
        "faults_without_ticket": len(no_ticket), "occurrence_mismatches": len(wrong_count), "details": report[:10],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["crash", "broker", "all"])
    parser.add_argument("--kills", type=int, default=None)
    parser.add_argument("--elevators", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.what == "all":
        failed = 0
        for what in ("crash", "broker"):
            failed |= subprocess.run([sys.executable, os.path.abspath(__file__), what, "--elevators", str(args.elevators)]).returncode
        failed |= subprocess.run([os.path.join(ROOT, "scripts/fuzz.sh"), "600"]).returncode
        log("all runs passed" if failed == 0 else "a run FAILED")
        sys.exit(1 if failed else 0)
    kills = args.kills if args.kills is not None else (5 if args.what == "crash" else 3)
    seconds = args.seconds or (150 if args.what == "crash" else 120)
    bin_dir = build()
    work = tempfile.mkdtemp(prefix=f"reliability-{args.what}-")
    log("work directory", work)
    broker = Broker(work)
    broker.start()
    lw = LiftWatch(bin_dir, work, broker.port)
    lw.cli("migrate")
    scenario = scenario_file(work, args.elevators, seconds)
    registry = subprocess.run([bin_dir + "/liftsim", "scenario", "registry", scenario], capture_output=True, text=True, check=True).stdout
    with open(f"{work}/elevators.csv", "w") as f:
        f.write(registry)
    lw.cli("import", "elevators", f"{work}/elevators.csv")
    lw.start()
    start = int(time.time() * 1000)
    sim = subprocess.Popen([bin_dir + "/liftsim", "scenario", "run", scenario, "--port", str(broker.port), "--seed", str(args.seed),
                            "--start", str(start), "--linger", "60"], stdout=open(f"{work}/liftsim.log", "w"), stderr=subprocess.STDOUT)
    rng = random.Random(args.seed)
    moments = sorted(rng.uniform(10, seconds - 15) for _ in range(kills))
    log(f"{args.elevators} elevators for {seconds} s; killing {'liftwatch' if args.what == 'crash' else 'mosquitto'} at",
        ", ".join(f"{m:.1f} s" for m in moments))
    began = time.time()
    reconnects = []
    for moment in moments:
        time.sleep(max(0, began + moment - time.time()))
        if args.what == "crash":
            lw.kill()
            time.sleep(rng.uniform(0.5, 3))
            reconnects.append(lw.start())
        else:
            broker.kill()
            down = time.time()
            time.sleep(rng.uniform(1, 3))
            broker.start()
            while lw.mqtt_connected() is False or time.time() - down < 0.2:
                if time.time() - down > 60:
                    break
                time.sleep(0.05)
            # Until LiftWatch notices the old connection is gone its health may still say connected: wait for
            # it to say so after the restart.
            t0 = time.time()
            while not lw.mqtt_connected() and time.time() - t0 < 60:
                time.sleep(0.05)
            reconnects.append(time.time() - down)
    sim.wait()
    log("fleet done; letting LiftWatch settle")
    time.sleep(15)
    lw.stop()
    seqs, raised = expected_messages(bin_dir, scenario, args.seed, start)
    result = check(f"{work}/lw.sqlite", seqs, raised)
    result["kills"] = kills
    result["restart_or_reconnect_seconds"] = [round(r, 2) for r in reconnects]
    counters = sqlite3.connect(f"{work}/lw.sqlite").execute(
        "SELECT sum(received), sum(duplicates), sum(gaps), sum(replayed), sum(lost) FROM ingest_counters").fetchone()
    result["counters"] = dict(zip(["received", "duplicates", "gaps", "replayed", "lost"], counters))
    print(json.dumps(result, indent=2))
    broker.kill()
    bad = result["missing"] or result["stored_twice"] or result["tickets_opened_twice"] or result["faults_without_ticket"] \
        or result["event_rows"] != result["event_rows_distinct"] or result["occurrence_mismatches"]
    log("FAILED: something was lost or doubled" if bad else "nothing lost, nothing doubled")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
