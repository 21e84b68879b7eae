import Foundation
import LiftCore
import LiftStore

/// The property manager's page (使用单位), made for a phone: rescue calls to answer, maintenance records to confirm,
/// today's checks, this week's review and this month's meeting, and the hazard register, each one tap.
struct PropertyManagerPage {
    let context: APIContext
    let caller: Principal
    let manager: PropertyManagerRecord
    let t: Localizer

    func render() throws -> String {
        let database = context.database
        let now = context.clock.now()
        let elevators = try database.elevators(propertyManagerID: manager.managerID)
        let active = try elevators.flatMap { try database.activeTickets(elevatorID: $0.elevatorID) }
        let resolved = try elevators.flatMap {
            try database.tickets(TicketFilter(elevatorID: $0.elevatorID, statuses: [.resolved, .closed], types: [.maintenance], openedFrom: now - 45 * 86_400_000, limit: 200))
        }
        let toConfirm = try resolved.compactMap { ticket in try database.maintenanceRecord(ticketID: ticket.id).flatMap { $0.confirmedAt == nil ? (ticket, $0) : nil } }
        let duties = try database.duties(managerID: manager.managerID, from: ManagerDuty.monthlyMeeting.period(containing: now).start, to: now + 1)
        let done = Set(duties.done.map { "\($0.kind.rawValue)|\($0.period)|\($0.elevatorID ?? "")" })
        func isDone(_ kind: ManagerDuty, _ elevator: String = "") -> Bool { done.contains("\(kind.rawValue)|\(kind.period(containing: now).name)|\(elevator)") }
        let missed = try database.duties(managerID: manager.managerID, from: now - 30 * 86_400_000, to: now).missed.count
        let hazards = try database.hazards(managerID: manager.managerID, now: now, limit: 50).filter { $0.fixedAt == nil }

        let rescues = active.filter { $0.type == .rescue }.map { ticket -> String in
            let answered = ticket.rescue?.managerAnsweredAt != nil
            let button = answered || ticket.rescue?.managerCalledAt == nil
                ? "<span class=\"muted\">\(t.html(answered ? "manager.answered" : "manager.not_called"))</span>"
                : "<button type=\"button\" data-id=\"\(ticket.id)\" data-action=\"answer\">\(t.html("action.answer"))</button>"
            return """
                <li class="p1"><div class="line"><span class="title">\(HTML.escape(Layout.ticketType(ticket, t)))</span><span class="muted">#\(ticket.id)</span></div>
                <div class="line"><span>\(HTML.escape(ticket.elevatorID))</span><span>\(t.html("status.\(ticket.status.rawValue)"))</span></div>
                <div class="actions">\(button)</div></li>
                """
        }
        let records = toConfirm.map { ticket, record -> String in
            """
            <li><div class="line"><span class="title">\(HTML.escape(Layout.ticketType(ticket, t)))</span><span class="muted">#\(ticket.id)</span></div>
            <div class="line"><span>\(HTML.escape(ticket.elevatorID))</span><span>\(HTML.time(record.checkInAt))</span></div>
            <div class="line"><span>\(t.html("manager.record_summary", ["items": String(record.items.count), "photos": String(record.photos.count)]))</span></div>
            \(record.flags.isEmpty ? "" : "<div class=\"line flags\">\(record.flags.map { t.html("visit_flag.\($0.rawValue)") }.joined(separator: t.html("list.separator")))</div>")
            <div class="actions"><button type="button" data-confirm="\(ticket.id)">\(t.html("manager.confirm"))</button></div></li>
            """
        }
        let inService = elevators.filter { $0.stage == LifecycleStage.inService.rawValue }
        let checks = inService.map { elevator -> String in
            """
            <li><div class="line"><span class="title">\(HTML.escape(elevator.elevatorID))</span>\(elevator.rescueCode.map { "<span class=\"muted\">\(t.html("manager.rescue_code", ["code": $0]))</span>" } ?? "")</div>
            <div class="actions">\(isDone(.dailyCheck, elevator.elevatorID)
                ? "<span class=\"muted\">✓ \(t.html("manager.checked_today"))</span>"
                : "<button type=\"button\" data-duty=\"daily_check\" data-elevator=\"\(HTML.escape(elevator.elevatorID))\">\(t.html("manager.check_today"))</button>")</div></li>
            """
        }
        func duty(_ kind: ManagerDuty) -> String {
            isDone(kind) ? "<span class=\"muted\">✓ \(t.html("duty.\(kind.rawValue)"))</span>" : "<button type=\"button\" data-duty=\"\(kind.rawValue)\">\(t.html("duty.\(kind.rawValue)"))</button>"
        }
        let hazardItems = hazards.map { hazard -> String in
            """
            <li\(hazard.overdue ? " class=\"p1\"" : "")><div class="line"><span class="title">\(HTML.escape(hazard.elevatorID))</span><span class="\(hazard.overdue ? "late" : "muted")">\(t.html("manager.fix_by", ["date": HTML.time(hazard.fixBy)]))</span></div>
            <div class="line">\(HTML.escape(hazard.description))</div>
            <div class="actions"><button type="button" class="secondary" data-fix="\(hazard.id)">\(t.html("manager.fixed"))</button></div></li>
            """
        }
        let options = inService.map { (elevator: ElevatorRecord) -> String in "<option>\(HTML.escape(elevator.elevatorID))</option>" }.joined()
        let body = """
            <div class="field" id="manager" data-manager="\(HTML.escape(manager.managerID))">
            <h2 class="top">\(HTML.escape(manager.name))</h2>
            <p class="muted">\(t.html("manager.safety_officer", ["name": manager.safetyOfficer])) · \(t.html("manager.elevators", ["n": String(elevators.count)]))\(missed > 0 ? " · <span class=\"late\">\(t.html("manager.missed", ["n": String(missed)]))</span>" : "")</p>
            <h2 class="spaced">\(t.html("manager.rescues"))</h2>
            <ul class="cards">\(rescues.isEmpty ? "<li class=\"muted\">\(t.html("common.none"))</li>" : rescues.joined())</ul>
            <h2 class="spaced">\(t.html("manager.records"))</h2>
            <ul class="cards">\(records.isEmpty ? "<li class=\"muted\">\(t.html("common.none"))</li>" : records.joined())</ul>
            <h2 class="spaced">\(t.html("manager.today"))</h2>
            <ul class="cards">\(checks.isEmpty ? "<li class=\"muted\">\(t.html("common.none"))</li>" : checks.joined())</ul>
            <p class="actions">\(duty(.weeklyReview)) \(duty(.monthlyMeeting))</p>
            <h2 class="spaced">\(t.html("manager.hazards", ["n": String(hazards.count)]))</h2>
            <ul class="cards">\(hazardItems.isEmpty ? "<li class=\"muted\">\(t.html("common.none"))</li>" : hazardItems.joined())</ul>
            <form id="hazard" class="card spaced">
            <label class="row">\(t.html("ticket.elevator")) <select name="elevator">\(options)</select></label>
            <p><textarea name="description" class="wide" rows="3" maxlength="1000" required placeholder="\(t.html("manager.hazard_placeholder"))"></textarea></p>
            <label class="row">\(t.html("manager.fix_by_label")) <input type="date" name="fix_by" required></label>
            <p class="actions"><button type="submit">\(t.html("manager.add_hazard"))</button></p>
            </form>
            </div>
            """
        return Layout.page(
            title: manager.name, caller: caller, t: t, head: "<script src=\"/assets/app/manager.js\" defer></script>", body: body)
    }
}
