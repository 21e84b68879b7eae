import Foundation
import LiftCore
import LiftStore

/// One elevator: health score and reasons, charts of its health signals over a chosen range (read from
/// `/api/v1/elevators/{id}/series`), faults, tickets, maintenance history, and the dossier.
struct ElevatorPage {
    let context: APIContext
    let caller: Principal
    let elevator: ElevatorRecord

    func render() throws -> String {
        let database = context.database
        let now = context.clock.now()
        let health = try context.health.health(of: elevator, now: now, withTrends: true)
        // As the API lists them: a contractor sees its own tickets, not those of the elevator's former contractors.
        let tickets = try database.tickets(TicketFilter(elevatorID: elevator.elevatorID, limit: 100_000)).filter(caller.mayRead)
        let faults = try database.events(elevator.elevatorID).filter { $0.fault != nil }.suffix(100)
        let unit = try elevator.unitID.flatMap { try database.unit($0) }
        let id = HTML.escape(elevator.elevatorID)
        func ticketRows(_ list: [Ticket]) -> String {
            let rows: String = list.reversed().prefix(100).map { (t: Ticket) -> String in
                let flags = [t.overdue ? "overdue" : nil, t.repeat ? "repeat" : nil, t.callback ? "callback" : nil, t.unverified ? "unverified" : nil]
                    .compactMap { $0 }.joined(separator: ", ")
                return "<tr><td>\(t.id)</td><td>\(t.type.rawValue)\(t.level.map { " · \($0)" } ?? "")\(t.fault.map { " · \($0.rawValue)" } ?? "")</td><td>\(t.status.rawValue)</td><td>\(HTML.time(t.openedAt))</td><td>\(HTML.time(t.dueAt))</td><td class=\"late\">\(flags)</td><td>\(HTML.escape(t.reason))</td></tr>"
            }.joined()
            return rows.isEmpty ? "<tr><td colspan=\"7\" class=\"muted\">none</td></tr>" : rows
        }
        let faultRows: String = faults.reversed().map { (e: ElevatorEvent) -> String in
            "<tr><td>\(HTML.time(e.ts))</td><td>\(e.fault?.rawValue ?? HTML.escape(e.code))</td><td>\((e.assessment?.faultClass ?? e.fault?.baseClass)?.rawValue ?? "")</td><td>\(e.state?.rawValue ?? "")</td><td>\(e.floor.map(String.init) ?? "")</td></tr>"
        }.joined()
        let metrics = Rollups.Metric.allCases.map(\.name)
        let body = """
            <h2 style="margin-top:0">Elevator \(id) \(Layout.state(health.state))</h2>
            <p class="muted">\(HTML.escape(unit?.address ?? "")) · unit \(HTML.escape(elevator.unitID ?? "—")) · region \(elevator.region) · contractor \(HTML.escape(elevator.contractorID ?? "—")) · stage \(elevator.stage) · commissioned \(HTML.escape(elevator.commissionedOn ?? "—")) · last seen \(HTML.time(elevator.lastSeen))
             · <a href="/api/v1/elevators/\(id)/dossier?format=html">dossier (一单元一档案)</a></p>
            <div class="grid" style="grid-template-columns:1fr 3fr">
            <div class="card"><h2>Health</h2><div class="figure" style="box-shadow:none;padding:0"><div class="v">\(health.score) / 100</div></div>
            <ul>\(health.reasons.map { "<li>\(HTML.escape($0))</li>" }.joined())</ul></div>
            <div class="card"><h2>Health signals</h2>
            <p>Range: <select id="range"><option value="86400000">24 hours</option><option value="604800000" selected>7 days</option>
            <option value="2592000000">30 days</option><option value="31536000000">1 year</option></select>
            Signal: <select id="metric">\(metrics.map { "<option\($0 == "door_close_ms" ? " selected" : "")>\($0)</option>" }.joined())</select></p>
            <div class="chart" style="height:280px"><canvas id="signal"></canvas></div><p id="nodata" class="muted"></p></div>
            </div>
            <div class="card" style="margin-top:1em"><h2>Tickets</h2><table><tr><th>Ticket</th><th>Type</th><th>Status</th><th>Opened</th><th>Due</th><th>Flags</th><th>Why</th></tr>
            \(ticketRows(tickets.filter { $0.type != .maintenance && $0.type != .inspection }))</table></div>
            <div class="grid" style="margin-top:1em">
            <div class="card"><h2>Maintenance and inspections</h2><table><tr><th>Ticket</th><th>Level</th><th>Status</th><th>Opened</th><th>Due</th><th>Flags</th><th>Why</th></tr>
            \(ticketRows(tickets.filter { $0.type == .maintenance || $0.type == .inspection }))</table></div>
            <div class="card"><h2>Faults</h2><table><tr><th>When</th><th>Fault</th><th>Class</th><th>State</th><th>Floor</th></tr>
            \(faultRows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">none</td></tr>" : faultRows)</table></div>
            </div>
            <script>
            var chart = null, now = \(now);
            function load() {
              var range = +document.getElementById('range').value, metric = document.getElementById('metric').value;
              var step = Math.max(60000, Math.floor(range / 200 / 60000) * 60000);
              if (range >= 2592000000) { step = range >= 31536000000 ? 86400000 : 3600000 * 6; }
              fetch('/api/v1/elevators/\(id)/series?metric=' + metric + '&from=' + (now - range) + '&to=' + now + '&step=' + step, {credentials: 'same-origin'})
                .then(function (r) { return r.json(); }).then(function (s) {
                  var labels = s.points.map(function (p) { return new Date(p.start).toISOString().slice(0, 16).replace('T', ' '); });
                  document.getElementById('nodata').textContent = s.points.length ? '' : 'No samples in this range.';
                  if (chart) { chart.destroy(); }
                  chart = new Chart(document.getElementById('signal'), {type: 'line', data: {labels: labels, datasets: [
                    {label: metric + ' mean', data: s.points.map(function (p) { return p.mean; }), borderColor: '#1f77b4', pointRadius: 0, borderWidth: 1.5},
                    {label: 'min', data: s.points.map(function (p) { return p.min; }), borderColor: '#9ecae1', pointRadius: 0, borderWidth: 1, fill: '+1', backgroundColor: 'rgba(158,202,225,.25)'},
                    {label: 'max', data: s.points.map(function (p) { return p.max; }), borderColor: '#9ecae1', pointRadius: 0, borderWidth: 1}]},
                    options: {animation: false, maintainAspectRatio: false, interaction: {mode: 'index', intersect: false}}});
                });
            }
            document.getElementById('range').addEventListener('change', load);
            document.getElementById('metric').addEventListener('change', load);
            load();
            </script>
            """
        return Layout.page(title: "Elevator \(elevator.elevatorID)", caller: caller, head: "<script src=\"/assets/chart.js/chart.min.js\"></script>", body: body)
    }
}
