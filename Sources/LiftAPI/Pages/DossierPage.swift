import LiftCore
import LiftStore

/// The printable HTML dossier of a unit, with a chart of each elevator's health history (Chart.js).
public struct DossierPage: Sendable {
    /// How the page gets Chart.js and its own script: URLs the server serves (under its Content-Security-Policy,
    /// which allows no inline script), or the scripts' text inlined for a standalone file opened from disk.
    public enum ChartScript: Sendable {
        case url(String)
        case inline(String)
    }

    public var dossier: Dossier
    public var chartScript: ChartScript

    public init(dossier: Dossier, chartScript: ChartScript) {
        self.dossier = dossier
        self.chartScript = chartScript
    }

    public func render() -> String {
        let title = dossier.unit.map { "Unit \($0.unitID)" } ?? dossier.elevators.first.map { "Elevator \($0.elevator.elevatorID)" } ?? "Dossier"
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) — LiftWatch dossier</title>
            \(styleTag)
            \(scriptTag)
            </head><body>
            <h1>\(HTML.escape(title))</h1>
            <p class="muted">一单元一档案 · generated \(HTML.time(dossier.generatedAt)) (UTC+8) by LiftWatch</p>

            """
        if let unit = dossier.unit {
            html += """
                <h2>Building unit</h2>
                <table>
                <tr><th>Unit</th><td>\(HTML.escape(unit.unitID))</td><th>Region</th><td>\(HTML.escape(unit.region))</td></tr>
                <tr><th>Address</th><td colspan="3">\(HTML.escape(unit.address))</td></tr>
                <tr><th>Coordinates</th><td>\(unit.lat.map { String(format: "%.5f", $0) } ?? "—"), \(unit.lon.map { String(format: "%.5f", $0) } ?? "—")</td>
                <th>Floors</th><td>\(unit.floors.map(String.init) ?? "—")</td></tr>
                <tr><th>Survey rating</th><td>\(unit.rating?.rawValue ?? "—")</td><th>Stage</th><td>\(unit.stage.rawValue)</td></tr>
                <tr><th>Area (街道/社区)</th><td>\(HTML.escape(unit.areaCode ?? "—"))</td><th>Estate (小区)</th><td>\(HTML.escape([unit.estateName, unit.estateID.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")))</td></tr>
                <tr><th>Building / unit</th><td>\(HTML.escape(unit.building ?? "—")) / \(HTML.escape(unit.unitNumber ?? "—"))</td><th>Households</th><td>\(unit.households.map(String.init) ?? "—")</td></tr>
                </table>
                \(stageTable(dossier.unitStageHistory))
                """
        }
        if let project = dossier.project { html += projectSection(project) }
        for (index, file) in dossier.elevators.enumerated() { html += elevatorSection(file, index: index) }
        if dossier.elevators.isEmpty { html += "<p class=\"muted\">No elevator has been registered for this unit.</p>\n" }
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
        var html = "<h2>加装项目 · Project record</h2>\n"
        if project.steps.isEmpty && project.documents.isEmpty {
            return html + "<p class=\"muted\">No project step is on record.</p>\n"
        }
        if let needs = project.nextStageNeeds { html += "<p class=\"late\">Next stage needs: \(HTML.escape(needs))</p>\n" }
        html += "<table><tr><th>Date</th><th>Step</th><th>Number</th><th>Details</th><th>Document numbers</th><th>Recorded by</th></tr>\n"
        for step in project.steps {
            var details: [String] = []
            if let vote = step.vote { details.append((vote.passed ? "passed: " : "did not pass: ") + ProgrammeGate.describe(vote)) }
            if let fen = step.amountFen { details.append("¥\(Self.yuan(fen))") }
            if let funding = step.funding { details.append("¥\(Self.yuan(funding.totalFen)) in all") }
            if let target = step.corrects { details.append("更正 corrects step \(target)") }
            if let note = step.note { details.append(note) }
            if let by = step.correctedBy { details.append("已更正 corrected by step \(by): counts nowhere") }
            html += "<tr\(step.correctedBy == nil ? "" : " class=\"corrected\"")><td>\(step.date)</td><td>\(step.kind.chineseName) · \(step.kind.rawValue.replacingOccurrences(of: "_", with: " ")) <span class=\"muted\">#\(step.id)</span></td>"
            html += "<td>\(HTML.escape(step.number ?? ""))</td><td>\(HTML.escape(details.joined(separator: "; ")))</td>"
            html += "<td>\(HTML.escape(step.documentNumbers.joined(separator: "; ")))</td><td>\(HTML.escape(step.actor)), \(HTML.time(step.recordedAt))</td></tr>\n"
        }
        html += "</table>\n"
        if let vote = project.vote {
            html += """
                <h3>业主表决 · Owners' vote (Civil Code art. 278)</h3>
                <table><tr><th></th><th>Owners</th><th>Floor area (m²)</th><th>Needs</th><th>Result</th></tr>
                <tr><th>In all</th><td>\(vote.ownersTotal)</td><td>\(Self.m2(vote.areaTotalCentiM2))</td><td></td><td></td></tr>
                <tr><th>Participating</th><td>\(vote.ownersParticipating)</td><td>\(Self.m2(vote.areaParticipatingCentiM2))</td><td>≥ 2/3 of both</td><td>\(vote.participationMet ? "met" : "not met")</td></tr>
                <tr><th>Consenting</th><td>\(vote.ownersConsenting)</td><td>\(Self.m2(vote.areaConsentingCentiM2))</td><td>≥ 3/4 of those participating, both</td><td>\(vote.consentMet ? "met" : "not met")</td></tr>
                </table>
                <p>\(vote.passed ? "The vote passed." : "The vote did not pass.")</p>

                """
        }
        if let funding = project.funding {
            html += """
                <h3>资金筹措 · Funding</h3>
                <table><tr><th>Owners</th><th>Housing provident fund</th><th>Maintenance fund</th><th>Subsidies</th><th>Total</th></tr>
                <tr><td>¥\(Self.yuan(funding.ownersFen))</td><td>¥\(Self.yuan(funding.providentFundFen))</td><td>¥\(Self.yuan(funding.maintenanceFundFen))</td><td>¥\(Self.yuan(funding.subsidyFen))</td><td>¥\(Self.yuan(funding.totalFen))</td></tr>
                </table>

                """
        }
        if project.subsidyAppliedFen > 0 || project.subsidyGrantedFen > 0 {
            html += "<p>Subsidy applied for ¥\(Self.yuan(project.subsidyAppliedFen)), granted ¥\(Self.yuan(project.subsidyGrantedFen)).</p>\n"
        }
        html += "<h3>Documents (\(project.documents.count))</h3>"
        if project.documents.isEmpty { return html + "<p class=\"muted\">None attached.</p>\n" }
        html += "<table><tr><th>Name</th><th>Step</th><th>Type</th><th>Size</th><th>Attached</th><th>SHA-256</th></tr>\n"
        let corrected = Set(project.steps.filter { $0.correctedBy != nil }.map(\.id))
        for document in project.documents {
            let step = document.stepID.map { corrected.contains($0) ? "#\($0) (已更正 corrected)" : "#\($0)" } ?? ""
            html += "<tr><td>\(document.name.isEmpty ? "" : "<a href=\"/api/v1/documents/\(document.sha256)\">\(HTML.escape(document.name))</a>")</td><td>\(step)</td>"
            html += "<td>\(HTML.escape(document.mediaType))</td><td>\(document.size / 1024 + 1) KiB</td>"
            html += "<td>\(HTML.escape(document.actor)), \(HTML.time(document.attachedAt))</td><td class=\"hash\">\(document.sha256)</td></tr>\n"
        }
        return html + "</table>\n"
    }

    private func stageTable(_ history: [StageChangeRecord]) -> String {
        guard !history.isEmpty else { return "" }
        var rows = ""
        for change in history {
            rows += "<tr><td>\(HTML.time(change.at))</td><td>\(change.from?.rawValue ?? "—") → \(change.to.rawValue)</td>"
            rows += "<td>\(HTML.escape(change.actor))</td><td\(change.forced ? " class=\"forced\"" : "")>\(change.forced ? "forced: " : "")\(HTML.escape(change.reason ?? ""))</td></tr>\n"
        }
        return "<h3>Stages</h3><table><tr><th>When</th><th>Stage</th><th>By</th><th>Note</th></tr>\n\(rows)</table>\n"
    }

    private func elevatorSection(_ file: Dossier.ElevatorFile, index: Int) -> String {
        let e = file.elevator
        var html = """
            <h2>Elevator \(HTML.escape(e.elevatorID))</h2>
            <table>
            <tr><th>Region</th><td>\(HTML.escape(e.region))</td><th>Stage</th><td>\(HTML.escape(e.stage))</td></tr>
            <tr><th>Contractor</th><td>\(HTML.escape(e.contractorID ?? "—"))</td><th>Commissioned</th><td>\(HTML.escape(e.commissionedOn ?? "—"))</td></tr>
            <tr><th>On-demand maintenance</th><td>\(e.onDemand ? "approved" : "no")</td><th>Fault-code platform</th><td>\(HTML.escape(e.platform))</td></tr>
            <tr><th>Online</th><td>\(e.online ? "yes" : "no")</td><th>Last seen</th><td>\(HTML.time(e.lastSeen))</td></tr>
            <tr><th>Terminal</th><td>\(HTML.escape(e.terminalID ?? "—"))</td><th>Firmware</th><td>\(HTML.escape(e.firmware ?? "—"))</td></tr>
            </table>
            <h3>Health history (daily)</h3>
            <div class="chart"><canvas id="health\(index)" data-series="health-data-\(index)"></canvas></div>
            \(HTML.dataScript("health-data-\(index)", history(file)))
            \(stageTable(file.stageHistory))

            """
        if !file.contracts.isEmpty {
            html += "<h3>Maintenance contracts</h3><table><tr><th>Contractor</th><th>From</th><th>Until</th></tr>\n"
            for contract in file.contracts {
                html += "<tr><td>\(HTML.escape(contract.contractorID))</td><td>\(HTML.time(contract.startsAt))</td><td>\(contract.endsAt.map { HTML.time($0) } ?? "current")</td></tr>\n"
            }
            html += "</table>\n"
        }
        if !file.terminals.isEmpty {
            html += "<h3>Controllers and IoT terminals</h3><table><tr><th>Terminal</th><th>Installed</th><th>Removed</th><th>Note</th></tr>\n"
            for terminal in file.terminals {
                html += "<tr><td>\(HTML.escape(terminal.terminalID))</td><td>\(HTML.time(terminal.installedAt))</td><td>\(terminal.removedAt.map { HTML.time($0) } ?? "in place")</td><td>\(HTML.escape(terminal.note ?? ""))</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += ticketTable("Maintenance", file.tickets.filter { $0.type == .maintenance })
        html += ticketTable("Inspections and self-testing", file.tickets.filter { $0.type == .inspection })
        html += ticketTable("Fault, connectivity and predictive tickets", file.tickets.filter { $0.type != .maintenance && $0.type != .inspection })
        html += eventTable("Faults", file.faults)
        html += eventTable("Maintenance visits", file.maintenanceVisits)
        if let counters = file.ingest {
            html += """
                <h3>Data received</h3><table><tr><th>Messages</th><th>Duplicates</th><th>Rejected</th><th>Gaps</th><th>Replayed</th><th>Lost</th></tr>
                <tr><td>\(counters.received)</td><td>\(counters.duplicates)</td><td>\(counters.rejected)</td><td>\(counters.gaps)</td><td>\(counters.replayed)</td><td>\(counters.lost)</td></tr></table>

                """
        }
        return html
    }

    private func ticketTable(_ title: String, _ tickets: [Ticket]) -> String {
        var html = "<h3>\(title)</h3>"
        guard !tickets.isEmpty else { return html + "<p class=\"muted\">None on record.</p>\n" }
        html += "<table><tr><th>Ticket</th><th>Type</th><th>Opened</th><th>Due</th><th>Status</th><th>Done</th><th>Contractor</th><th>Why</th></tr>\n"
        for t in tickets.suffix(500) {
            let flags = [t.overdue ? "overdue" : nil, t.repeat ? "repeat" : nil, t.callback ? "callback" : nil, t.unverified ? "unverified" : nil]
                .compactMap { $0 }.joined(separator: ", ")
            html += "<tr><td>\(t.id)</td><td>\(t.type.rawValue)\(t.level.map { " (\($0))" } ?? "")</td><td>\(HTML.time(t.openedAt))</td><td>\(HTML.time(t.dueAt))</td>"
            html += "<td>\(t.status.rawValue)\(flags.isEmpty ? "" : " <span class=\"forced\">\(flags)</span>")</td><td>\(HTML.time(t.closedAt ?? t.resolvedAt))</td>"
            html += "<td>\(HTML.escape(t.contractorID ?? "—"))</td><td>\(HTML.escape(t.reason))</td></tr>\n"
        }
        return html + "</table>\n"
    }

    private func eventTable(_ title: String, _ events: [ElevatorEvent]) -> String {
        var html = "<h3>\(title)</h3>"
        guard !events.isEmpty else { return html + "<p class=\"muted\">None on record.</p>\n" }
        html += "<table><tr><th>When</th><th>Code</th><th>State</th><th>Floor</th><th>Detail</th></tr>\n"
        for event in events.suffix(500) {
            html += "<tr><td>\(HTML.time(event.ts))</td><td>\(HTML.escape(event.fault?.rawValue ?? event.code))</td><td>\(event.state?.rawValue ?? "")</td>"
            html += "<td>\(event.floor.map(String.init) ?? "")</td><td>\(HTML.escape(event.detail ?? event.technician ?? ""))</td></tr>\n"
        }
        if events.count > 500 { html += "<tr><td colspan=\"5\" class=\"muted\">\(events.count - 500) earlier entries in the JSON dossier</td></tr>\n" }
        return html + "</table>\n"
    }

    struct History: Encodable {
        struct Series: Encodable { var label: String; var points: [[Double?]] }
        var labels: [String]
        var series: [Series]
    }

    /// The daily means of the health signals, for `dossier.js`.
    private func history(_ file: Dossier.ElevatorFile) -> History {
        let days = Set(file.healthHistory.values.flatMap { $0.map(\.start) }).sorted()
        let series = LiftDatabase.dossierMetrics.map { metric in
            let byDay = Dictionary((file.healthHistory[metric.name] ?? []).map { ($0.start, $0.mean) }, uniquingKeysWith: { a, _ in a })
            return History.Series(label: metric.name, points: [days.map { byDay[$0] }])
        }
        return History(labels: days.map { String(HTML.time($0).prefix(10)) }, series: series)
    }
}
