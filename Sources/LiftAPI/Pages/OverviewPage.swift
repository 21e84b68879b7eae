import Foundation
import LiftCore
import LiftStore

/// The regulator's overview: the one map (一张图) of building units, the section 7 figures with monthly trends,
/// hot spots, and the tickets overdue now. The map's units come from `/api/v1/map` by zoom: the page itself never
/// carries a row per unit.
struct OverviewPage {
    let context: APIContext
    let caller: Principal
    let t: Localizer
    /// A place to open the map on (`/?place=4301`), inside the caller's scope.
    var place: String? = nil

    struct Month: Encodable { var label: String; var faults: Double?; var entrapments: Double?; var onTime: Double? }
    struct Place: Encodable { var code: String; var name: String }
    struct MapConfig: Encodable { var tileURL: String; var region: String; var place: String? }

    func render() async throws -> String {
        let database = context.database
        let now = context.clock.now()
        let region = caller.scopePrefix
        let offline = context.offlineThresholdMs
        // The figures and the 12-month trend read at once, on two of the store's readers.
        async let report = database.kpis(KPIReport.Scope(region: region, from: now - 30 * 86_400_000, to: now), now: now, offlineThresholdMs: offline)
        // Monthly trend: the last 12 calendar months (Beijing time), this one so far included.
        async let rates = database.monthlyRates(region: region, months: 12, now: now)
        let kpis = try await report
        let months = try await rates.map { m in
            Month(label: m.label, faults: m.faultsPer100ElevatorMonths, entrapments: m.entrapmentsPer100ElevatorMonths, onTime: m.maintenanceOnTimeRate.map { $0 * 100 })
        }
        let places = try database.unitMap.places(under: region ?? "").map { Place(code: $0.code, name: $0.name) }
        let overdue = try database.overdueTickets(regionPrefix: region, limit: 50)
        let scopeName = try region.map { code in try database.unitMap.name(of: code) ?? code } ?? t("overview.all_regions")
        func figure(_ value: String, _ key: String) -> String { "<div class=\"figure\"><div class=\"v\">\(value)</div><div class=\"l\">\(t.html(key))</div></div>" }
        func ranked(_ key: String, _ list: [KPIReport.Ranked], link: Bool = false) -> String {
            let rows = list.prefix(5).map { item in
                "<tr><td>\(link ? "<a href=\"/elevators/\(HTML.escape(item.id))\">\(HTML.escape(item.id))</a>" : HTML.escape(item.id))</td><td class=\"num\">\(item.count)</td></tr>"
            }.joined()
            return "<h3 class=\"list\">\(t.html(key))</h3><table>\(rows.isEmpty ? "<tr><td class=\"muted\">\(t.html("common.none"))</td></tr>" : rows)</table>"
        }
        let overdueRows = overdue.map { ticket in
            "<tr><td>\(ticket.id)</td><td>\(HTML.escape(Layout.ticketType(ticket, t)))</td><td><a href=\"/elevators/\(HTML.escape(ticket.elevatorID))\">\(HTML.escape(ticket.elevatorID))</a></td><td>\(HTML.escape(ticket.contractorID ?? "—"))</td><td>\(HTML.escape(ticket.breaches.map { t.name("breach", $0) }.joined(separator: t("list.separator"))))</td><td>\(HTML.time(ticket.openedAt))</td></tr>"
        }.joined()
        func options(_ prefix: String, _ values: [String]) -> String {
            values.map { "<option value=\"\($0)\">\(t.html("\(prefix).\($0)"))</option>" }.joined()
        }
        let body = """
            <h2 class="top">\(t.html("overview.heading", ["scope": scopeName]))</h2>
            <div class="figures">
            \(figure(String(kpis.elevatorsInService), "kpi.in_service"))
            \(figure(Layout.number(kpis.shareOnline.map { $0 * 100 }, digits: 0, suffix: " %"), "kpi.online"))
            \(figure(Layout.number(kpis.faultsPer100ElevatorMonths), "kpi.fault_rate"))
            \(figure(Layout.number(kpis.entrapmentsPer100ElevatorMonths), "kpi.entrapment_rate"))
            \(figure(Layout.minutes(kpis.rescueMeanSecondsToArrive, t), "kpi.rescue_arrival"))
            \(figure(Layout.number(kpis.rescueShareOnSiteWithin30Minutes.map { $0 * 100 }, digits: 0, suffix: " %"), "kpi.rescue_on_site_rate"))
            \(figure(Layout.number(kpis.maintenanceOnTimeRate.map { $0 * 100 }, digits: 0, suffix: " %"), "kpi.maintenance_on_time"))
            \(figure(String(kpis.overdueTicketsNow), "kpi.overdue_now"))
            \(figure(String(kpis.unverifiedClosures), "kpi.unverified"))
            \(figure(String(kpis.inspectionsOverdue), "kpi.inspections_overdue"))
            \(figure(Layout.number(kpis.faultsPer10000Trips), "kpi.faults_per_trips"))
            \(figure(String(kpis.repeatFaultElevators), "kpi.repeat_elevators"))
            </div>
            <div class="grid wide-left spaced">
            <div class="card"><h2>\(t.html("overview.map"))</h2>
            <div class="controls map-controls">
            <label>\(t.html("map.colour_by")) <select id="colour"><option value="rating">\(t.html("map.by_rating"))</option><option value="stage">\(t.html("map.by_stage"))</option><option value="health">\(t.html("map.by_health"))</option></select></label>
            <label>\(t.html("map.place")) <select id="place"><option value="">\(t.html("map.all_places"))</option>\(places.filter { $0.code != region }.map { "<option value=\"\($0.code)\">\($0.code.count == 6 ? "　" : "")\(HTML.escape($0.name))</option>" }.joined())</select></label>
            <label>\(t.html("map.estate")) <select id="estate" disabled><option value="">\(t.html("map.all_estates"))</option></select></label>
            <label>\(t.html("map.rating")) <select id="f-rating"><option value="">\(t.html("map.any"))</option>\(options("rating", SurveyRating.allCases.map(\.rawValue)))</select></label>
            <label>\(t.html("map.stage")) <select id="f-stage"><option value="">\(t.html("map.any"))</option>\(options("stage", LifecycleStage.allCases.map(\.rawValue)))</select></label>
            <label>\(t.html("map.health")) <select id="f-health"><option value="">\(t.html("map.any"))</option>\(options("health", Health.State.allCases.map(\.rawValue)))</select></label>
            </div>
            <div id="map"></div>
            <p class="legend-row"><span id="legend" class="legend"></span> <span id="map-status" class="muted small"></span></p></div>
            <div class="card"><h2>\(t.html("overview.hot_spots"))</h2>
            \(ranked("hot.elevators_entrapments", kpis.topElevatorsByEntrapments, link: true))
            \(ranked("hot.elevators_faults", kpis.topElevatorsByFaults, link: true))
            \(ranked("hot.units_faults", kpis.topUnitsByFaults))
            \(ranked("hot.contractors_faults", kpis.topContractorsByFaults))
            </div></div>
            <div class="grid spaced">
            <div class="card"><h2>\(t.html("overview.chart_rates"))</h2><div class="chart"><canvas id="rates"></canvas></div></div>
            <div class="card"><h2>\(t.html("overview.chart_on_time"))</h2><div class="chart"><canvas id="ontime"></canvas></div></div>
            </div>
            <div class="card spaced"><h2>\(t.html("overview.overdue", ["n": String(kpis.overdueTicketsNow)]))</h2>
            <div class="scroll"><table><tr><th>\(t.html("ticket.id"))</th><th>\(t.html("ticket.type"))</th><th>\(t.html("ticket.elevator"))</th><th>\(t.html("ticket.contractor"))</th><th>\(t.html("ticket.missed"))</th><th>\(t.html("ticket.opened"))</th></tr>
            \(overdueRows.isEmpty ? "<tr><td colspan=\"6\" class=\"muted\">\(t.html("common.none"))</td></tr>" : overdueRows)</table></div></div>
            \(HTML.dataScript("lw-months", months))
            \(HTML.dataScript("lw-config", MapConfig(tileURL: context.mapTileURL, region: region ?? "", place: place.flatMap { code in places.contains { $0.code == code } ? code : nil })))
            """
        return Layout.page(
            title: t("overview.title"), caller: caller, t: t,
            head: """
                <link rel="stylesheet" href="/assets/leaflet/leaflet.css">
                <script src="/assets/leaflet/leaflet.js" defer></script>
                <script src="/assets/chart.js/chart.min.js" defer></script>
                <script src="/assets/app/overview.js" defer></script>
                """,
            body: body)
    }
}
