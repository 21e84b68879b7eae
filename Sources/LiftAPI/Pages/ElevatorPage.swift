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
    let t: Localizer

    func render() throws -> String {
        let database = context.database
        let now = context.clock.now()
        let health = try context.health.health(of: elevator, now: now)
        // As the API lists them: a contractor sees its own tickets, not those of the elevator's former contractors.
        let tickets = try database.tickets(TicketFilter(elevatorID: elevator.elevatorID, limit: 100_000)).filter { caller.mayRead($0) }
        let faults = try database.events(elevator.elevatorID).filter { $0.fault != nil }.suffix(100)
        let unit = try elevator.unitID.flatMap { try database.unit($0) }
        let id = HTML.escape(elevator.elevatorID)
        func ticketRows(_ list: [Ticket]) -> String {
            let rows: String = list.reversed().prefix(100).map { (ticket: Ticket) -> String in
                "<tr><td>\(ticket.id)</td><td>\(HTML.escape(Layout.ticketType(ticket, t)))</td><td>\(t.html("status.\(ticket.status.rawValue)"))</td><td>\(HTML.time(ticket.openedAt))</td><td>\(HTML.time(ticket.dueAt))</td><td class=\"late\">\(HTML.escape(Layout.flags(ticket, t)))</td></tr>"
            }.joined()
            return rows.isEmpty ? "<tr><td colspan=\"6\" class=\"muted\">\(t.html("common.none"))</td></tr>" : rows
        }
        let faultRows: String = faults.reversed().map { (e: ElevatorEvent) -> String in
            let faultClass = (e.assessment?.faultClass ?? e.fault?.baseClass)?.rawValue
            return "<tr><td>\(HTML.time(e.ts))</td><td>\(HTML.escape(e.fault.map { t.name("fault", $0.rawValue) } ?? e.code))</td><td>\(faultClass.map { t.html("class.\($0)") } ?? "")</td><td>\(e.state.map { t.html("event_state.\($0.rawValue)") } ?? "")</td><td>\(e.floor.map(String.init) ?? "")</td></tr>"
        }.joined()
        let metrics = Rollups.Metric.allCases.map(\.name)
        let header = t("elevator.details", [
            "address": unit?.address ?? "", "unit": elevator.unitID ?? "—", "region": elevator.region, "contractor": elevator.contractorID ?? "—",
            "stage": t.name("stage", elevator.stage), "commissioned": elevator.commissionedOn ?? "—", "seen": HTML.time(elevator.lastSeen),
        ])
        let ticketHead = "<tr><th>\(t.html("ticket.id"))</th><th>\(t.html("ticket.type"))</th><th>\(t.html("ticket.status"))</th><th>\(t.html("ticket.opened"))</th><th>\(t.html("ticket.due"))</th><th>\(t.html("ticket.flags"))</th></tr>"
        let body = """
            <h2 class="top">\(t.html("elevator.heading", ["id": elevator.elevatorID])) \(Layout.state(health.state, t))</h2>
            <p class="muted">\(HTML.escape(header)) · <a href="/api/v1/elevators/\(id)/dossier?format=html">\(t.html("elevator.dossier"))</a></p>
            <div class="grid narrow-left">
            <div class="card"><h2>\(t.html("elevator.health"))</h2><div class="figure plain"><div class="v">\(health.score) / 100</div></div>
            <ul>\(health.findings.map { "<li>\(HTML.escape(Self.describe($0, t)))</li>" }.joined())</ul></div>
            <div class="card"><h2>\(t.html("elevator.signals"))</h2>
            <div class="controls"><label>\(t.html("elevator.range")) <select id="range"><option value="86400000">\(t.html("range.day"))</option><option value="604800000" selected>\(t.html("range.week"))</option>
            <option value="2592000000">\(t.html("range.month"))</option><option value="31536000000">\(t.html("range.year"))</option></select></label>
            <label>\(t.html("elevator.signal")) <select id="metric">\(metrics.map { "<option value=\"\($0)\"\($0 == "door_close_ms" ? " selected" : "")>\(t.html("metric.\($0)"))</option>" }.joined())</select></label></div>
            <div class="chart tall"><canvas id="signal"></canvas></div><p id="nodata" class="muted"></p></div>
            </div>
            <div class="card spaced"><h2>\(t.html("elevator.tickets"))</h2><div class="scroll"><table>\(ticketHead)
            \(ticketRows(tickets.filter { $0.type != .maintenance && $0.type != .inspection }))</table></div></div>
            <div class="grid spaced">
            <div class="card"><h2>\(t.html("elevator.maintenance"))</h2><div class="scroll"><table>\(ticketHead)
            \(ticketRows(tickets.filter { $0.type == .maintenance || $0.type == .inspection }))</table></div></div>
            <div class="card"><h2>\(t.html("elevator.faults"))</h2><div class="scroll"><table><tr><th>\(t.html("event.when"))</th><th>\(t.html("event.fault"))</th><th>\(t.html("event.class"))</th><th>\(t.html("event.state"))</th><th>\(t.html("event.floor"))</th></tr>
            \(faultRows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">\(t.html("common.none"))</td></tr>" : faultRows)</table></div></div>
            </div>
            \(HTML.dataScript("lw-elevator", PageData(id: elevator.elevatorID, now: now)))
            """
        return Layout.page(
            title: t("elevator.heading", ["id": elevator.elevatorID]), caller: caller, t: t,
            head: "<script src=\"/assets/chart.js/chart.min.js\" defer></script><script src=\"/assets/app/elevator.js\" defer></script>", body: body)
    }

    /// A health finding in the page's language.
    static func describe(_ finding: Health.Finding, _ t: Localizer) -> String {
        var args: [String: String] = ["ticket": finding.ticketID.map(String.init) ?? ""]
        if let subject = finding.subject {
            // A predictive ticket's subject is its trend signal, others' their fault key.
            let prefix = finding.kind == .mode ? "mode" : finding.kind == .trend || (finding.kind == .predictiveOpen && FaultKey(rawValue: subject) == nil) ? "signal" : "fault"
            args["subject"] = t.name(prefix, subject)
        }
        if let at = finding.at { args["at"] = HTML.time(at) }
        if let recent = finding.recent { args["recent"] = String(format: "%.2f", recent) }
        if let baseline = finding.baseline { args["baseline"] = String(format: "%.2f", baseline) }
        let key = "health.reason.\(finding.kind.rawValue)" + (finding.subject == nil && finding.kind.rawValue.hasSuffix("_open") ? ".plain" : "")
        return t(key, args)
    }
}
