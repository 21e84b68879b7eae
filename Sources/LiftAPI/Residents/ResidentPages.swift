import Foundation
import Hummingbird
import LiftCore
import LiftScheduler
import LiftStore

/// The residents' page of an elevator, reached without a login from the code printed in its car (`/lift/{id}`):
/// its state, who maintains it, its last maintenance, the next inspection, the rescue hotline, and "report a
/// problem", which opens a `minor_repair` ticket (`TicketEngine.residentReport`). No personal data is asked for or
/// kept; reports are limited per elevator and per address (`ReportLimiter`).
struct ResidentPages: Sendable {
    let context: APIContext
    let limiter: ReportLimiter

    /// What a resident may report; each is named in the catalogue (`resident.category.*`).
    static let categories = ["noise", "door", "buttons", "light", "other"]
    /// The longest note kept, in characters.
    static let noteLimit = 200

    func register(on router: Router<LiftRequestContext>) {
        let pages = router.group("/lift").add(middleware: PageErrors())
        pages.get(":elevator_id") { request, ctx -> Response in
            let notice = try notice(ctx)
            let sent = request.uri.queryParameters["sent"] != nil
            return html(render(notice, t: localizer(request, notice), message: sent ? .sent : nil))
        }
        // The sign to print and fix in the car: its code leads here.
        pages.get(":elevator_id/sign") { request, ctx -> Response in
            let notice = try notice(ctx)
            return html(sign(notice, url: publicURL(request, notice), t: localizer(request, notice)))
        }
        pages.post(":elevator_id/report") { request, ctx -> Response in
            let notice = try notice(ctx)
            let t = localizer(request, notice)
            // A form on another site posting in a visitor's name is refused; the page's own form sends its Origin.
            if request.headers[.origin] != nil, AuthMiddleware.crossSiteRefusal(request, requireJSON: false) != nil {
                throw APIError(.forbidden, code: "forbidden", message: "reports come from this page's own form")
            }
            let form = FormFields(String(buffer: try await request.body.collect(upTo: 8 * 1024)))
            guard let category = form["category"], Self.categories.contains(category) else {
                throw APIError(.badRequest, code: "invalid_parameter", message: "category: expected one of \(Self.categories.joined(separator: ", "))")
            }
            let note = Self.clean(form["note"] ?? "")
            let now = context.clock.now()
            let sender = Self.sender(
                ip: ctx.remoteAddress?.ipAddress ?? "unknown", forwarded: request.headers[.init("X-Forwarded-For")!], trusting: context.trustedProxies)
            guard await limiter.admit(elevator: notice.elevator.elevatorID, address: sender, now: now) else {
                var response = html(render(notice, t: t, message: .tooMany))
                response.status = .tooManyRequests
                return response
            }
            // The ticket is for the maintenance company: in Chinese, whatever the page's language.
            let zh = Localizer(.zh)
            let text = zh("resident.ticket_reason", ["category": zh("resident.category.\(category)")]) + (note.isEmpty ? "" : zh("resident.ticket_note", ["note": note]))
            do {
                guard let engine = context.engine else { throw APIError(.serviceUnavailable, code: "unavailable", message: "tickets are not handled here") }
                _ = try await engine.residentReport(elevatorID: notice.elevator.elevatorID, text: text, at: now)
            } catch {
                // Whatever failed, the resident gets a page with the hotline, not an error code.
                var response = html(render(notice, t: t, message: .failed))
                response.status = .serviceUnavailable
                return response
            }
            return .redirect(to: "/lift/\(notice.elevator.elevatorID)?sent=1", type: .normal)
        }
    }

    /// The address the sign's code holds: `residents.public_url` when set (what residents' phones can reach),
    /// else the address this request came to.
    func publicURL(_ request: Request, _ notice: ResidentNotice) -> String {
        var base = context.publicURL
        if base.isEmpty {
            let tls = request.headers[.init("X-Forwarded-Proto")!]?.lowercased() == "https"
            let host = request.head.authority ?? request.headers[.init("Host")!] ?? "localhost"
            base = (tls ? "https://" : "http://") + host
        }
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/lift/" + notice.elevator.elevatorID
    }

    /// The printable sign (A5): the code, what it is for, the hotline and the elevator number.
    func sign(_ notice: ResidentNotice, url: String, t: Localizer) -> String {
        let elevator = notice.elevator
        let hotline = context.rescueHotlines.number(for: elevator.place)
        // The hotline asks for the rescue code printed in the car, where one is set; else the elevator's number.
        let rescueCode = elevator.rescueCode ?? elevator.elevatorID
        let managerName = elevator.propertyManagerID.flatMap { try? context.database.propertyManager($0)?.name }
        let code = QRCode(text: url)?.svg(millimetres: 70, label: url) ?? ""
        let body = """
            <div class="sign">
            <h2>\(t.html("resident.sign.title"))</h2>
            <p class="muted">\(HTML.escape(notice.address ?? "")) · \(t.html("resident.elevator", ["id": elevator.elevatorID]))</p>
            <div class="code">\(code)</div>
            <p class="scan">\(t.html("resident.sign.scan"))</p>
            <p class="url">\(HTML.escape(url))</p>
            <p class="trapped">\(t.html("resident.sign.trapped", ["hotline": hotline, "id": rescueCode]))</p>
            <dl class="facts">
            <dt>\(t.html("resident.user_unit"))</dt><dd>\(managerName.map(HTML.escape) ?? t.html("resident.not_registered"))</dd>
            <dt>\(t.html("resident.contractor"))</dt><dd>\(notice.contractor.map(HTML.escape) ?? t.html("resident.not_registered"))</dd>
            </dl>
            </div>
            """
        return Layout.page(title: t("resident.sign.title"), caller: nil, t: t, body: body)
    }

    /// The page's language, its toggle leading back to the elevator's page (also from a refused report).
    private func localizer(_ request: Request, _ notice: ResidentNotice) -> Localizer {
        Localizer(PageLanguage.of(request), here: "/lift/\(notice.elevator.elevatorID)")
    }

    /// Who sent a report, as the limiter counts them: the connection's address, or, from a configured reverse
    /// proxy, the last address of its `X-Forwarded-For`; an IPv6 address by its /64 (one household's prefix).
    static func sender(ip: String, forwarded: String?, trusting proxies: Set<String>) -> String {
        var address = ip
        if proxies.contains(address), let last = forwarded?.split(separator: ",").last {
            address = last.trimmingCharacters(in: .whitespaces)
        }
        guard address.contains(":") else { return address }
        // The first four groups of the address, written out (`::` expanded), are its /64.
        let halves = address.components(separatedBy: "::")
        let head = halves[0].split(separator: ":", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        let tail = halves.count > 1 ? halves[1].split(separator: ":").map(String.init) : []
        let groups = head + Array(repeating: "0", count: max(0, 8 - head.count - tail.count)) + tail
        return groups.prefix(4).joined(separator: ":") + "::/64"
    }

    private func notice(_ ctx: LiftRequestContext) throws -> ResidentNotice {
        let id = try ctx.parameters.require("elevator_id")
        guard Identifier.isValidID(id), let notice = try context.database.residentNotice(id) else {
            throw APIError(.notFound, code: "not_found", message: "no elevator \(id.prefix(64))")
        }
        return notice
    }

    /// A resident's note as kept: control characters and angle brackets out (it travels to contractors' systems
    /// and into the audit log), spaces collapsed, at most `noteLimit` characters.
    static func clean(_ text: String) -> String {
        let words = text.unicodeScalars.map { CharacterSet.controlCharacters.contains($0) || $0 == "<" || $0 == ">" ? " " : String($0) }.joined()
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return String(words.prefix(noteLimit))
    }

    enum Message { case sent, tooMany, failed }

    /// The elevator's state in a resident's words, and the badge's colour: the lifecycle stage first, then its
    /// health as the API assesses it (a rescue, a safety fault or the controller's mode put it out of service;
    /// no word from it for a while makes it unknown), then open repairs. Minor repairs and residents' own reports
    /// leave it in service.
    func state(_ notice: ResidentNotice, now: Int64) -> (key: String, css: String) {
        guard notice.elevator.stage == LifecycleStage.inService.rawValue else { return ("resident.state.stopped", "out_of_service") }
        let findings = (try? context.health.health(of: notice.elevator, now: now))?.findings ?? []
        if findings.contains(where: { $0.kind == .rescueOpen }) { return ("resident.state.rescue", "out_of_service") }
        // A safety fault, or a controller out of service or in fire mode, stops it, whether it is heard from or not.
        if findings.contains(where: { $0.kind == .safetyOpen || ($0.kind == .mode && ["out_of_service", "fire"].contains($0.subject)) }) {
            return ("resident.state.stopped", "out_of_service")
        }
        if findings.contains(where: { $0.kind == .offline || $0.kind == .neverHeard }) { return ("resident.state.unknown", "offline") }
        return notice.openRepairs > 0 ? ("resident.state.repair", "watch") : ("resident.state.normal", "ok")
    }

    func render(_ notice: ResidentNotice, t: Localizer, message: Message?) -> String {
        let elevator = notice.elevator
        let id = HTML.escape(elevator.elevatorID)
        let hotline = context.rescueHotlines.number(for: elevator.place)
        // The hotline asks for the rescue code printed in the car, where one is set; else the elevator's number.
        let rescueCode = elevator.rescueCode ?? elevator.elevatorID
        let managerName = elevator.propertyManagerID.flatMap { try? context.database.propertyManager($0)?.name }
        let now = context.clock.now()
        let state = state(notice, now: now)
        let maintenance = notice.lastMaintenance.map { last -> String in
            let level = last.level.flatMap { MaintenanceLevel(rawValue: $0) }
            let items = level.flatMap { context.checklists?.items(level: $0).count }
            return t("resident.maintenance_done", [
                "date": String(HTML.time(last.doneAt).prefix(10)), "level": last.level.map { t.name("level", $0) } ?? "",
                "items": items.map(String.init) ?? "—",
            ]) + (last.unverified ? t("resident.unverified") : "")
        } ?? t("resident.none_yet")
        let inspection: String
        if let due = notice.openInspectionDue, due < now {
            inspection = t("resident.inspection_overdue", ["date": CivilDate(epochMs: due).description])
        } else {
            inspection = elevator.commissionedOn.flatMap(CivilDate.init).flatMap { commissioned in
                InspectionRegime().next(onOrAfter: CivilDate(epochMs: now), commissioned: commissioned)
            }.map { due in t("resident.inspection_due", ["date": due.due.description, "kind": t("resident.inspection.\(due.kind.rawValue)")]) } ?? "—"
        }
        let banner = switch message {
            case .sent?: "<p class=\"banner ok\">\(t.html("resident.sent"))</p>"
            case .tooMany?: "<p class=\"banner late\">\(t.html("resident.too_many", ["hotline": hotline]))</p>"
            case .failed?: "<p class=\"banner late\">\(t.html("resident.failed", ["hotline": hotline]))</p>"
            case nil: ""
            }
        let options = Self.categories.map { category in
            "<label class=\"choice\"><input type=\"radio\" name=\"category\" value=\"\(category)\" required> \(t.html("resident.category.\(category)"))</label>"
        }.joined()
        let body = """
            <div class="resident">
            \(banner)
            <h2>\(t.html("resident.heading"))</h2>
            <p class="muted">\(HTML.escape(notice.address ?? "")) · \(t.html("resident.elevator", ["id": elevator.elevatorID]))</p>
            <p class="big"><span class="state \(state.css)">\(t.html(state.key))</span></p>
            <div class="card call"><h3>\(t.html("resident.trapped"))</h3>
            <p><a class="phone" href="tel:\(HTML.escape(hotline))">\(HTML.escape(hotline))</a></p>
            <p>\(t.html("resident.tell_code", ["id": rescueCode]))</p></div>
            <dl class="facts">
            <dt>\(t.html("resident.user_unit"))</dt><dd>\(managerName.map(HTML.escape) ?? t.html("resident.not_registered"))</dd>
            <dt>\(t.html("resident.contractor"))</dt><dd>\(notice.contractor.map(HTML.escape) ?? t.html("resident.not_registered"))</dd>
            <dt>\(t.html("resident.last_maintenance"))</dt><dd>\(HTML.escape(maintenance))</dd>
            <dt>\(t.html("resident.next_inspection"))</dt><dd>\(HTML.escape(inspection))</dd>
            </dl>
            <div class="card"><h3>\(t.html("resident.report"))</h3>
            <p class="late">\(t.html("resident.danger", ["hotline": hotline]))</p>
            <form method="post" action="/lift/\(id)/report">
            \(options)
            <p><textarea name="note" maxlength="\(Self.noteLimit)" rows="3" placeholder="\(t.html("resident.note_hint"))" aria-label="\(t.html("resident.note_hint"))"></textarea></p>
            <p class="muted">\(t.html("resident.no_personal_data"))</p>
            <p><button type="submit">\(t.html("resident.submit"))</button></p>
            </form></div>
            </div>
            """
        return Layout.page(title: t("resident.heading"), caller: nil, t: t, body: body)
    }
}

/// How many reports residents may send per elevator and per address in a sliding hour. At most `capacity`
/// elevators and addresses are remembered: past it, the quietest are forgotten first, down to 90 % of it (a flood of
/// addresses costs memory no more than that; an address forgotten may report again, an elevator or address at its
/// limit is forgotten last).
actor ReportLimiter {
    static let capacity = 10_000
    let perElevator: Int
    let perAddress: Int
    let windowMs: Int64
    private var seen: [String: [Int64]] = [:]

    init(perElevator: Int = 5, perAddress: Int = 3, windowMs: Int64 = 3_600_000) {
        self.perElevator = perElevator
        self.perAddress = perAddress
        self.windowMs = windowMs
    }

    /// Whether a report may be taken now; if so, it is counted.
    func admit(elevator: String, address: String, now: Int64) -> Bool {
        let elevatorKey = "e:" + elevator, addressKey = "a:" + address
        guard recent(elevatorKey, now) < perElevator, recent(addressKey, now) < perAddress else { return false }
        seen[elevatorKey, default: []].append(now)
        seen[addressKey, default: []].append(now)
        if seen.count > Self.capacity {
            // Past the bound: the expired go, then the quietest down to 90 % of it (once per thousand new keys, not
            // at every report). Keys at their limit are forgotten last: forgetting them would lift the limit.
            seen = seen.filter { $0.value.contains { now - $0 < windowMs } }
            if seen.count > Self.capacity * 9 / 10 {
                let order = seen.sorted { a, b in
                    let (fullA, fullB) = (atLimit(a.key, a.value.count), atLimit(b.key, b.value.count))
                    return fullA != fullB ? !fullA : a.value.last! < b.value.last!
                }
                for key in order.prefix(seen.count - Self.capacity * 9 / 10).map(\.key) { seen[key] = nil }
            }
        }
        return true
    }

    private func atLimit(_ key: String, _ count: Int) -> Bool { count >= (key.hasPrefix("e:") ? perElevator : perAddress) }

    /// Elevators and addresses remembered.
    var remembered: Int { seen.count }

    private func recent(_ key: String, _ now: Int64) -> Int {
        guard let times = seen[key] else { return 0 }
        let kept = times.filter { now - $0 < windowMs }
        seen[key] = kept.isEmpty ? nil : kept
        return kept.count
    }
}
