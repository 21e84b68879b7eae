#!/usr/bin/env python3
"""The field pages at phone width (issue 26 items 5 and 6), in Debian's headless chromium over DevTools.

Sets up a small city with a property manager, technicians, a maintenance ticket due and an entrapment on one of
the manager's elevators; starts `liftwatch serve` (the debug build) and opens, as each of their users would, the
pages technicians, property managers and residents use, at 390 x 844 (a phone) and 1366 x 900. For each it
measures the page's width against the window's (a page wider than the window scrolls sideways) and, with
--screenshots, writes docs/screenshots/zh-phone-*.png. It then submits the technician's record from the page
with the network cut (the record waits on the phone), restores the network and checks that the record arrived
once.

  swift build --product liftwatch --product liftsim && scripts/field-pages.py [--screenshots]   (about a minute)
"""
import argparse, csv, json, os, sqlite3, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from harness import free_port, log  # noqa: E402
from cdp import Chromium  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--screenshots", action="store_true", help="write the Chinese pages to docs/screenshots/")
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build", "debug"))
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="lw-field-")
    database = os.path.join(work, "liftwatch.sqlite")

    def run(*command):
        return subprocess.run(list(command), cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()

    def lw(*command):
        return run(os.path.join(args.bin, "liftwatch"), *command, "--database", database)

    run(os.path.join(args.bin, "liftsim"), "city", "--units", "300", "--seed", "1", "--output", os.path.join(work, "city"))
    lw("import", "units", os.path.join(work, "city", "units.csv"), "--quiet")
    lw("import", "elevators", os.path.join(work, "city", "elevators.csv"), "--quiet")
    rows = [list(row) for row in csv.reader(open(os.path.join(work, "city", "elevators.csv"), encoding="utf-8"))][1:]
    contractor = next(r[3] for r in rows if r[5] == "in_service")
    mine = [r for r in rows if r[3] == contractor and r[5] == "in_service"][:3]
    admin = lw("tokens", "create", "--role", "admin").split()[-1]
    contractor_token = lw("tokens", "create", "--role", "contractor", "--contractor", contractor).split()[-1]
    # Registered two weeks ago: the first maintenance visits fall due now.
    with sqlite3.connect(database) as db:
        db.execute("UPDATE elevators SET registered_at = registered_at - 14 * 86400000")

    mqtt, http = free_port(), free_port()
    serve = subprocess.Popen([os.path.join(args.bin, "liftwatch"), "serve", "--database", database, "--set", f"broker.embedded_port={mqtt}",
                              "--set", f"http.port={http}", "--set", "scheduler.pass_interval_seconds=2", "--log-level", "warning"],
                             cwd=ROOT, stdout=open(os.path.join(work, "serve.log"), "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{http}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)

        def api(method, path, body=None, token=admin):
            request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                             headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read() or b"null")

        api("PUT", "/api/v1/property-managers/PM-DEMO", {"name": "长沙市芙蓉区某物业服务有限公司", "phone": "0731-84000000",
                                                           "safety_officer": "王建国", "safety_officer_phone": "13800000000"})
        for index, row in enumerate(mine):
            api("PUT", f"/api/v1/elevators/{row[0]}", {"property_manager_id": "PM-DEMO", "rescue_code": f"43{index + 1:04d}"})
        for technician, name in [("T-01", "李强"), ("T-02", "张伟")]:
            api("PUT", f"/api/v1/technicians/{technician}", {"contractor_id": contractor, "name": name, "certificate_no": f"TS-{technician}",
                                                              "certificate_expires_on": "2028-06-30"})
        manager_token = lw("tokens", "create", "--role", "property_manager", "--manager", "PM-DEMO").split()[-1]
        region, elevator = mine[0][2], mine[0][0]
        run("mosquitto_pub", "-p", str(mqtt), "-q", "1", "-t", f"lift/{region}/{elevator}/event",
            "-m", json.dumps({"seq": 900001, "ts": int(time.time() * 1000), "kind": "fault", "code": "entrapment_at_floor", "state": "raised",
                              "floor": 4, "occupied": True}))
        maintenance = None
        for _ in range(100):
            items = api("GET", f"/api/v1/tickets?contractor={contractor}&type=maintenance&status=open")["items"]
            rescue = api("GET", f"/api/v1/tickets?elevator={elevator}&type=rescue")["items"]
            if items and rescue:
                maintenance = items[0]["id"]
                break
            time.sleep(0.3)
        assert maintenance, "no maintenance ticket opened"

        pages = [("contractor", contractor_token, "/contractor"), ("record", contractor_token, f"/contractor/tickets/{maintenance}/record"),
                 ("manager", manager_token, "/manager"), ("resident", None, f"/lift/{elevator}")]
        browser = Chromium()
        results = []
        try:
            for width, height, mobile in [(390, 844, True), (1366, 900, False)]:
                browser.viewport(width, height, mobile=mobile, scale=1)
                for name, token, path in pages:
                    headers = {"Accept-Language": "zh-CN,zh;q=0.9"}
                    if token:
                        headers["Authorization"] = "Bearer " + token
                    browser.headers(headers)
                    browser.navigate(base + path)
                    page_width = browser.evaluate("document.documentElement.scrollWidth")
                    inner = browser.evaluate("window.innerWidth")
                    results.append((name, width, page_width, inner))
                    if args.screenshots and mobile:
                        browser.screenshot(os.path.join(ROOT, "docs", "screenshots", f"zh-phone-{name}.png"), full_page=True)

            # The technician's record sent from the page without signal, then with signal again.
            browser.viewport(390, 844, mobile=True, scale=1)
            units = {row["unit_id"]: row for row in csv.DictReader(open(os.path.join(work, "city", "units.csv"), encoding="utf-8"))}
            unit = units.get(mine[0][1])
            browser.call("Browser.grantPermissions", permissions=["geolocation"], origin=base)
            if unit and unit.get("lat"):
                # The technician's phone at the unit's door.
                browser.page("Emulation.setGeolocationOverride", latitude=float(unit["lat"]), longitude=float(unit["lon"]), accuracy=10)
            browser.headers({"Accept-Language": "zh-CN", "Authorization": "Bearer " + contractor_token})
            browser.navigate(base + f"/contractor/tickets/{maintenance}/record")
            time.sleep(1)
            browser.evaluate("document.querySelector('[name=technician]').checked = true; document.getElementById('check-in').click(); true")
            time.sleep(1)
            checked_in = browser.evaluate("document.getElementById('checked-in').textContent")
            png = os.path.join(work, "photo.png")
            open(png, "wb").write(bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + b"machine room")
            browser.set_files("#photos", [png])
            browser.call("Network.enable", session=True)
            browser.call("Network.emulateNetworkConditions", session=True, offline=True, latency=0, downloadThroughput=-1, uploadThroughput=-1)
            browser.evaluate("document.getElementById('submit').click(); true")
            time.sleep(2)
            queued = browser.evaluate("document.getElementById('queue').textContent")
            message = browser.evaluate("document.getElementById('message').textContent")
            stored_offline = api("GET", f"/api/v1/tickets/{maintenance}/maintenance-record")["record"]
            browser.call("Network.emulateNetworkConditions", session=True, offline=False, latency=0, downloadThroughput=-1, uploadThroughput=-1)
            browser.evaluate("window.dispatchEvent(new Event('online')); true")
            record = None
            for _ in range(50):
                record = api("GET", f"/api/v1/tickets/{maintenance}/maintenance-record")["record"]
                if record:
                    break
                time.sleep(0.2)
            # The property manager's one tap: today's check of its first elevator.
            browser.headers({"Accept-Language": "zh-CN", "Authorization": "Bearer " + manager_token})
            browser.navigate(base + "/manager")
            browser.evaluate("document.querySelector('button[data-duty=daily_check]').click(); true")
            time.sleep(2)
            duties = api("GET", "/api/v1/property-managers/PM-DEMO/duties", token=manager_token)["done"]
        finally:
            browser.close()
        print(f"{'page':<12}{'window':>8}{'page width':>12}  fits")
        for name, width, page_width, inner in results:
            print(f"{name:<12}{width:>8}{page_width:>12}  {'yes' if page_width <= inner else 'NO'}")
        print(f"check-in: {checked_in!r}")
        print(f"offline: the page says {message!r}; queued on the phone: {queued!r}; stored while offline: {stored_offline is not None}")
        print(f"back online: record stored: {record is not None}; flags: {record and record['flags']}")
        print(f"property manager's tap: {[d['kind'] + ' ' + (d['elevator_id'] or '') for d in duties]}")
        ticket = api("GET", f"/api/v1/tickets/{maintenance}")
        print(f"ticket {maintenance}: {ticket.get('status') or ticket.get('ticket', {}).get('status')}")
        failed = [r for r in results if r[2] > r[3]] or stored_offline is not None or record is None or not duties
        sys.exit(1 if failed else 0)
    finally:
        serve.terminate()
        serve.wait(timeout=30)


if __name__ == "__main__":
    main()
