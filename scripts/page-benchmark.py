#!/usr/bin/env python3
"""Pages and figures at province scale (issue 25 items 2, 3 and 6), release build, headless Chromium.

Builds a province as a regulator of Hunan would meet it: `liftsim province` (146,000 units in 13,500 estates, about
6,600 elevators in service, the programme's history), imported into a fresh database, then a year of made-up
history (`liftwatch store backfill`: faults, rescues with their steps, maintenance, inspections, a storm). Starts
`liftwatch serve` on it and measures:

  - API routes and page fragments a regulator of region 43 uses, as seen by a client on loopback: one cold
    request, then --repeat; target < 200 ms each;
  - pages in Debian's headless chromium over the DevTools protocol (scripts/cdp.py), from navigation to a quiet
    network (no request in flight for 500 ms, the quiet time not counted): the overview of the province (target
    < 2 s) and of a city (< 1 s), the map zoomed in to units, an elevator page, the contractor page, a dossier and
    the monthly report, at desktop width (1366 px) and phone width (390 px); the first visit and the median of
    the next --visits;
  - with --screenshots, the Chinese pages into docs/screenshots/.

  scripts/page-benchmark.py                       (build, generate, import, backfill, measure: about 6 minutes)
  scripts/page-benchmark.py --skip-build --database /tmp/province.sqlite   (reuse a database built before)
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from harness import free_port, log  # noqa: E402
from cdp import Chromium  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--database", help="where to keep the province database: built there if missing, reused as it is if not")
    parser.add_argument("--repeat", type=int, default=10, help="warm requests per API route")
    parser.add_argument("--visits", type=int, default=3, help="warm visits per page")
    parser.add_argument("--screenshots", action="store_true", help="write the Chinese pages to docs/screenshots/")
    parser.add_argument("--json", default=os.path.join(ROOT, "var", "page-benchmark.json"))
    args = parser.parse_args()
    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "liftwatch"], cwd=ROOT, check=True)
        subprocess.run(["swift", "build", "-c", "release", "--product", "liftsim"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, ".build", "release")
    work = tempfile.mkdtemp(prefix="lw-pages-")
    database = args.database or os.path.join(work, "province.sqlite")
    reuse = args.database is not None and os.path.exists(args.database)
    figures = {"imports": {}, "api": [], "pages": []}

    def lw(*command, quiet=True):
        return subprocess.run([os.path.join(binary, "liftwatch"), *command, "--database", database], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()

    if not reuse:
        log("generating the province…")
        subprocess.run([os.path.join(binary, "liftsim"), "province", "--output", work, "--places", "config/places/hunan.csv"],
                       cwd=ROOT, check=True, capture_output=True)
        for name, command in [("places", ["places", "import", f"{work}/places.csv"]), ("units", ["import", "units", f"{work}/units.csv", "--quiet"]),
                              ("elevators", ["import", "elevators", f"{work}/elevators.csv", "--quiet"]), ("steps", ["import", "steps", f"{work}/steps.jsonl"]),
                              ("targets", ["targets", "import", f"{work}/targets.csv"]), ("backfill", ["store", "backfill", "--days", "365"])]:
            start = time.monotonic()
            lw(*command)
            figures["imports"][name] = round(time.monotonic() - start, 1)
            log(f"  {name}: {figures['imports'][name]} s")
    tokens = {
        "province": lw("tokens", "create", "--role", "regulator", "--region", "43", "--label", "湖南省住建厅"),
        "city": lw("tokens", "create", "--role", "regulator", "--region", "4301", "--label", "长沙市住建局"),
        "admin": lw("tokens", "create", "--role", "admin", "--label", "benchmark"),
    }
    import sqlite3
    with sqlite3.connect(database) as db:
        contractor, elevator = db.execute(
            "SELECT contractor_id, elevator_id FROM elevators WHERE stage = 'in_service' AND contractor_id IS NOT NULL ORDER BY id LIMIT 1").fetchone()
        busiest = db.execute("SELECT elevator_id FROM tickets WHERE type = 'rescue' GROUP BY elevator_id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    tokens["contractor"] = lw("tokens", "create", "--role", "contractor", "--contractor", contractor, "--label", contractor)
    http, mqtt = free_port(), free_port()
    serve = subprocess.Popen([os.path.join(binary, "liftwatch"), "serve", "--database", database, "--set", f"http.port={http}",
                              "--set", f"broker.embedded_port={mqtt}", "--log-level", "warning"], cwd=ROOT,
                             stdout=open(os.path.join(work, "serve.log"), "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{http}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        # The scheduler's first pass over the province runs at start: let it finish before measuring.
        time.sleep(15)

        def get(path, token):
            request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + tokens[token], "Accept-Language": "zh-CN"})
            start = time.perf_counter()
            with urllib.request.urlopen(request) as response:
                body = response.read()
            return (time.perf_counter() - start) * 1000, body

        log("API routes…")
        first_units = json.loads(get("/api/v1/units?region=43&limit=1000", "province")[1])
        routes = [
            ("/api/v1/kpis?region=43", "province"), ("/api/v1/kpis?region=4301", "city"), ("/api/v1/kpis?region=43&format=csv", "province"),
            ("/api/v1/units?region=43&limit=1000", "province"), (f"/api/v1/units?region=43&limit=1000&cursor={first_units['next']}", "province"),
            ("/api/v1/units?region=43&rating=difficult&limit=1000", "province"), ("/api/v1/elevators?region=43&limit=1000", "province"),
            ("/api/v1/elevators?region=43&health=offline&limit=100", "province"), ("/api/v1/elevators?region=4301&stage=in_service&limit=1000", "city"),
            ("/api/v1/tickets?region=43&limit=1000", "province"), ("/api/v1/tickets?region=43&status=open&limit=1000", "province"),
            ("/api/v1/tickets?region=43&type=rescue&limit=1000", "province"),
            ("/api/v1/map?zoom=7", "province"), ("/api/v1/map?zoom=10&region=4301", "province"), ("/api/v1/map?zoom=16&bbox=28.17,112.95,28.22,113.0", "province"),
            ("/api/v1/map?zoom=7&health=offline", "province"), ("/api/v1/map/outlines?level=district", "province"),
            ("/api/v1/map/estates?region=430102", "city"), ("/api/v1/progress?region=43", "province"), ("/api/v1/incidents?region=43", "province"),
            ("/", "province"), ("/?place=4301", "city"), (f"/elevators/{busiest}", "province"), ("/contractor", "contractor"),
            (f"/api/v1/elevators/{busiest}/dossier?format=html", "province"), ("/progress?region=43", "province"),
        ]
        for path, token in routes:
            cold, body = get(path, token)
            warm = sorted(get(path, token)[0] for _ in range(args.repeat))
            figures["api"].append({"route": path, "as": token, "cold_ms": round(cold, 1), "median_ms": round(statistics.median(warm), 1),
                                   "max_ms": round(warm[-1], 1), "bytes": len(body)})
            log(f"  {path:70s} cold {cold:7.1f}  median {statistics.median(warm):7.1f}  max {warm[-1]:7.1f} ms  {len(body):8d} B")

        log("pages in chromium…")
        pages = [
            ("overview-province", "/", "province", None), ("overview-city", "/", "city", None),
            ("map-units", "/", "province", "window.liftwatchMap.setView([28.195, 112.975], 15, {animate: false}); true"),
            ("elevator", f"/elevators/{busiest}", "province", None), ("contractor", "/contractor", "contractor", None),
            ("dossier", f"/api/v1/elevators/{busiest}/dossier?format=html", "province", None), ("progress", "/progress?region=43", "province", None),
            ("resident", f"/lift/{busiest}", "province", None),
        ]
        shots = os.path.join(ROOT, "docs", "screenshots")
        for width, height, mobile in [(1366, 900, False), (390, 844, True)]:
            browser = Chromium()
            try:
                browser.viewport(width, height, mobile=mobile, scale=1)
                for name, path, token, action in pages:
                    browser.headers({"Authorization": "Bearer " + tokens[token], "Accept-Language": "zh-CN,zh;q=0.9"})
                    if action:
                        browser.navigate(base + path)
                        times = [browser.after(action) for _ in range(1 + args.visits)]
                    else:
                        times = [browser.navigate(base + path) for _ in range(1 + args.visits)]
                    status = browser.evaluate("(document.getElementById('map-status') || {}).textContent || ''")
                    entry = {"page": name, "width": width, "first_s": round(times[0], 2), "median_s": round(statistics.median(times[1:]), 2), "map": status}
                    figures["pages"].append(entry)
                    log(f"  {width:4d}px {name:18s} first {times[0]:5.2f} s  median {statistics.median(times[1:]):5.2f} s  {status}")
                    if args.screenshots:
                        suffix = "-phone" if mobile else ""
                        browser.screenshot(os.path.join(shots, f"zh-{name}{suffix}.png"), full_page=name not in ("overview-province", "overview-city", "map-units"))
            finally:
                browser.close()
    finally:
        serve.terminate()
        serve.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(figures, f, ensure_ascii=False, indent=1)
    print(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
