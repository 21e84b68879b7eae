import Foundation
import LiftCore
import LiftStore

/// A contractor's tickets with live SLA countdowns and the buttons for each next step, kept current by the
/// live stream; and its maintenance schedule.
struct ContractorPage {
    let context: APIContext
    let caller: Principal
    let contractorID: String
    let t: Localizer

    func render() throws -> String {
        let database = context.database
        let active = try database.tickets(TicketFilter(contractorID: contractorID, statuses: [.open, .acknowledged, .onSite, .resolved], limit: 100_000))
        let work = active.filter { $0.type != .maintenance && $0.type != .inspection }.sorted { ($0.priority, $0.openedAt) < ($1.priority, $1.openedAt) }
        let schedule = active.filter { $0.type == .maintenance || $0.type == .inspection }.sorted { ($0.dueAt ?? 0) < ($1.dueAt ?? 0) }
        let recent = try database.tickets(TicketFilter(contractorID: contractorID, statuses: [.closed], limit: 100_000)).suffix(20).reversed()
        func row(_ ticket: Ticket) -> String {
            // The next deadline still ahead of the current step, for the countdown.
            let deadline: Int64? =
                switch ticket.status {
                case .open: ticket.ackDueAt ?? ticket.onSiteDueAt ?? ticket.resolveDueAt ?? ticket.dueAt
                case .acknowledged: ticket.onSiteDueAt ?? ticket.resolveDueAt ?? ticket.dueAt
                case .onSite: ticket.resolveDueAt ?? ticket.dueAt
                default: nil
                }
            let next = TicketMachine.nextAction(after: ticket.status, of: ticket.type)
            let buttons = next.flatMap {
                caller.refusal(of: $0, on: ticket) == nil ? "<button data-id=\"\(ticket.id)\" data-action=\"\($0.rawValue)\">\(t.html("action.\($0.rawValue)"))</button>" : nil
            } ?? ""
            return """
                <tr id="t\(ticket.id)"><td>\(ticket.id)</td><td>P\(ticket.priority) \(HTML.escape(Layout.ticketType(ticket, t)))</td>
                <td><a href="/elevators/\(HTML.escape(ticket.elevatorID))">\(HTML.escape(ticket.elevatorID))</a></td><td>\(t.html("status.\(ticket.status.rawValue)"))\(ticket.overdue ? " <span class=\"late\">\(t.html("flag.overdue"))</span>" : "")</td>
                <td class="countdown" data-deadline="\(deadline.map(String.init) ?? "")">—</td><td>\(buttons)</td></tr>
                """
        }
        let head = "<tr><th>\(t.html("ticket.id"))</th><th>\(t.html("ticket.type"))</th><th>\(t.html("ticket.elevator"))</th><th>\(t.html("ticket.status"))</th><th>\(t.html("ticket.time_left"))</th><th></th></tr>"
        let recentRows = recent.map { ticket in
            "<tr><td>\(ticket.id)</td><td>\(HTML.escape(Layout.ticketType(ticket, t)))</td><td>\(HTML.escape(ticket.elevatorID))</td><td>\(HTML.time(ticket.closedAt))</td><td class=\"late\">\(HTML.escape(Layout.flags(ticket, t)))</td></tr>"
        }.joined()
        let body = """
            <h2 class="top">\(t.html("contractor.heading", ["id": contractorID])) <span class="muted small" id="live"></span></h2>
            <div class="card"><h2>\(t.html("contractor.work", ["n": String(work.count)]))</h2><div class="scroll"><table>\(head)
            \(work.isEmpty ? "<tr><td colspan=\"6\" class=\"muted\">\(t.html("contractor.no_open"))</td></tr>" : work.map(row).joined())</table></div></div>
            <div class="card spaced"><h2>\(t.html("contractor.schedule", ["n": String(schedule.count)]))</h2><div class="scroll"><table>\(head)
            \(schedule.isEmpty ? "<tr><td colspan=\"6\" class=\"muted\">\(t.html("contractor.nothing_due"))</td></tr>" : schedule.map(row).joined())</table></div></div>
            <div class="card spaced"><h2>\(t.html("contractor.recent"))</h2><div class="scroll"><table><tr><th>\(t.html("ticket.id"))</th><th>\(t.html("ticket.type"))</th><th>\(t.html("ticket.elevator"))</th><th>\(t.html("ticket.closed"))</th><th>\(t.html("ticket.flags"))</th></tr>
            \(recentRows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">\(t.html("common.none"))</td></tr>" : recentRows)</table></div></div>
            """
        return Layout.page(
            title: t("contractor.heading", ["id": contractorID]), caller: caller, t: t, head: "<script src=\"/assets/app/contractor.js\" defer></script>", body: body)
    }
}
