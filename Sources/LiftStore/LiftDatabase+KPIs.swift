import Foundation
import GRDB
import LiftCore

extension LiftDatabase {
    /// Computes the section 7 figures for a region prefix or a contractor over `[from, to)`, as of `now`.
    ///
    /// Elevators in scope: `in_service` elevators of the region (and, with a contractor, currently maintained by it).
    /// Faults are raised fault events (the alarm button included) with `ts` in the window, each of the class decided
    /// when it arrived; tickets are those of the region (and contractor) opened in the window. Definitions:
    /// docs/kpis.md.
    public func kpis(_ scope: KPIReport.Scope, now: Int64, offlineThresholdMs: Int64 = 300_000, top: Int = 10) throws -> KPIReport {
        try read { db in
            // Elevators in scope, as a temporary list every query joins.
            var scopeSQL = "SELECT id, elevator_id, unit_id, contractor_id, stage, online, last_seen, status_at FROM elevators WHERE \(PlaceFilter.clause("place"))"
            var scopeArgs = PlaceFilter.arguments(scope.region ?? "")
            if let contractor = scope.contractor {
                scopeSQL += " AND contractor_id = ?"
                scopeArgs += [contractor]
            }
            let elevators = try Row.fetchAll(db, sql: scopeSQL, arguments: scopeArgs)
            // Columns by position (id, elevator_id, unit_id, contractor_id, stage, online, last_seen, status_at): a province has thousands.
            let inService = elevators.filter { ($0[4] as String) == LifecycleStage.inService.rawValue }
            // An open safety repair puts an elevator out of service until it is resolved (spec section 5).
            let safetyStopped = Set(try String.fetchAll(db, sql: """
                SELECT DISTINCT elevator_id FROM tickets WHERE type = 'safety_repair' AND status IN ('open', 'acknowledged', 'on_site')
                  AND \(PlaceFilter.clause("place"))
                """, arguments: PlaceFilter.arguments(scope.region ?? "")))
            let outOfServiceForSafety = inService.filter { safetyStopped.contains($0[1] as String) }.count
            let online = inService.filter {
                Connectivity.isOnline(lastSeen: $0[6], statusOnline: $0[5], statusAt: $0[7], now: now, thresholdMs: offlineThresholdMs)
            }
            let keys = elevators.map { $0[0] as Int64 }
            let unitOf = Dictionary(elevators.map { ($0[1] as String, $0[2] as String?) }, uniquingKeysWith: { a, _ in a })
            let months = Double(scope.to - scope.from) / (30.0 * 86_400_000)
            let elevatorMonths = Double(inService.count) * months
            func per100(_ n: Int) -> Double? { elevatorMonths > 0 ? Double(n) / elevatorMonths * 100 : nil }
            func list(_ values: [Int64]) -> String { values.isEmpty ? "NULL" : values.map(String.init).joined(separator: ",") }

            // Faults raised in the window.
            let faultRows = try Row.fetchAll(db, sql: """
                SELECT e.elevator_id, v.fault_class, v.* FROM events v JOIN elevators e ON e.id = v.elevator
                WHERE v.elevator IN (\(list(keys))) AND v.fault IS NOT NULL AND v.state = 'raised' AND v.ts >= ? AND v.ts < ?
                """, arguments: [scope.from, scope.to])
            var byClass: [String: Int] = [:]
            var faultsByElevator: [String: Int] = [:]
            var entrapmentsByElevator: [String: Int] = [:]
            for row in faultRows {
                let elevator: String = row[0]
                // The class decided on arrival (from the event and the car's latest telemetry); for events stored
                // before classes were kept, what the event itself says. Read by position: a province has thousands.
                let stored = (row[1] as String?).flatMap(FaultClass.init(rawValue:))
                let faultClass: FaultClass
                if let stored {
                    faultClass = stored
                } else {
                    let event = ElevatorEvent(row: row)
                    guard let fault = event.fault else { continue }
                    faultClass = FaultAssessment.assess(fault, event: event, arrivedAt: row["received_at"], latest: nil).faultClass
                }
                byClass[faultClass.rawValue, default: 0] += 1
                faultsByElevator[elevator, default: 0] += 1
                // 困人率: every fault that trapped people, whatever its key (an occupied car without power included).
                if faultClass == .rescue { entrapmentsByElevator[elevator, default: 0] += 1 }
            }
            let faults = faultRows.count
            let entrapments = entrapmentsByElevator.values.reduce(0, +)

            // Tickets of the region, and of the contractor they belong to when one is asked for: a regulator asking for a
            // contractor gets that contractor's tickets inside its own region only.
            // Place prefixes are digits only (checked by every caller): safe inside the statement.
            let prefix = String((scope.region ?? "").filter(\.isASCII).filter(\.isNumber))
            func scopeClause(_ table: String) -> String {
                var clause = "\(table)place >= '\(prefix)' AND \(table)place < '\(prefix)~'"
                if let contractor = scope.contractor { clause += " AND \(table)contractor_id = '\(contractor.replacingOccurrences(of: "'", with: "''"))'" }
                return clause
            }
            let ticketScope = scopeClause("")
            let allRescue = try Row.fetchAll(db, sql: """
                SELECT opened_at, acknowledged_at, on_site_at, resolved_at, status, rescue FROM tickets
                WHERE \(ticketScope) AND type = 'rescue' AND opened_at >= ? AND opened_at < ?
                """, arguments: [scope.from, scope.to])
            let rescue = allRescue
            let cancelledRescues = allRescue.filter { ($0["status"] as String) == "cancelled" }.count
            func mean(_ values: [Int64]) -> Double? { values.isEmpty ? nil : Double(values.reduce(0, +)) / Double(values.count) / 1000 }
            let ack = rescue.compactMap { r in (r["acknowledged_at"] as Int64?).map { $0 - (r["opened_at"] as Int64) } }
            let arrive = rescue.compactMap { r in (r["on_site_at"] as Int64?).map { $0 - (r["opened_at"] as Int64) } }
            let resolve = rescue.compactMap { r in (r["resolved_at"] as Int64?).map { $0 - (r["opened_at"] as Int64) } }
            let counted = rescue.filter { ($0["status"] as String) != "cancelled" }
            let dispatch = RescueFigures(rescue.map { r in
                RescueFigures.Rescue(
                    openedAt: r["opened_at"], acknowledgedAt: r["acknowledged_at"], resolvedAt: r["resolved_at"],
                    status: TicketStatus(rawValue: r["status"]) ?? .open,
                    record: RescueRecord(stored: r["rescue"]))
            })
            let within30 = counted.filter { r in (r["on_site_at"] as Int64?).map { $0 - (r["opened_at"] as Int64) <= 1_800_000 } ?? false }

            let maintenance = try Row.fetchAll(db, sql: """
                SELECT due_at, coalesce(resolved_at, closed_at) AS done FROM tickets
                WHERE \(ticketScope) AND type = 'maintenance' AND status != 'cancelled' AND due_at >= ? AND due_at < ?
                """, arguments: [scope.from, scope.to])
            let onTime = maintenance.filter { r in (r[1] as Int64?).map { $0 <= (r[0] as Int64) } ?? false }.count
            let records = try Row.fetchAll(db, sql: """
                SELECT r.flags, r.confirmed_at FROM maintenance_records r JOIN tickets t ON t.id = r.ticket_id
                WHERE \(scopeClause("t."))
                  AND r.check_in_at >= ? AND r.check_in_at < ?
                """, arguments: [scope.from, scope.to]).map { row in
                (flags: (try? JSONDecoder().decode([VisitFlag].self, from: Data((row[0] as String).utf8))) ?? [], confirmed: (row[1] as Int64?) != nil)
            }
            let count = { (sql: String, args: StatementArguments) in try Int.fetchOne(db, sql: sql, arguments: args) ?? 0 }
            let withoutRecord = try count("""
                SELECT count(*) FROM tickets t WHERE \(scopeClause("t.")) AND t.type = 'maintenance' AND t.resolved_at >= ? AND t.resolved_at < ?
                  AND NOT EXISTS (SELECT 1 FROM maintenance_records r WHERE r.ticket_id = t.id)
                """, [scope.from, scope.to])
            let overdueNow = try count("SELECT count(*) FROM tickets WHERE \(ticketScope) AND overdue = 1 AND status IN ('open', 'acknowledged', 'on_site')", [])
            let unverified = try count("SELECT count(*) FROM tickets WHERE \(ticketScope) AND type = 'maintenance' AND unverified = 1 AND closed_at >= ? AND closed_at < ?", [scope.from, scope.to])
            let repeatElevators = try count("SELECT count(DISTINCT elevator_id) FROM tickets WHERE \(ticketScope) AND repeat = 1 AND opened_at >= ? AND opened_at < ?", [scope.from, scope.to])
            let callbacks = try count("SELECT count(*) FROM tickets WHERE \(ticketScope) AND callback = 1 AND opened_at >= ? AND opened_at < ?", [scope.from, scope.to])
            let inspectionsOverdue = try count("SELECT count(*) FROM tickets WHERE \(ticketScope) AND type = 'inspection' AND level = 'periodic_inspection' AND status IN ('open', 'acknowledged', 'on_site') AND due_at < ?", [now])
            let selfTestsOverdue = try count("SELECT count(*) FROM tickets WHERE \(ticketScope) AND type = 'inspection' AND level = 'self_test' AND status IN ('open', 'acknowledged', 'on_site') AND due_at < ?", [now])

            // Trips: per elevator, the last counter in the window minus the last before it (a reset counts from zero).
            var trips = 0
            // Per elevator: its last counter before the window, then those inside it (two index seeks each).
            let before = try db.cachedStatement(sql: "SELECT trips FROM stats WHERE elevator = ? AND trips IS NOT NULL AND ts < ? ORDER BY ts DESC LIMIT 1")
            let inside = try db.cachedStatement(sql: "SELECT trips FROM stats WHERE elevator = ? AND trips IS NOT NULL AND ts >= ? AND ts < ? ORDER BY ts")
            for key in keys {
                var values = try Int64.fetchAll(inside, arguments: [key, scope.from, scope.to])
                guard !values.isEmpty else { continue }
                if let last = try Int64.fetchOne(before, arguments: [key, scope.from]) { values.insert(last, at: 0) }
                for (a, b) in zip(values, values.dropFirst()) { trips += Int(b >= a ? b - a : b) }
            }

            func ranked(_ counts: [String: Int]) -> [KPIReport.Ranked] {
                counts.filter { $0.value > 0 }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(top)
                    .map { KPIReport.Ranked(id: $0.key, count: $0.value) }
            }
            func group(_ counts: [String: Int], by key: (String) -> String?) -> [String: Int] {
                var out: [String: Int] = [:]
                for (elevator, n) in counts { if let k = key(elevator) { out[k, default: 0] += n } }
                return out
            }
            let contractorOf = Dictionary(elevators.map { ($0[1] as String, $0[3] as String?) }, uniquingKeysWith: { a, _ in a })
            return KPIReport(
                scope: scope, now: now, elevatorsInService: inService.count - outOfServiceForSafety,
                elevatorsOutOfServiceForSafety: outOfServiceForSafety,
                shareOnline: inService.isEmpty ? nil : Double(online.count) / Double(inService.count),
                elevatorMonths: elevatorMonths, faults: faults, faultsByClass: byClass, faultsPer100ElevatorMonths: per100(faults),
                faultsPer100ElevatorMonthsByClass: byClass.compactMapValues { per100($0) }, entrapments: entrapments,
                entrapmentsPer100ElevatorMonths: per100(entrapments), rescueTickets: rescue.count, rescueTicketsCancelled: cancelledRescues,
                rescueMeanSecondsToAcknowledge: mean(ack), rescueMeanSecondsToArrive: mean(arrive),
                rescueShareOnSiteWithin30Minutes: counted.isEmpty ? nil : Double(within30.count) / Double(counted.count),
                rescueMeanSecondsToResolve: mean(resolve), rescueDispatch: dispatch, maintenanceDue: maintenance.count, maintenanceOnTime: onTime,
                maintenanceOnTimeRate: maintenance.isEmpty ? nil : Double(onTime) / Double(maintenance.count), overdueTicketsNow: overdueNow,
                maintenanceRecords: MaintenanceRecordFigures(records, resolvedWithoutRecord: withoutRecord), unverifiedClosures: unverified, repeatFaultElevators: repeatElevators, callbacks: callbacks, inspectionsOverdue: inspectionsOverdue,
                selfTestsOverdue: selfTestsOverdue,
                trips: trips, faultsPer10000Trips: trips > 0 ? Double(faults) / Double(trips) * 10_000 : nil,
                topElevatorsByEntrapments: ranked(entrapmentsByElevator), topElevatorsByFaults: ranked(faultsByElevator),
                topUnitsByEntrapments: ranked(group(entrapmentsByElevator) { unitOf[$0] ?? nil }),
                topUnitsByFaults: ranked(group(faultsByElevator) { unitOf[$0] ?? nil }),
                topContractorsByEntrapments: ranked(group(entrapmentsByElevator) { contractorOf[$0] ?? nil }),
                topContractorsByFaults: ranked(group(faultsByElevator) { contractorOf[$0] ?? nil }))
        }
    }
}
