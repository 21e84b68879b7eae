import Foundation
import LiftCore
import LiftStore

/// The technician's form for a maintenance visit, made for a phone: check-in (time and place), the level's
/// checklist item by item, photos from the camera, check-out and send. `record.js` keeps what is filled on the
/// phone and queues the record when there is no signal: it is sent when signal returns, never lost or doubled
/// (the server recognises the record's `client_key`).
struct MaintenanceRecordPage {
    let context: APIContext
    let caller: Principal
    let ticket: Ticket
    let t: Localizer

    func render() throws -> String {
        let database = context.database
        let level = MaintenanceLevel(rawValue: ticket.level ?? "") ?? .halfMonth
        // The items in the page's language when the checklists have them (`traction@zh-CN`), the same number each.
        let english = context.checklists?.items(level: level) ?? []
        let translated = context.checklists?.items(kind: "traction@\(t.language.rawValue)", level: level) ?? []
        let items = translated.count == english.count ? translated : english
        let technicians = try database.technicians(contractorID: ticket.contractorID ?? "")
        let existing = try database.maintenanceRecord(ticketID: ticket.id)
        let unit = try database.elevator(ticket.elevatorID)?.unitID.flatMap { try database.unit($0) }
        let results = ChecklistResult.allCases.map { (result: ChecklistResult) -> String in "<option value=\"\(result.rawValue)\">\(t.html("result.\(result.rawValue)"))</option>" }.joined()
        let checklist = items.enumerated().map { index, item -> String in
            """
            <li><span class="item">\(index + 1). \(HTML.escape(item))</span>
            <select name="r\(index + 1)" aria-label="\(t.html("field.result"))">\(results)</select>
            <input type="text" name="n\(index + 1)" maxlength="200" placeholder="\(t.html("field.note"))"></li>
            """
        }.joined()
        let people = technicians.map { technician -> String in
            let day = CivilDate(epochMs: context.clock.now())
            let valid = technician.certified(on: day)
            return """
                <label class="row"><input type="checkbox" name="technician" value="\(HTML.escape(technician.technicianID))"\(valid ? "" : " disabled")>
                \(HTML.escape(technician.name)) <span class="muted small">\(HTML.escape(technician.certificateNo)) · \(t.html(valid ? "field.valid_until" : "field.expired", ["date": technician.certificateExpiresOn]))</span></label>
                """
        }.joined()
        let done = existing.map { record -> String in
            """
            <div class="card"><h2>\(t.html("field.record_done"))</h2>
            <p>\(HTML.time(record.checkInAt)) – \(HTML.time(record.checkOutAt)) · \(HTML.escape(record.technicians.joined(separator: ", ")))</p>
            \(record.flags.isEmpty ? "" : "<p class=\"flags\">\(record.flags.map { t.html("visit_flag.\($0.rawValue)") }.joined(separator: t.html("list.separator")))</p>")
            <p class="muted">\(record.confirmedAt == nil ? t.html("field.awaiting_confirmation") : t.html("field.confirmed"))</p></div>
            """
        }
        let form = """
            <form id="record" class="card" data-ticket="\(ticket.id)" data-items="\(items.count)" data-contractor="\(HTML.escape(ticket.contractorID ?? ""))">
            <h2>\(t.html("field.technicians"))</h2>
            \(people.isEmpty ? "<p class=\"late\">\(t.html("field.no_technicians"))</p>" : people)
            <h2 class="spaced">\(t.html("field.check_in"))</h2>
            <p class="actions"><button type="button" id="check-in">\(t.html("field.check_in_now"))</button> <span id="checked-in" class="muted"></span></p>
            <h2 class="spaced">\(t.html("field.checklist", ["n": String(items.count)]))</h2>
            <p class="actions"><button type="button" class="secondary" id="all-ok">\(t.html("field.all_ok"))</button></p>
            <ul class="checklist">\(checklist)</ul>
            <h2 class="spaced">\(t.html("field.photos"))</h2>
            <p><input type="file" id="photos" accept="image/jpeg,image/png" capture="environment" multiple></p>
            <p id="photo-count" class="muted"></p>
            <p class="actions"><button type="submit" id="submit">\(t.html("field.check_out_and_send"))</button></p>
            <p id="message" class="muted"></p>
            </form>
            """
        let body = """
            <div class="field">
            <h2 class="top">\(HTML.escape(Layout.ticketType(ticket, t))) · #\(ticket.id)</h2>
            <p><a href="/elevators/\(HTML.escape(ticket.elevatorID))">\(HTML.escape(ticket.elevatorID))</a>\(unit.map { " · " + HTML.escape($0.address) } ?? "")</p>
            <p class="muted">\(t.html("ticket.status")): \(t.html("status.\(ticket.status.rawValue)")) · \(t.html("field.due", ["date": HTML.time(ticket.dueAt)]))</p>
            <div id="queue" class="queue empty"></div>
            \(done ?? (ticket.status.isActive ? form : ""))
            <p class="spaced"><a href="/contractor">\(t.html("field.back"))</a></p>
            </div>
            """
        return Layout.page(
            title: t("field.record"), caller: caller, t: t, head: "<script src=\"/assets/app/record.js\" defer></script>", body: body)
    }
}
