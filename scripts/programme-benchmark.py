#!/usr/bin/env python3
"""The retrofit programme at province size (issue 24 item 6), release build.

Generates Hunan with `liftsim province` (146,000 units in 13,500 estates, its programme history to today),
times each import into a fresh database (`liftwatch places import`, `import units|elevators|steps`,
`targets import`), starts `liftwatch serve` on it, attaches 40 documents to one unit's project record, and
times over HTTP on loopback, as a regulator of the province would ask for them:

  - the monthly report of the province (`/api/v1/progress?region=43`), as JSON, CSV and the printable page;
  - a city's (4301 长沙市) and a district's report;
  - the dossier of the unit with 40 documents (JSON and the printable page).

Each request runs once cold, then --repeat times; the table gives the cold time, the median and the slowest.
Times are seen by the client, so they include HTTP on loopback (under a millisecond). Targets: province
report < 500 ms, a city's < 100 ms, import of 146,000 units < 20 s.

  scripts/programme-benchmark.py                 (build, generate, import, serve, measure: about 3 minutes)
  scripts/programme-benchmark.py --skip-build --units 20000
"""
import argparse
import datetime
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from harness import free_port, log  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=146_000)
    parser.add_argument("--estates", type=int, default=13_500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", default=datetime.date.today().isoformat(), help="the programme's today (YYYY-MM-DD)")
    parser.add_argument("--repeat", type=int, default=20, help="warm requests per route")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument("--json", default=os.path.join(ROOT, "var", "programme-benchmark.json"))
    args = parser.parse_args()

    if not args.skip_build:
        for product in ("liftwatch", "liftsim"):
            subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True)
    bin_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
    lw_bin, sim_bin = os.path.join(bin_dir, "liftwatch"), os.path.join(bin_dir, "liftsim")
    work = tempfile.mkdtemp(prefix="liftwatch-programme-")
    database = os.path.join(work, "liftwatch.sqlite")
    results = {"units": args.units, "estates": args.estates, "today": args.today, "imports": {}, "requests": {}}

    def lw(*command, **kwargs):
        return subprocess.run([lw_bin, *command, "--database", database], cwd=ROOT, check=True, capture_output=True, text=True, **kwargs)

    serve = None
    try:
        started = time.monotonic()
        out = subprocess.run([sim_bin, "province", "--units", str(args.units), "--estates", str(args.estates), "--seed", str(args.seed),
                              "--today", args.today, "--output", os.path.join(work, "province")],
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout
        results["generate_seconds"] = round(time.monotonic() - started, 2)
        log(out.strip())
        lw("migrate")
        province = os.path.join(work, "province")
        for name, command in [
            ("places", ["places", "import", f"{province}/places.csv"]),
            ("units", ["import", "units", f"{province}/units.csv", "--quiet"]),
            ("elevators", ["import", "elevators", f"{province}/elevators.csv", "--quiet"]),
            ("steps", ["import", "steps", f"{province}/steps.jsonl", "--quiet"]),
            ("targets", ["targets", "import", f"{province}/targets.csv"]),
            ("steps again (nothing new)", ["import", "steps", f"{province}/steps.jsonl", "--quiet"]),
        ]:
            started = time.monotonic()
            out = lw(*command).stdout.strip()
            seconds = time.monotonic() - started
            results["imports"][name] = {"seconds": round(seconds, 2), "output": out}
            log(f"  {name}: {seconds:.1f} s  {out}")
        results["database_bytes"] = os.path.getsize(database)

        admin = lw("tokens", "create", "--role", "admin", "--label", "benchmark").stdout.strip()
        regulator = lw("tokens", "create", "--role", "regulator", "--region", "43", "--label", "湖南省住建厅").stdout.strip()
        http_port, mqtt_port = free_port(), free_port()
        serve = subprocess.Popen(
            [lw_bin, "serve", "--database", database, "--set", f"http.port={http_port}", "--set", f"broker.embedded_port={mqtt_port}",
             "--log-level", "warning"], cwd=work, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "serve.log"), "w"))
        connection = None
        for _ in range(200):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=60)
                connection.request("GET", "/healthz")
                if connection.getresponse().read() is not None:
                    break
            except OSError:
                time.sleep(0.1)

        def call(method, path, token, body=None, content_type=None):
            headers = {"Authorization": f"Bearer {token}"}
            if content_type:
                headers["Content-Type"] = content_type
            started = time.monotonic()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            elapsed = (time.monotonic() - started) * 1000
            if response.status >= 300:
                raise SystemExit(f"{method} {path}: {response.status} {data[:300]!r}")
            return elapsed, data

        # The unit with 40 documents: the first elevator's unit, its steps' documents as scanned PDFs.
        with open(os.path.join(province, "elevators.csv"), encoding="utf-8") as f:
            elevator_id, unit_id = f.readlines()[1].split(",")[:2]
        project = json.loads(call("GET", f"/api/v1/units/{unit_id}/project", admin)[1])
        steps = [step["id"] for step in project["steps"]]
        for n in range(40):
            pdf = b"%PDF-1.4\n%" + f"scan {n} of the project record of {unit_id}\n".encode() + os.urandom(20_000) + b"\n%%EOF\n"
            call("POST", f"/api/v1/units/{unit_id}/project/documents?name=scan-{n:02d}.pdf&step={steps[n % len(steps)]}", admin, pdf, "application/pdf")

        today = datetime.date.fromisoformat(args.today)
        month = today.month - 1 or 12
        year = today.year if today.month > 1 else today.year - 1
        routes = [
            ("province report (JSON)", f"/api/v1/progress?region=43&year={year}&month={month}", 500),
            ("province report (CSV)", f"/api/v1/progress?region=43&year={year}&month={month}&format=csv", 500),
            ("province report page", f"/progress?region=43&year={year}&month={month}", 500),
            ("city report 4301 (JSON)", f"/api/v1/progress?region=4301&year={year}&month={month}", 100),
            ("city report page 4301", f"/progress?region=4301&year={year}&month={month}", 100),
            ("district report 430102 (JSON)", f"/api/v1/progress?region=430102&year={year}&month={month}", 100),
            ("dossier with 40 documents (JSON)", f"/api/v1/elevators/{elevator_id}/dossier", None),
            ("dossier with 40 documents (page)", f"/api/v1/elevators/{elevator_id}/dossier?format=html", None),
        ]
        log(f"\n{'request':<36} {'cold ms':>8} {'median':>8} {'max':>8}  target")
        for name, path, target in routes:
            cold, data = call("GET", path, regulator)
            warm = [call("GET", path, regulator)[0] for _ in range(args.repeat)]
            entry = {"path": path, "bytes": len(data), "cold_ms": round(cold, 1), "median_ms": round(statistics.median(warm), 1),
                     "max_ms": round(max(warm), 1), "target_ms": target}
            results["requests"][name] = entry
            log(f"{name:<36} {cold:8.1f} {entry['median_ms']:8.1f} {entry['max_ms']:8.1f}  {'< ' + str(target) if target else ''}")
        dossier = json.loads(call("GET", f"/api/v1/elevators/{elevator_id}/dossier", regulator)[1])
        results["dossier_documents"] = len(((dossier.get("project") or {}).get("documents")) or [])
        log(f"\ndossier of {unit_id}: {results['dossier_documents']} documents listed; database {results['database_bytes'] / 1e6:.0f} MB")
    finally:
        if serve:
            serve.terminate()
            serve.wait(timeout=30)
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(results, f, ensure_ascii=False, indent=2)
    log(f"wrote {args.json}")


if __name__ == "__main__":
    main()
