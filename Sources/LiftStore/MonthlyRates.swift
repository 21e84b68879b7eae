import GRDB
import LiftCore

/// One calendar month (Beijing time) of the overview's trend: the rates `kpis` gives for that month, as it gives
/// them, from two reads over the whole span instead of a full report per month.
public struct MonthlyRates: Sendable, Hashable, Codable {
    /// `YYYY-MM`.
    public var label: String
    public var from: Int64
    public var to: Int64
    public var faultsPer100ElevatorMonths: Double?
    public var entrapmentsPer100ElevatorMonths: Double?
    public var maintenanceOnTimeRate: Double?
}

extension LiftDatabase {
    /// The last `months` calendar months up to `now` (this one so far included) for a region prefix: faults and
    /// entrapments per 100 elevator-months and the maintenance on-time rate, defined as in `kpis`.
    public func monthlyRates(region: String?, months: Int, now: Int64) throws -> [MonthlyRates] {
        let first = CivilDate(epochMs: now)
        let thisMonth = CivilDate(year: first.year, month: first.month, day: 1)
        var result: [MonthlyRates] = (0..<months).reversed().map { back in
            let from = thisMonth.adding(months: -back)
            return MonthlyRates(
                label: "\(from.year)-\(from.month < 10 ? "0" : "")\(from.month)", from: from.startEpochMs, to: min(from.adding(months: 1).startEpochMs, now))
        }
        guard let start = result.first?.from else { return [] }
        func month(of ts: Int64) -> Int? { result.lastIndex { $0.from <= ts && ts < $0.to } }
        return try read { db in
            let prefix = region ?? ""
            let keys = try Int64.fetchAll(
                db, sql: "SELECT id FROM elevators WHERE \(PlaceFilter.clause("place")) AND stage = 'in_service'", arguments: PlaceFilter.arguments(prefix))
            let inService = Double(keys.count)
            var faults = Array(repeating: 0, count: result.count)
            var entrapments = faults
            // All elevators of the place, as `kpis` counts their faults (its elevators in scope, whatever their stage).
            // The class decided on arrival is stored; only events older than that are assessed again, as `kpis` does.
            let rows = try Row.fetchCursor(db, sql: """
                SELECT v.ts, v.fault_class, v.* FROM events v WHERE v.elevator IN (SELECT id FROM elevators WHERE \(PlaceFilter.clause("place")))
                  AND v.fault IS NOT NULL AND v.state = 'raised' AND v.ts >= ? AND v.ts < ?
                """, arguments: PlaceFilter.arguments(prefix) + [start, now])
            while let row = try rows.next() {
                // By position: a province's year holds tens of thousands.
                guard let index = month(of: row[0]) else { continue }
                faults[index] += 1
                let stored = (row[1] as String?).flatMap(FaultClass.init(rawValue:))
                // As `kpis` does, an event whose key cannot be read counts as a fault of no class.
                let faultClass = stored ?? {
                    let event = ElevatorEvent(row: row)
                    return event.fault.map { FaultAssessment.assess($0, event: event, arrivedAt: row["received_at"], latest: nil).faultClass }
                }()
                if faultClass == .rescue { entrapments[index] += 1 }
            }
            var due = Array(repeating: 0, count: result.count)
            var onTime = due
            let maintenance = try Row.fetchCursor(db, sql: """
                SELECT due_at, coalesce(resolved_at, closed_at) AS done FROM tickets
                WHERE \(PlaceFilter.clause("place")) AND type = 'maintenance' AND status != 'cancelled' AND due_at >= ? AND due_at < ?
                """, arguments: PlaceFilter.arguments(prefix) + [start, now])
            while let row = try maintenance.next() {
                let dueAt: Int64 = row[0]
                guard let index = month(of: dueAt) else { continue }
                due[index] += 1
                if let done: Int64 = row[1], done <= dueAt { onTime[index] += 1 }
            }
            for index in result.indices {
                let elevatorMonths = inService * Double(result[index].to - result[index].from) / (30.0 * 86_400_000)
                result[index].faultsPer100ElevatorMonths = elevatorMonths > 0 ? Double(faults[index]) / elevatorMonths * 100 : nil
                result[index].entrapmentsPer100ElevatorMonths = elevatorMonths > 0 ? Double(entrapments[index]) / elevatorMonths * 100 : nil
                result[index].maintenanceOnTimeRate = due[index] > 0 ? Double(onTime[index]) / Double(due[index]) : nil
            }
            return result
        }
    }
}
