import GRDB
import LiftCore

/// What `HealthModel` reads of many elevators, read at once: for the views that show the health of a whole
/// region (the map), where one read per elevator would take seconds.
public struct HealthInputs: Sendable {
    /// The controller's latest service mode, per elevator id.
    public var modes: [String: String]
    public var activeTickets: [String: [Ticket]]
    public var trends: [String: [TrendFinding]]
}

extension LiftDatabase {
    /// The health inputs of `elevators`, in one read transaction.
    public func healthInputs(of elevators: [ElevatorRecord]) throws -> HealthInputs {
        try read { db in
            let wanted = Set(elevators.map(\.elevatorID))
            var modes: [String: String] = [:]
            let mode = try db.cachedStatement(sql: "SELECT mode FROM telemetry WHERE elevator = ? AND mode IS NOT NULL ORDER BY ts DESC LIMIT 1")
            for elevator in elevators {
                if let value = try String.fetchOne(mode, arguments: [elevator.key]) { modes[elevator.elevatorID] = value }
            }
            var active: [String: [Ticket]] = [:]
            try InList.batches(elevators.map(\.elevatorID)) { marks, ids in
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT * FROM tickets WHERE elevator_id IN (\(marks)) AND status IN ('open', 'acknowledged', 'on_site') ORDER BY id",
                    arguments: ids)
                while let row = try rows.next() {
                    let ticket = Ticket(row: row)
                    active[ticket.elevatorID, default: []].append(ticket)
                }
            }
            var trends: [String: [TrendFinding]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM health_trends ORDER BY elevator_id, signal") {
                let id: String = row["elevator_id"]
                guard wanted.contains(id), let signal = TrendSignal(rawValue: row["signal"]) else { continue }
                trends[id, default: []].append(TrendFinding(signal: signal, recent: row["recent"], baseline: row["baseline"], description: row["description"]))
            }
            return HealthInputs(modes: modes, activeTickets: active, trends: trends)
        }
    }
}
