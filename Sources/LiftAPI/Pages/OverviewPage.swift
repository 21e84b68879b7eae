import Foundation
import LiftCore
import LiftStore

/// The regulator's overview: the one map (一张图) of building units, the section 7 figures with monthly trends,
/// hot spots, and the tickets overdue now.
struct OverviewPage {
    let context: APIContext
    let caller: Principal

    struct MapUnit: Encodable {
        var id: String, lat: Double, lon: Double, rating: String, stage: String, health: String?, elevator: String?, address: String
        /// The estate (小区): its name when known, else its id.
        var estate: String?
        /// The estate's id, which the estate filter matches on (names repeat across a city).
        var estateID: String?
        var households: Int?
        enum CodingKeys: String, CodingKey { case id, lat, lon, rating, stage, health, elevator, address, estate, estateID = "estate_id", households }
    }

    struct Month: Encodable { var label: String; var faults: Double?; var entrapments: Double?; var onTime: Double? }

    func render() throws -> String {
        let database = context.database
        let now = context.clock.now()
        let region = caller.scopePrefix
        let kpis = try database.kpis(KPIReport.Scope(region: region, from: now - 30 * 86_400_000, to: now), now: now, offlineThresholdMs: context.offlineThresholdMs)
        // Monthly trend: the last 12 calendar months (UTC+8), this one so far included.
        var months: [Month] = []
        var start = CivilDate(epochMs: now)
        start = CivilDate(year: start.year, month: start.month, day: 1)
        for back in (0..<12).reversed() {
            let from = start.adding(months: -back)
            let to = min(from.adding(months: 1).startEpochMs, now)
            let k = try database.kpis(KPIReport.Scope(region: region, from: from.startEpochMs, to: to), now: now)
            months.append(Month(label: "\(from.year)-\(from.month < 10 ? "0" : "")\(from.month)", faults: k.faultsPer100ElevatorMonths,
                                entrapments: k.entrapmentsPer100ElevatorMonths, onTime: k.maintenanceOnTimeRate.map { $0 * 100 }))
        }
        // The map: every unit in scope, with its elevator's stage and health.
        let units = try database.units(regionPrefix: region)
        var byUnit: [String: ElevatorRecord] = [:]
        for elevator in try database.elevators() where elevator.unitID != nil { byUnit[elevator.unitID!] = elevator }
        var mapUnits: [MapUnit] = []
        for unit in units {
            guard let lat = unit.lat, let lon = unit.lon else { continue }
            let elevator = byUnit[unit.unitID]
            let health = try elevator.flatMap { e -> String? in
                e.stage == LifecycleStage.inService.rawValue ? try context.health.health(of: e, now: now).state.rawValue : nil
            }
            mapUnits.append(MapUnit(
                id: unit.unitID, lat: lat, lon: lon, rating: unit.rating?.rawValue ?? "unrated", stage: unit.stage.rawValue, health: health,
                elevator: elevator?.elevatorID, address: unit.address, estate: unit.estateName ?? unit.estateID,
                estateID: unit.estateID ?? unit.estateName, households: unit.households))
        }
        let overdue = try database.tickets(TicketFilter(regionPrefix: region, statuses: [.open, .acknowledged, .onSite], limit: 100_000)).filter(\.overdue)
        let districts = (try? String(contentsOfFile: context.districtsPath, encoding: .utf8)) ?? "null"
        let scopeName = region.map { "region \($0)" } ?? "all regions"
        func figure(_ value: String, _ label: String) -> String { "<div class=\"figure\"><div class=\"v\">\(value)</div><div class=\"l\">\(label)</div></div>" }
        func ranked(_ title: String, _ list: [KPIReport.Ranked], link: Bool = false) -> String {
            let rows = list.prefix(5).map { item in
                "<tr><td>\(link ? "<a href=\"/elevators/\(HTML.escape(item.id))\">\(HTML.escape(item.id))</a>" : HTML.escape(item.id))</td><td>\(item.count)</td></tr>"
            }.joined()
            return "<h3 class=\"list\">\(title)</h3><table>\(rows.isEmpty ? "<tr><td class=\"muted\">none</td></tr>" : rows)</table>"
        }
        let overdueRows = overdue.sorted { ($0.dueAt ?? 0) < ($1.dueAt ?? 0) }.prefix(50).map { t in
            "<tr><td>\(t.id)</td><td>\(t.type.rawValue)</td><td><a href=\"/elevators/\(HTML.escape(t.elevatorID))\">\(HTML.escape(t.elevatorID))</a></td><td>\(HTML.escape(t.contractorID ?? "—"))</td><td>\(t.breaches.joined(separator: ", "))</td><td>\(HTML.time(t.openedAt))</td></tr>"
        }.joined()
        let body = """
            <h2 class="top">Overview · \(scopeName) · last 30 days</h2>
            <div class="figures">
            \(figure(String(kpis.elevatorsInService), "elevators in service"))
            \(figure(Layout.number(kpis.shareOnline.map { $0 * 100 }, digits: 0, suffix: " %"), "online now"))
            \(figure(Layout.number(kpis.faultsPer100ElevatorMonths), "faults / 100 elevators / month"))
            \(figure(Layout.number(kpis.entrapmentsPer100ElevatorMonths), "entrapments / 100 elevators / month (困人率)"))
            \(figure(Layout.minutes(kpis.rescueMeanSecondsToArrive), "rescue: mean time to arrive"))
            \(figure(Layout.number(kpis.rescueShareOnSiteWithin30Minutes.map { $0 * 100 }, digits: 0, suffix: " %"), "rescue on site ≤ 30 min"))
            \(figure(Layout.number(kpis.maintenanceOnTimeRate.map { $0 * 100 }, digits: 0, suffix: " %"), "maintenance on time"))
            \(figure(String(kpis.overdueTicketsNow), "tickets overdue now"))
            \(figure(String(kpis.unverifiedClosures), "unverified closures"))
            \(figure(String(kpis.inspectionsOverdue), "inspections overdue"))
            \(figure(Layout.number(kpis.faultsPer10000Trips), "faults / 10,000 trips"))
            \(figure(String(kpis.repeatFaultElevators), "repeat-fault elevators"))
            </div>
            <div class="grid wide-left spaced">
            <div class="card"><h2>一张图 · building units</h2>
            <p>Colour by:
            <label><input type="radio" name="colour" value="rating" checked> survey rating</label>
            <label><input type="radio" name="colour" value="stage"> programme stage</label>
            <label><input type="radio" name="colour" value="health"> health</label>
            <label>Estate (小区) <select id="estate"><option value="">all</option></select></label>
            <span id="legend" class="legend"></span></p>
            <div id="map"></div></div>
            <div class="card"><h2>Hot spots (30 days)</h2>
            \(ranked("Elevators by entrapments", kpis.topElevatorsByEntrapments, link: true))
            \(ranked("Elevators by faults", kpis.topElevatorsByFaults, link: true))
            \(ranked("Units by faults", kpis.topUnitsByFaults))
            \(ranked("Contractors by faults", kpis.topContractorsByFaults))
            </div></div>
            <div class="grid spaced">
            <div class="card"><h2>Faults and entrapments per 100 elevators per month</h2><div class="chart"><canvas id="rates"></canvas></div></div>
            <div class="card"><h2>Maintenance on time (%)</h2><div class="chart"><canvas id="ontime"></canvas></div></div>
            </div>
            <div class="card spaced"><h2>Tickets overdue now (\(overdue.count))</h2>
            <table><tr><th>Ticket</th><th>Type</th><th>Elevator</th><th>Contractor</th><th>Missed</th><th>Opened</th></tr>
            \(overdueRows.isEmpty ? "<tr><td colspan=\"6\" class=\"muted\">none</td></tr>" : overdueRows)</table></div>
            \(HTML.dataScript("lw-units", mapUnits))
            \(HTML.dataScript("lw-months", months))
            \(HTML.dataScript("lw-config", ["tile_url": context.mapTileURL]))
            \(HTML.rawDataScript("lw-districts", districts))
            """
        return Layout.page(
            title: "Overview", caller: caller,
            head: """
                <link rel="stylesheet" href="/assets/leaflet/leaflet.css">
                <script src="/assets/leaflet/leaflet.js" defer></script>
                <script src="/assets/chart.js/chart.min.js" defer></script>
                <script src="/assets/app/overview.js" defer></script>
                """,
            body: body)
    }
}
