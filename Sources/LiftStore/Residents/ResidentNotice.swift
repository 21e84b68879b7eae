import GRDB
import LiftCore

/// What the public page of an elevator tells residents: who maintains it, its last maintenance, whether work on
/// it is open. Nothing about people beyond the companies' names.
public struct ResidentNotice: Sendable, Hashable {
    public struct Maintenance: Sendable, Hashable {
        public var closedAt: Int64
        /// TSG T5002 level (`half_month` …).
        public var level: String?
    }

    public var elevator: ElevatorRecord
    /// The unit's address as registered (untrusted text: escape it).
    public var address: String?
    /// The maintenance company's name, else its id; nil without a contractor.
    public var contractor: String?
    public var lastMaintenance: Maintenance?
    /// Repair and rescue tickets not yet resolved.
    public var openRepairs: Int
}

extension LiftDatabase {
    /// The public notice of an elevator; nil when there is no such elevator.
    public func residentNotice(_ elevatorID: String) throws -> ResidentNotice? {
        guard let elevator = try elevator(elevatorID) else { return nil }
        return try read { db in
            let address = try elevator.unitID.flatMap { try String.fetchOne(db, sql: "SELECT address FROM units WHERE unit_id = ?", arguments: [$0]) }
            let contractor = try elevator.contractorID.map { id in
                try String.fetchOne(db, sql: "SELECT nullif(name, '') FROM contractors WHERE contractor_id = ?", arguments: [id]) ?? id
            }
            let maintenance = try Row.fetchOne(db, sql: """
                SELECT closed_at, level FROM tickets WHERE elevator_id = ? AND type = 'maintenance' AND status = 'closed'
                ORDER BY closed_at DESC LIMIT 1
                """, arguments: [elevatorID]).map { ResidentNotice.Maintenance(closedAt: $0["closed_at"], level: $0["level"]) }
            let open = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM tickets WHERE elevator_id = ? AND type IN ('rescue', 'safety_repair', 'repair', 'minor_repair')
                AND status IN ('open', 'acknowledged', 'on_site')
                """, arguments: [elevatorID]) ?? 0
            return ResidentNotice(elevator: elevator, address: address, contractor: contractor, lastMaintenance: maintenance, openRepairs: open)
        }
    }
}
