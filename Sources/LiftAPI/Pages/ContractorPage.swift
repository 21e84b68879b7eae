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
        /// One ticket as a card: what, where, its state and time left, and one tap for each step the caller may take.
        func card(_ ticket: Ticket) -> String {
            // The next deadline still ahead of the current step, for the countdown.
            let deadline: Int64? =
                switch ticket.status {
                case .open: ticket.ackDueAt ?? ticket.onSiteDueAt ?? ticket.resolveDueAt ?? ticket.dueAt
                case .acknowledged: ticket.onSiteDueAt ?? ticket.resolveDueAt ?? ticket.dueAt
                case .onSite: ticket.resolveDueAt ?? ticket.dueAt
                default: nil
                }
            var actions: [String] = []
            func button(_ action: TicketAction, secondary: Bool = false) {
                guard caller.refusal(of: action, on: ticket) == nil else { return }
                actions.append("<button\(secondary ? " class=\"secondary\"" : "") data-id=\"\(ticket.id)\" data-action=\"\(action.rawValue)\">\(t.html("action.\(action.rawValue)"))</button>")
            }
            if ticket.type == .maintenance, ticket.status.isActive {
                // A visit is done through its record: check-in, checklist, photos, check-out.
                actions.append("<a class=\"button\" href=\"/contractor/tickets/\(ticket.id)/record\">\(t.html("field.record"))</a>")
            } else if ticket.type == .rescue {
                if ticket.status.isActive, ticket.rescue?.contactedAt == nil { button(.contact, secondary: true) }
                switch ticket.status {
                case .open: button(.acknowledge)
                case .acknowledged: button(.arrive)
                case .onSite where caller.refusal(of: .release, on: ticket) == nil:
                    actions.append("""
                        <span class="inline-form" data-release="\(ticket.id)"><label>\(t.html("field.passengers")) <input type="number" min="0" max="100" value="1" name="passengers"></label>
                        <label>\(t.html("field.injuries")) <input type="number" min="0" max="100" value="0" name="injuries"></label>
                        <button data-id="\(ticket.id)" data-action="release">\(t.html("action.release"))</button></span>
                        """)
                case .resolved:
                    if ticket.rescue?.followUpAt == nil { button(.followUp, secondary: true) }
                    button(.close)
                default: break
                }
            } else if let next = TicketMachine.nextAction(after: ticket.status, of: ticket.type) {
                button(next)
            }
            let flags = Layout.flags(ticket, t)
            return """
                <li id="t\(ticket.id)" class="p\(ticket.priority)"><div class="line"><span class="title">P\(ticket.priority) \(HTML.escape(Layout.ticketType(ticket, t)))</span><span class="muted">#\(ticket.id)</span></div>
                <div class="line"><a href="/elevators/\(HTML.escape(ticket.elevatorID))">\(HTML.escape(ticket.elevatorID))</a><span>\(t.html("status.\(ticket.status.rawValue)"))</span></div>
                <div class="line"><span class="muted">\(t.html("ticket.time_left"))</span><span class="countdown" data-deadline="\(deadline.map(String.init) ?? "")">—</span></div>
                \(flags.isEmpty ? "" : "<div class=\"line late\">\(HTML.escape(flags))</div>")
                <div class="actions">\(actions.joined())</div></li>
                """
        }
        let recentItems = recent.map { ticket -> String in
            "<li><div class=\"line\"><span>#\(ticket.id) \(HTML.escape(Layout.ticketType(ticket, t)))</span><span class=\"muted\">\(HTML.time(ticket.closedAt))</span></div><div class=\"line\"><span>\(HTML.escape(ticket.elevatorID))</span><span class=\"late\">\(HTML.escape(Layout.flags(ticket, t)))</span></div></li>"
        }.joined()
        let body = """
            <h2 class="top">\(t.html("contractor.heading", ["id": contractorID])) <span class="muted small" id="live"></span></h2>
            <div id="queue" class="queue empty"></div>
            <h2>\(t.html("contractor.work", ["n": String(work.count)]))</h2>
            <ul class="cards">\(work.isEmpty ? "<li class=\"muted\">\(t.html("contractor.no_open"))</li>" : work.map(card).joined())</ul>
            <h2 class="spaced">\(t.html("contractor.schedule", ["n": String(schedule.count)]))</h2>
            <ul class="cards">\(schedule.isEmpty ? "<li class=\"muted\">\(t.html("contractor.nothing_due"))</li>" : schedule.map(card).joined())</ul>
            <h2 class="spaced">\(t.html("contractor.recent"))</h2>
            <ul class="cards">\(recentItems.isEmpty ? "<li class=\"muted\">\(t.html("common.none"))</li>" : recentItems)</ul>
            """
        return Layout.page(
            title: t("contractor.heading", ["id": contractorID]), caller: caller, t: t, head: "<script src=\"/assets/app/contractor.js\" defer></script><script src=\"/assets/app/record.js\" defer></script>", body: body)
    }
}
