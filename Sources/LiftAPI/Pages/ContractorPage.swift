import Foundation
import LiftCore
import LiftStore

/// A contractor's tickets with live SLA countdowns and the buttons for each next step, kept current by the
/// live stream; and its maintenance schedule.
struct ContractorPage {
    let context: APIContext
    let caller: Principal
    let contractorID: String

    func render() throws -> String {
        let database = context.database
        let active = try database.tickets(TicketFilter(contractorID: contractorID, statuses: [.open, .acknowledged, .onSite, .resolved], limit: 100_000))
        let work = active.filter { $0.type != .maintenance && $0.type != .inspection }.sorted { ($0.priority, $0.openedAt) < ($1.priority, $1.openedAt) }
        let schedule = active.filter { $0.type == .maintenance || $0.type == .inspection }.sorted { ($0.dueAt ?? 0) < ($1.dueAt ?? 0) }
        let recent = try database.tickets(TicketFilter(contractorID: contractorID, statuses: [.closed], limit: 100_000)).suffix(20).reversed()
        func row(_ t: Ticket) -> String {
            // The next deadline still ahead of the current step, for the countdown.
            let deadline: Int64? =
                switch t.status {
                case .open: t.ackDueAt ?? t.onSiteDueAt ?? t.resolveDueAt ?? t.dueAt
                case .acknowledged: t.onSiteDueAt ?? t.resolveDueAt ?? t.dueAt
                case .onSite: t.resolveDueAt ?? t.dueAt
                default: nil
                }
            let next = TicketMachine.nextAction(after: t.status)
            let buttons = next.flatMap { caller.refusal(of: $0, on: t) == nil ? "<button data-id=\"\(t.id)\" data-action=\"\($0.rawValue)\">\($0.rawValue)</button>" : nil } ?? ""
            return """
                <tr id="t\(t.id)"><td>\(t.id)</td><td>P\(t.priority) \(t.type.rawValue)\(t.level.map { " · \($0)" } ?? "")</td>
                <td><a href="/elevators/\(HTML.escape(t.elevatorID))">\(HTML.escape(t.elevatorID))</a></td><td>\(t.status.rawValue)\(t.overdue ? " <span class=\"late\">overdue</span>" : "")</td>
                <td class="countdown" data-deadline="\(deadline.map(String.init) ?? "")">—</td><td>\(HTML.escape(t.reason))</td><td>\(buttons)</td></tr>
                """
        }
        let head = "<tr><th>Ticket</th><th>Type</th><th>Elevator</th><th>Status</th><th>Time left</th><th>Why</th><th></th></tr>"
        let recentRows = recent.map { t in
            "<tr><td>\(t.id)</td><td>\(t.type.rawValue)</td><td>\(HTML.escape(t.elevatorID))</td><td>\(HTML.time(t.closedAt))</td><td class=\"late\">\(t.unverified ? "unverified" : "")\(t.overdue ? " overdue" : "")</td></tr>"
        }.joined()
        let body = """
            <h2 class="top">Tickets of \(HTML.escape(contractorID)) <span class="muted small" id="live"></span></h2>
            <div class="card"><h2>Faults, rescues and connectivity (\(work.count))</h2><table>\(head)
            \(work.isEmpty ? "<tr><td colspan=\"7\" class=\"muted\">no open tickets</td></tr>" : work.map(row).joined())</table></div>
            <div class="card spaced"><h2>Maintenance schedule (\(schedule.count))</h2><table>\(head)
            \(schedule.isEmpty ? "<tr><td colspan=\"7\" class=\"muted\">nothing due</td></tr>" : schedule.map(row).joined())</table></div>
            <div class="card spaced"><h2>Recently closed</h2><table><tr><th>Ticket</th><th>Type</th><th>Elevator</th><th>Closed</th><th></th></tr>
            \(recentRows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">none</td></tr>" : recentRows)</table></div>
            """
        return Layout.page(title: "Tickets of \(contractorID)", caller: caller, head: "<script src=\"/assets/app/contractor.js\" defer></script>", body: body)
    }
}
