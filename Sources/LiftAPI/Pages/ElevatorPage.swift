import Foundation
import LiftCore
import LiftStore

/// One elevator: health score and reasons, charts of its health signals over a chosen range (read from
/// `/api/v1/elevators/{id}/series`), faults, tickets, maintenance history, and the dossier.
struct ElevatorPage {
    struct PageData: Encodable { var id: String; var now: Int64 }

    let context: APIContext
    let caller: Principal
    let elevator: ElevatorRecord

    func render() throws -> String {
        let database = context.database
        let now = context.clock.now()
        let health = try context.health.health(of: elevator, now: now)
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
            <h2 class="top">Elevator \(id) \(Layout.state(health.state))</h2>
            <p class="muted">\(HTML.escape(unit?.address ?? "")) · unit \(HTML.escape(elevator.unitID ?? "—")) · region \(elevator.region) · contractor \(HTML.escape(elevator.contractorID ?? "—")) · stage \(elevator.stage) · commissioned \(HTML.escape(elevator.commissionedOn ?? "—")) · last seen \(HTML.time(elevator.lastSeen))
             · <a href="/api/v1/elevators/\(id)/dossier?format=html">dossier (一单元一档案)</a></p>
            <div class="grid narrow-left">
            <div class="card"><h2>Health</h2><div class="figure plain"><div class="v">\(health.score) / 100</div></div>
            <ul>\(health.reasons.map { "<li>\(HTML.escape($0))</li>" }.joined())</ul></div>
            <div class="card"><h2>Health signals</h2>
            <p>Range: <select id="range"><option value="86400000">24 hours</option><option value="604800000" selected>7 days</option>
            <option value="2592000000">30 days</option><option value="31536000000">1 year</option></select>
            Signal: <select id="metric">\(metrics.map { "<option\($0 == "door_close_ms" ? " selected" : "")>\($0)</option>" }.joined())</select></p>
            <div class="chart tall"><canvas id="signal"></canvas></div><p id="nodata" class="muted"></p></div>
            </div>
            <div class="card spaced"><h2>Tickets</h2><table><tr><th>Ticket</th><th>Type</th><th>Status</th><th>Opened</th><th>Due</th><th>Flags</th><th>Why</th></tr>
            \(ticketRows(tickets.filter { $0.type != .maintenance && $0.type != .inspection }))</table></div>
            <div class="grid spaced">
            <div class="card"><h2>Maintenance and inspections</h2><table><tr><th>Ticket</th><th>Level</th><th>Status</th><th>Opened</th><th>Due</th><th>Flags</th><th>Why</th></tr>
            \(ticketRows(tickets.filter { $0.type == .maintenance || $0.type == .inspection }))</table></div>
            <div class="card"><h2>Faults</h2><table><tr><th>When</th><th>Fault</th><th>Class</th><th>State</th><th>Floor</th></tr>
            \(faultRows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">none</td></tr>" : faultRows)</table></div>
            </div>
            \(HTML.dataScript("lw-elevator", PageData(id: elevator.elevatorID, now: now)))
            """
        return Layout.page(title: "Elevator \(elevator.elevatorID)", caller: caller, head: "<script src=\"/assets/chart.js/chart.min.js\" defer></script><script src=\"/assets/app/elevator.js\" defer></script>", body: body)
    }
}
