#!/usr/bin/env python3
"""Years of history on one node (issue 25 item 4): the whole database on a realistic 10 s stream, against
Prometheus's TSDB on the same stream, release build.

1. The year: `liftwatch store benchmark-storage --days 365` writes ELEVATORS elevators' telemetry, every 10 s
   (trips, doors, loads, temperatures, sensor noise at each sensor's resolution), a day at a time through the
   ingest commit, each day followed by the store's daily maintenance (rollups, compaction, retention with the
   default minute-rollup days and raw samples kept). It measures the whole file, every table, and times the
   series queries. Target: <= 1.5 bytes per metric value, rollups included (8 numeric metrics per sample).
2. Side by side: a week of the same stream into a fresh LiftWatch database, and the same week's 8 numeric
   metrics as OpenMetrics into Prometheus's TSDB with Debian's `promtool tsdb create-blocks-from openmetrics`
   (blocks of up to a week, as Prometheus compacts them). Prometheus stores only the 8 numbers and their
   timestamps; LiftWatch also keeps seq, the arrival time and the 5 enumerated fields of each sample.

  scripts/storage-benchmark.py                      (build, the year and the week: about 6 minutes)
  scripts/storage-benchmark.py --skip-build --elevators 2 --days 60

Writes var/storage-benchmark.json. Needs Debian's prometheus package for the side-by-side part.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from harness import log  # noqa: E402


def directory_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elevators", type=int, default=4)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--week-days", type=int, default=7)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--out", default=os.path.join(ROOT, "var", "storage-benchmark.json"))
    args = parser.parse_args()

    if not args.skip_build:
        log("building liftwatch (release)…")
        subprocess.run(["swift", "build", "-c", "release", "--product", "liftwatch"], cwd=ROOT, check=True)
    lw = os.path.join(ROOT, ".build", "release", "liftwatch")
    work = tempfile.mkdtemp(prefix="lw-storage-")
    results = {}
    try:
        log(f"the year: {args.elevators} elevators × {args.days} days…")
        year = subprocess.run([lw, "store", "benchmark-storage", "--elevators", str(args.elevators), "--days", str(args.days),
                               "--database", os.path.join(work, "year.sqlite")], check=True, capture_output=True, text=True)
        results["year"] = json.loads(year.stdout)

        log(f"the week, side by side: {args.elevators} elevators × {args.week_days} days…")
        om = os.path.join(work, "week.om")
        week = subprocess.run([lw, "store", "benchmark-storage", "--elevators", str(args.elevators), "--days", str(args.week_days),
                               "--database", os.path.join(work, "week.sqlite"), "--openmetrics", om,
                               "--openmetrics-days", str(args.week_days + 1)], check=True, capture_output=True, text=True)
        results["week"] = {"liftwatch": json.loads(week.stdout)}
        promtool = shutil.which("promtool")
        if promtool:
            blocks = os.path.join(work, "tsdb")
            version = subprocess.run([promtool, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
            subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=168h", om, blocks],
                           check=True, capture_output=True, text=True)
            values = results["week"]["liftwatch"]["openmetrics_samples"] * 8
            size = directory_bytes(blocks)
            results["week"]["prometheus"] = {"version": version, "bytes": size, "values": values, "bytes_per_value": size / values}
        else:
            log("promtool not found (apt-get install prometheus): no side-by-side figure")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)

    y = results["year"]
    values = y["values"]
    print(f"\nThe year: {y['elevators']} elevators × {y['days']} days, {y['samples']:,} samples, {values:,} values "
          f"(loaded with daily maintenance in {y['load_seconds']:.0f} s)")
    print(f"  whole file {y['file_bytes']:,} bytes = {y['bytes_per_value']:.3f} bytes per value "
          f"({y['free_bytes']:,} bytes of it free pages); target <= 1.5")
    for table, size in sorted(y["tables"].items(), key=lambda kv: -kv[1]):
        if size >= 0.001 * y["file_bytes"]:
            print(f"  {table:<24} {size:>14,} bytes  {size / values:.3f} per value")
    # Projection: what grows with time (chunks, hour blobs, day rows) per elevator-day, and what does not (minute
    # rollups, the hot day, free pages) per elevator. Rollup rows are split by their count (rows of both levels
    # are the same size). Other tables (events, counters, status reports, tickets) are left out.
    e, days = y["elevators"], y["days"]
    rows = y["rollup_rows"]
    minute_rows, day_rows = rows.get("60000", 0), rows.get("86400000", 0)
    row_bytes = y["tables"]["rollups"] / max(1, minute_rows + day_rows)
    growing = (y["tables"]["telemetry_chunks"] / days + y["tables"]["rollup_hours"] / (days + 0.5) + day_rows * row_bytes / (days + 0.5)) / e
    rollups_per_day = (y["tables"]["rollup_hours"] / (days + 0.5) + day_rows * row_bytes / (days + 0.5)) / e
    fixed = (minute_rows * row_bytes + y["tables"]["telemetry"] * 2 + y["free_bytes"]) / e
    print(f"  per elevator: {growing * 365 / 1e6:.2f} MB a year kept whole ({rollups_per_day * 365 / 1e6:.2f} MB of it rollups), "
          f"{fixed / 1e6:.2f} MB not growing (minute rollups, a full hot day, free pages)")
    for label, raw_days in [("everything kept", 3650), ("defaults, raw 90 days", 90), ("raw 365 days", 365)]:
        total = 1e5 * (fixed + rollups_per_day * 3650 + (growing - rollups_per_day) * raw_days)
        print(f"  100,000 elevators × 10 years, {label}: {total / 1e12:.2f} TB")
    print("  queries (median of 11, ms):")
    for name, q in sorted(y["queries"].items()):
        print(f"    {name:<34} {q['ms']:8.2f}  ({q['points']} points)")
    w = results["week"]
    lw_week = w["liftwatch"]
    chunks = lw_week["chunk_bytes"] / (lw_week["chunk_samples"] * 8)
    print(f"\nThe week, same stream: LiftWatch compressed chunks {chunks:.3f} bytes per value "
          f"(whole file {lw_week['bytes_per_value']:.3f}: a week carries the fixed tables, 2 days of minute rollups and half a day hot)")
    if "prometheus" in w:
        p = w["prometheus"]
        print(f"  Prometheus TSDB ({p['version'].split('(')[0].strip()}): {p['bytes_per_value']:.3f} bytes per value, blocks and index;"
              f" LiftWatch's chunks / Prometheus: {chunks / p['bytes_per_value']:.2f}")


if __name__ == "__main__":
    main()
