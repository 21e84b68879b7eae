import Foundation
import LiftCore
import LiftStore

/// The printable HTML dossier of a unit (一单元一档案), a Chinese administrative document first, with a chart of
/// each elevator's health history (Chart.js).
public struct DossierPage: Sendable {
    /// How the page gets Chart.js and its own script: URLs the server serves (under its Content-Security-Policy,
    /// which allows no inline script), or the scripts' text inlined for a standalone file opened from disk.
    public enum ChartScript: Sendable {
        case url(String)
        case inline(String)
    }

    public var dossier: Dossier
    public var chartScript: ChartScript
    public var t: Localizer

    public init(dossier: Dossier, chartScript: ChartScript, language: PageLanguage = .zh) {
        self.dossier = dossier
        self.chartScript = chartScript
        self.t = Localizer(language)
    }

    init(dossier: Dossier, chartScript: ChartScript, t: Localizer) {
        self.dossier = dossier
        self.chartScript = chartScript
        self.t = t
    }

    public func render() -> String {
        let title = dossier.unit.map { t("dossier.title_unit", ["id": $0.unitID]) }
            ?? dossier.elevators.first.map { t("dossier.title_elevator", ["id": $0.elevator.elevatorID]) } ?? t("dossier.title")
        var html = """
            <!doctype html>
            <html lang="\(t.language.rawValue)"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title))</title>
            \(styleTag)
            \(scriptTag)
            </head><body>
            <p class="doc-kind">\(t.html("dossier.kind"))</p>
            <h1>\(HTML.escape(title))</h1>
            <p class="muted">\(t.html("dossier.generated", ["time": HTML.time(dossier.generatedAt)]))</p>

            """
        if case .url = chartScript {
            // Served: the other language one click away (a file written by the CLI has no server to ask).
            let back = t.here.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"
            html += "<p class=\"noprint\"><a href=\"/lang?to=\(t.language.other.rawValue)&amp;next=\(back)\" lang=\"\(t.language.other.rawValue)\">\(t.html("nav.other_language"))</a></p>\n"
        }
        if let unit = dossier.unit {
            let estate = [unit.estateName, unit.estateID.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
            html += """
                <h2>\(t.html("dossier.unit"))</h2>
                <table>
                <tr><th>\(t.html("dossier.unit_id"))</th><td>\(HTML.escape(unit.unitID))</td><th>\(t.html("dossier.region"))</th><td>\(HTML.escape(unit.region))</td></tr>
                <tr><th>\(t.html("dossier.address"))</th><td colspan="3">\(HTML.escape(unit.address))</td></tr>
                <tr><th>\(t.html("dossier.coordinates"))</th><td>\(unit.lat.map { String(format: "%.5f", $0) } ?? "—"), \(unit.lon.map { String(format: "%.5f", $0) } ?? "—")</td>
                <th>\(t.html("dossier.floors"))</th><td>\(unit.floors.map(String.init) ?? "—")</td></tr>
                <tr><th>\(t.html("dossier.rating"))</th><td>\(unit.rating.map { t.html("rating.\($0.rawValue)") } ?? "—")</td><th>\(t.html("dossier.stage"))</th><td>\(t.html("stage.\(unit.stage.rawValue)"))</td></tr>
                <tr><th>\(t.html("dossier.area"))</th><td>\(HTML.escape(unit.areaCode ?? "—"))</td><th>\(t.html("dossier.estate"))</th><td>\(HTML.escape(estate.isEmpty ? "—" : estate))</td></tr>
                <tr><th>\(t.html("dossier.building"))</th><td>\(HTML.escape(unit.building ?? "—")) / \(HTML.escape(unit.unitNumber ?? "—"))</td><th>\(t.html("dossier.households"))</th><td>\(unit.households.map(String.init) ?? "—")</td></tr>
                </table>
                \(stageTable(dossier.unitStageHistory))
                """
        }
        if let project = dossier.project { html += projectSection(project) }
        for (index, file) in dossier.elevators.enumerated() { html += elevatorSection(file, index: index) }
        if dossier.elevators.isEmpty { html += "<p class=\"muted\">\(t.html("dossier.no_elevator"))</p>\n" }
        html += HTML.dataScript("lw-i18n", t.scriptTexts) + "\n"
        html += trailingScript
        html += "</body></html>\n"
        return html
    }

    private var scriptTag: String {
        switch chartScript {
        case .url(let url): "<script src=\"\(HTML.escape(url))\" defer></script><script src=\"/assets/app/dossier.js\" defer></script>"
        case .inline(let script): "<script>\(Self.inline(script))</script>"
        }
    }

    private var styleTag: String {
        switch chartScript {
        case .url: "<link rel=\"stylesheet\" href=\"/assets/app/dossier.css\">"
        case .inline: "<style>\(String(decoding: PackageResources.dossier_css, as: UTF8.self))</style>"
        }
    }

    /// The dossier's own script, after the elevators' sections: at the end of the body when inlined.
    private var trailingScript: String {
        switch chartScript {
        case .url: ""
        case .inline: "<script>\(Self.inline(String(decoding: PackageResources.dossier_js, as: UTF8.self)))</script>\n"
        }
    }

    private static func inline(_ script: String) -> String { script.replacingOccurrences(of: "</script", with: "<\\/script") }

    static func yuan(_ fen: Int64) -> String {
        let whole = fen / 100, cents = fen % 100
        let digits = Array(String(whole))
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return grouped + (cents == 0 ? "" : String(format: ".%02d", cents))
    }

    static func m2(_ centi: Int64) -> String { centi % 100 == 0 ? "\(centi / 100)" : String(format: "%.2f", Double(centi) / 100) }

    /// The unit's project record (加装项目): steps with their numbers, the vote against its thresholds, money, documents.
    private func projectSection(_ project: Dossier.Project) -> String {
        var html = "<h2>\(t.html("dossier.project"))</h2>\n"
        if project.steps.isEmpty && project.documents.isEmpty {
            return html + "<p class=\"muted\">\(t.html("dossier.no_steps"))</p>\n"
        }
        if project.nextStageNeeds != nil, let stage = dossier.unit?.stage {
            let key = stage == .surveyed ? "dossier.needs_approval" : stage == .underConstruction ? "dossier.needs_acceptance" : "dossier.needs_record"
            html += "<p class=\"late\">\(t.html(key, ["stage": t("stage.\(stage.rawValue)")]))</p>\n"
        }
        html += "<table><tr><th>\(t.html("dossier.step_date"))</th><th>\(t.html("dossier.step"))</th><th>\(t.html("dossier.step_number"))</th><th>\(t.html("dossier.step_details"))</th><th>\(t.html("dossier.step_documents"))</th><th>\(t.html("dossier.step_by"))</th></tr>\n"
        for step in project.steps {
            var details: [String] = []
            if let vote = step.vote { details.append(voteSummary(vote)) }
            if let fen = step.amountFen { details.append("¥\(Self.yuan(fen))") }
            if let funding = step.funding { details.append(t("dossier.funding_total", ["amount": Self.yuan(funding.totalFen)])) }
            if let target = step.corrects { details.append(t("dossier.corrects", ["step": String(target)])) }
            if let note = step.note { details.append(note) }
            if let by = step.correctedBy { details.append(t("dossier.corrected_by", ["step": String(by)])) }
            html += "<tr\(step.correctedBy == nil ? "" : " class=\"corrected\"")><td>\(step.date)</td><td>\(t.html("step.\(step.kind.rawValue)")) <span class=\"muted\">#\(step.id)</span></td>"
            html += "<td>\(HTML.escape(step.number ?? ""))</td><td>\(HTML.escape(details.joined(separator: t("list.separator"))))</td>"
            html += "<td>\(HTML.escape(step.documentNumbers.joined(separator: t("list.separator"))))</td><td>\(HTML.escape(step.actor))，\(HTML.time(step.recordedAt))</td></tr>\n"
        }
        html += "</table>\n"
        if let vote = project.vote {
            func met(_ yes: Bool) -> String { t.html(yes ? "dossier.met" : "dossier.not_met") }
            html += """
                <h3>\(t.html("dossier.vote"))</h3>
                <table><tr><th></th><th>\(t.html("dossier.owners"))</th><th>\(t.html("dossier.area_m2"))</th><th>\(t.html("dossier.needs"))</th><th>\(t.html("dossier.result"))</th></tr>
                <tr><th>\(t.html("dossier.in_all"))</th><td>\(vote.ownersTotal)</td><td>\(Self.m2(vote.areaTotalCentiM2))</td><td></td><td></td></tr>
                <tr><th>\(t.html("dossier.participating"))</th><td>\(vote.ownersParticipating)</td><td>\(Self.m2(vote.areaParticipatingCentiM2))</td><td>\(t.html("dossier.needs_participation"))</td><td>\(met(vote.participationMet))</td></tr>
                <tr><th>\(t.html("dossier.consenting"))</th><td>\(vote.ownersConsenting)</td><td>\(Self.m2(vote.areaConsentingCentiM2))</td><td>\(t.html("dossier.needs_consent"))</td><td>\(met(vote.consentMet))</td></tr>
                </table>
                <p>\(t.html(vote.passed ? "dossier.vote_passed" : "dossier.vote_failed"))</p>

                """
        }
        if let funding = project.funding {
            html += """
                <h3>\(t.html("dossier.funding"))</h3>
                <table><tr><th>\(t.html("dossier.fund_owners"))</th><th>\(t.html("dossier.fund_provident"))</th><th>\(t.html("dossier.fund_maintenance"))</th><th>\(t.html("dossier.fund_subsidy"))</th><th>\(t.html("dossier.fund_total"))</th></tr>
                <tr><td>¥\(Self.yuan(funding.ownersFen))</td><td>¥\(Self.yuan(funding.providentFundFen))</td><td>¥\(Self.yuan(funding.maintenanceFundFen))</td><td>¥\(Self.yuan(funding.subsidyFen))</td><td>¥\(Self.yuan(funding.totalFen))</td></tr>
                </table>

                """
        }
        if project.subsidyAppliedFen > 0 || project.subsidyGrantedFen > 0 {
            html += "<p>\(t.html("dossier.subsidy", ["applied": Self.yuan(project.subsidyAppliedFen), "granted": Self.yuan(project.subsidyGrantedFen)]))</p>\n"
        }
        html += "<h3>\(t.html("dossier.documents", ["n": String(project.documents.count)]))</h3>"
        if project.documents.isEmpty { return html + "<p class=\"muted\">\(t.html("dossier.none_attached"))</p>\n" }
        html += "<table><tr><th>\(t.html("dossier.doc_name"))</th><th>\(t.html("dossier.step"))</th><th>\(t.html("dossier.doc_type"))</th><th>\(t.html("dossier.doc_size"))</th><th>\(t.html("dossier.doc_attached"))</th><th>SHA-256</th></tr>\n"
        let corrected = Set(project.steps.filter { $0.correctedBy != nil }.map(\.id))
        for document in project.documents {
            let step = document.stepID.map { corrected.contains($0) ? "#\($0) (\(t.html("dossier.corrected")))" : "#\($0)" } ?? ""
            html += "<tr><td>\(document.name.isEmpty ? "" : "<a href=\"/api/v1/documents/\(document.sha256)\">\(HTML.escape(document.name))</a>")</td><td>\(step)</td>"
            html += "<td>\(HTML.escape(document.mediaType))</td><td>\(document.size / 1024 + 1) KiB</td>"
            html += "<td>\(HTML.escape(document.actor))，\(HTML.time(document.attachedAt))</td><td class=\"hash\">\(document.sha256)</td></tr>\n"
        }
        return html + "</table>\n"
    }

    private func voteSummary(_ vote: OwnersVote) -> String {
        t(vote.passed ? "dossier.vote_step_passed" : "dossier.vote_step_failed", [
            "participating": String(vote.ownersParticipating), "total": String(vote.ownersTotal), "consenting": String(vote.ownersConsenting),
        ])
    }

    private func stageTable(_ history: [StageChangeRecord]) -> String {
        guard !history.isEmpty else { return "" }
        var rows = ""
        for change in history {
            rows += "<tr><td>\(HTML.time(change.at))</td><td>\(change.from.map { t.html("stage.\($0.rawValue)") } ?? "—") → \(t.html("stage.\(change.to.rawValue)"))</td>"
            rows += "<td>\(HTML.escape(change.actor))</td><td\(change.forced ? " class=\"forced\"" : "")>\(change.forced ? t.html("dossier.forced") : "")\(HTML.escape(change.reason ?? ""))</td></tr>\n"
        }
        return "<h3>\(t.html("dossier.stages"))</h3><table><tr><th>\(t.html("dossier.when"))</th><th>\(t.html("dossier.stage"))</th><th>\(t.html("dossier.by"))</th><th>\(t.html("dossier.note"))</th></tr>\n\(rows)</table>\n"
    }

    private func elevatorSection(_ file: Dossier.ElevatorFile, index: Int) -> String {
        let e = file.elevator
        func yes(_ value: Bool) -> String { t.html(value ? "common.yes" : "common.no") }
        var html = """
            <h2>\(t.html("dossier.elevator", ["id": e.elevatorID]))</h2>
            <table>
            <tr><th>\(t.html("dossier.region"))</th><td>\(HTML.escape(e.region))</td><th>\(t.html("dossier.stage"))</th><td>\(HTML.escape(t.name("stage", e.stage)))</td></tr>
            <tr><th>\(t.html("dossier.contractor"))</th><td>\(HTML.escape(e.contractorID ?? "—"))</td><th>\(t.html("dossier.commissioned"))</th><td>\(HTML.escape(e.commissionedOn ?? "—"))</td></tr>
            <tr><th>\(t.html("dossier.on_demand"))</th><td>\(t.html(e.onDemand ? "dossier.approved" : "common.no"))</td><th>\(t.html("dossier.platform"))</th><td>\(HTML.escape(e.platform))</td></tr>
            <tr><th>\(t.html("dossier.online"))</th><td>\(yes(e.online))</td><th>\(t.html("dossier.last_seen"))</th><td>\(HTML.time(e.lastSeen))</td></tr>
            <tr><th>\(t.html("dossier.terminal"))</th><td>\(HTML.escape(e.terminalID ?? "—"))</td><th>\(t.html("dossier.firmware"))</th><td>\(HTML.escape(e.firmware ?? "—"))</td></tr>
            </table>
            <h3>\(t.html("dossier.health_history"))</h3>
            <div class="chart"><canvas id="health\(index)" data-series="health-data-\(index)"></canvas></div>
            \(HTML.dataScript("health-data-\(index)", history(file)))
            \(stageTable(file.stageHistory))

            """
        if !file.contracts.isEmpty {
            html += "<h3>\(t.html("dossier.contracts"))</h3><table><tr><th>\(t.html("dossier.contractor"))</th><th>\(t.html("dossier.from"))</th><th>\(t.html("dossier.until"))</th></tr>\n"
            for contract in file.contracts {
                html += "<tr><td>\(HTML.escape(contract.contractorID))</td><td>\(HTML.time(contract.startsAt))</td><td>\(contract.endsAt.map { HTML.time($0) } ?? t.html("dossier.current"))</td></tr>\n"
            }
            html += "</table>\n"
        }
        if !file.terminals.isEmpty {
            html += "<h3>\(t.html("dossier.terminals"))</h3><table><tr><th>\(t.html("dossier.terminal"))</th><th>\(t.html("dossier.installed"))</th><th>\(t.html("dossier.removed"))</th><th>\(t.html("dossier.note"))</th></tr>\n"
            for terminal in file.terminals {
                html += "<tr><td>\(HTML.escape(terminal.terminalID))</td><td>\(HTML.time(terminal.installedAt))</td><td>\(terminal.removedAt.map { HTML.time($0) } ?? t.html("dossier.in_place"))</td><td>\(HTML.escape(terminal.note ?? ""))</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += ticketTable("dossier.maintenance", file.tickets.filter { $0.type == .maintenance })
        html += ticketTable("dossier.inspections", file.tickets.filter { $0.type == .inspection })
        html += ticketTable("dossier.fault_tickets", file.tickets.filter { $0.type != .maintenance && $0.type != .inspection })
        html += eventTable("dossier.faults", file.faults)
        html += eventTable("dossier.visits", file.maintenanceVisits)
        if let counters = file.ingest {
            html += """
                <h3>\(t.html("dossier.data"))</h3><table><tr><th>\(t.html("dossier.messages"))</th><th>\(t.html("dossier.duplicates"))</th><th>\(t.html("dossier.rejected"))</th><th>\(t.html("dossier.gaps"))</th><th>\(t.html("dossier.replayed"))</th><th>\(t.html("dossier.lost"))</th></tr>
                <tr><td>\(counters.received)</td><td>\(counters.duplicates)</td><td>\(counters.rejected)</td><td>\(counters.gaps)</td><td>\(counters.replayed)</td><td>\(counters.lost)</td></tr></table>

                """
        }
        return html
    }

    private func ticketTable(_ key: String, _ tickets: [Ticket]) -> String {
        var html = "<h3>\(t.html(key))</h3>"
        guard !tickets.isEmpty else { return html + "<p class=\"muted\">\(t.html("dossier.none_on_record"))</p>\n" }
        html += "<table><tr><th>\(t.html("ticket.id"))</th><th>\(t.html("ticket.type"))</th><th>\(t.html("ticket.opened"))</th><th>\(t.html("ticket.due"))</th><th>\(t.html("ticket.status"))</th><th>\(t.html("ticket.done"))</th><th>\(t.html("ticket.contractor"))</th></tr>\n"
        for ticket in tickets.suffix(500) {
            let flags = Layout.flags(ticket, t)
            html += "<tr><td>\(ticket.id)</td><td>\(HTML.escape(Layout.ticketType(ticket, t)))</td><td>\(HTML.time(ticket.openedAt))</td><td>\(HTML.time(ticket.dueAt))</td>"
            html += "<td>\(t.html("status.\(ticket.status.rawValue)"))\(flags.isEmpty ? "" : " <span class=\"forced\">\(HTML.escape(flags))</span>")</td><td>\(HTML.time(ticket.closedAt ?? ticket.resolvedAt))</td>"
            html += "<td>\(HTML.escape(ticket.contractorID ?? "—"))</td></tr>\n"
        }
        return html + "</table>\n"
    }

    private func eventTable(_ key: String, _ events: [ElevatorEvent]) -> String {
        var html = "<h3>\(t.html(key))</h3>"
        guard !events.isEmpty else { return html + "<p class=\"muted\">\(t.html("dossier.none_on_record"))</p>\n" }
        html += "<table><tr><th>\(t.html("event.when"))</th><th>\(t.html("event.code"))</th><th>\(t.html("event.state"))</th><th>\(t.html("event.floor"))</th><th>\(t.html("event.detail"))</th></tr>\n"
        for event in events.suffix(500) {
            html += "<tr><td>\(HTML.time(event.ts))</td><td>\(HTML.escape(event.fault.map { t.name("fault", $0.rawValue) } ?? event.code))</td><td>\(event.state.map { t.html("event_state.\($0.rawValue)") } ?? "")</td>"
            html += "<td>\(event.floor.map(String.init) ?? "")</td><td>\(HTML.escape(event.detail ?? event.technician ?? ""))</td></tr>\n"
        }
        if events.count > 500 { html += "<tr><td colspan=\"5\" class=\"muted\">\(t.html("dossier.earlier", ["n": String(events.count - 500)]))</td></tr>\n" }
        return html + "</table>\n"
    }

    struct History: Encodable {
        struct Series: Encodable { var label: String; var points: [[Double?]] }
        var labels: [String]
        var series: [Series]
        /// The two axes' titles.
        var axes: [String]
    }

    /// The daily means of the health signals, for `dossier.js`.
    private func history(_ file: Dossier.ElevatorFile) -> History {
        let days = Set(file.healthHistory.values.flatMap { $0.map(\.start) }).sorted()
        let series = LiftDatabase.dossierMetrics.map { metric in
            let byDay = Dictionary((file.healthHistory[metric.name] ?? []).map { ($0.start, $0.mean) }, uniquingKeysWith: { a, _ in a })
            return History.Series(label: t("metric.\(metric.name)"), points: [days.map { byDay[$0] }])
        }
        return History(labels: days.map { String(HTML.time($0).prefix(10)) }, series: series, axes: [t("metric.door_close_ms"), t("metric.level_error_mm")])
    }
}
