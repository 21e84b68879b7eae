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
    }

    struct Month: Encodable { var label: String; var faults: Double?; var entrapments: Double?; var onTime: Double? }

    func render() throws -> String {
        let database = context.database
        let now = context.clock.now()
        let region = caller.role == .regulator ? caller.regionPrefix : nil
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
                e.stage == LifecycleStage.inService.rawValue ? try context.health.health(of: e, now: now, withTrends: false).state.rawValue : nil
            }
            mapUnits.append(MapUnit(
                id: unit.unitID, lat: lat, lon: lon, rating: unit.rating?.rawValue ?? "unrated", stage: unit.stage.rawValue, health: health,
                elevator: elevator?.elevatorID, address: unit.address))
        }
        let overdue = try database.tickets(TicketFilter(regionPrefix: region, statuses: [.open, .acknowledged, .onSite], limit: 100_000)).filter(\.overdue)
        let districts = (try? String(contentsOfFile: context.districtsPath, encoding: .utf8)) ?? "null"
        let scopeName = region.map { "region \($0)" } ?? "all regions"
        func figure(_ value: String, _ label: String) -> String { "<div class=\"figure\"><div class=\"v\">\(value)</div><div class=\"l\">\(label)</div></div>" }
        func ranked(_ title: String, _ list: [KPIReport.Ranked], link: Bool = false) -> String {
            let rows = list.prefix(5).map { item in
                "<tr><td>\(link ? "<a href=\"/elevators/\(HTML.escape(item.id))\">\(HTML.escape(item.id))</a>" : HTML.escape(item.id))</td><td>\(item.count)</td></tr>"
            }.joined()
            return "<h3 style=\"font-size:.9em;margin:.6em 0 .2em\">\(title)</h3><table>\(rows.isEmpty ? "<tr><td class=\"muted\">none</td></tr>" : rows)</table>"
        }
        let overdueRows = overdue.sorted { ($0.dueAt ?? 0) < ($1.dueAt ?? 0) }.prefix(50).map { t in
            "<tr><td>\(t.id)</td><td>\(t.type.rawValue)</td><td><a href=\"/elevators/\(HTML.escape(t.elevatorID))\">\(HTML.escape(t.elevatorID))</a></td><td>\(HTML.escape(t.contractorID ?? "—"))</td><td>\(t.breaches.joined(separator: ", "))</td><td>\(HTML.time(t.openedAt))</td></tr>"
        }.joined()
        let body = """
            <h2 style="margin-top:0">Overview · \(scopeName) · last 30 days</h2>
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
            <div class="grid" style="margin-top:1em;grid-template-columns:2fr 1fr">
            <div class="card"><h2>一张图 · building units</h2>
            <p>Colour by:
            <label><input type="radio" name="colour" value="rating" checked> survey rating</label>
            <label><input type="radio" name="colour" value="stage"> elevator stage</label>
            <label><input type="radio" name="colour" value="health"> health</label>
            <span id="legend" class="legend"></span></p>
            <div id="map"></div></div>
            <div class="card"><h2>Hot spots (30 days)</h2>
            \(ranked("Elevators by entrapments", kpis.topElevatorsByEntrapments, link: true))
            \(ranked("Elevators by faults", kpis.topElevatorsByFaults, link: true))
            \(ranked("Units by faults", kpis.topUnitsByFaults))
            \(ranked("Contractors by faults", kpis.topContractorsByFaults))
            </div></div>
            <div class="grid" style="margin-top:1em">
            <div class="card"><h2>Faults and entrapments per 100 elevators per month</h2><div class="chart"><canvas id="rates"></canvas></div></div>
            <div class="card"><h2>Maintenance on time (%)</h2><div class="chart"><canvas id="ontime"></canvas></div></div>
            </div>
            <div class="card" style="margin-top:1em"><h2>Tickets overdue now (\(overdue.count))</h2>
            <table><tr><th>Ticket</th><th>Type</th><th>Elevator</th><th>Contractor</th><th>Missed</th><th>Opened</th></tr>
            \(overdueRows.isEmpty ? "<tr><td colspan=\"6\" class=\"muted\">none</td></tr>" : overdueRows)</table></div>
            <script>
            var units = \(HTML.scriptJSON(mapUnits));
            var districts = \(districts.replacingOccurrences(of: "</", with: "<\\/"));
            var months = \(HTML.scriptJSON(months));
            var tileURL = \(HTML.scriptJSON(context.mapTileURL));
            var palettes = {
              rating: {suitable:'#2e7d32', difficult:'#f9a825', unsuitable:'#9e9e9e', unrated:'#bdbdbd'},
              stage: {surveyed:'#bdbdbd', approved:'#90caf9', under_construction:'#42a5f5', accepted:'#1e88e5', registered:'#3949ab', in_service:'#2e7d32', suspended:'#ef6c00', decommissioned:'#6d4c41'},
              health: {ok:'#2e7d32', watch:'#f9a825', degraded:'#ef6c00', out_of_service:'#c62828', offline:'#607d8b', none:'#d0d0d0'}
            };
            var map = L.map('map', {preferCanvas: true, attributionControl: false});
            // The view first: a canvas renderer cannot draw layers on a map that has none yet.
            var bounds = units.length ? L.latLngBounds(units.map(function (u) { return [u.lat, u.lon]; })) : null;
            if (bounds) { map.fitBounds(bounds.pad(0.05)); } else { map.setView([28.2, 112.97], 10); }
            if (tileURL) { L.tileLayer(tileURL, {maxZoom: 19}).addTo(map); }
            if (districts) {
              var outlines = L.geoJSON(districts, {style: {color: '#1f3a5f', weight: 1.2, fillColor: '#ffffff', fillOpacity: 0.55},
                onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name + ' ' + f.properties.region, {sticky: true}); }}).addTo(map);
            }
            var markers = units.map(function (u) {
              var m = L.circleMarker([u.lat, u.lon], {radius: 3.5, weight: 0.5, color: '#333', fillOpacity: 0.9});
              m.bindPopup('<b>' + u.id + '</b><br>' + u.address + '<br>rating: ' + u.rating + '<br>stage: ' + u.stage +
                (u.elevator ? '<br><a href="/elevators/' + encodeURIComponent(u.elevator) + '">' + u.elevator + '</a> · ' + (u.health || '—') : ''));
              return m.addTo(map);
            });
            function colour(by) {
              var palette = palettes[by];
              markers.forEach(function (m, i) { var key = by === 'health' ? (units[i].health || 'none') : units[i][by]; m.setStyle({fillColor: palette[key] || '#999'}); });
              document.getElementById('legend').innerHTML = Object.keys(palette).map(function (k) { return '<span style="background:' + palette[k] + '"></span>' + k.replace(/_/g, ' '); }).join('');
            }
            document.querySelectorAll('input[name=colour]').forEach(function (r) { r.addEventListener('change', function () { colour(r.value); }); });
            colour('rating');
            var labels = months.map(function (m) { return m.label; });
            new Chart(document.getElementById('rates'), {type: 'line', data: {labels: labels, datasets: [
              {label: 'faults', data: months.map(function (m) { return m.faults; }), borderColor: '#1f77b4', backgroundColor: '#1f77b4', spanGaps: true},
              {label: 'entrapments', data: months.map(function (m) { return m.entrapments; }), borderColor: '#c62828', backgroundColor: '#c62828', spanGaps: true}]},
              options: {animation: false, maintainAspectRatio: false, scales: {y: {beginAtZero: true}}}});
            new Chart(document.getElementById('ontime'), {type: 'bar', data: {labels: labels, datasets: [
              {label: 'on time %', data: months.map(function (m) { return m.onTime; }), backgroundColor: '#2e7d32'}]},
              options: {animation: false, maintainAspectRatio: false, scales: {y: {beginAtZero: true, max: 100}}}});
            </script>
            """
        return Layout.page(
            title: "Overview", caller: caller,
            head: """
                <link rel="stylesheet" href="/assets/leaflet/leaflet.css">
                <script src="/assets/leaflet/leaflet.js"></script>
                <script src="/assets/chart.js/chart.min.js"></script>
                """,
            body: body)
    }
}
