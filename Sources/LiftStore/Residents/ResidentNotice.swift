import GRDB
import LiftCore

/// What the public page of an elevator tells residents: who maintains it, its last maintenance, whether work on
/// it is open. Nothing about people beyond the companies' names.
public struct ResidentNotice: Sendable, Hashable {
    public struct Maintenance: Sendable, Hashable {
        /// When the visit was completed (resolved, else closed).
        public var doneAt: Int64
        /// TSG T5002 level (`half_month` …).
        public var level: String?
        /// Closed without evidence from the elevator (spec section 5).
        public var unverified: Bool
    }

    public var elevator: ElevatorRecord
    /// The unit's address as registered (untrusted text: escape it).
    public var address: String?
    /// The maintenance company's name, else its id; nil without a contractor.
    public var contractor: String?
    public var lastMaintenance: Maintenance?
    /// `repair` tickets not yet resolved (rescues, safety faults and the controller's mode show in its health).
    public var openRepairs: Int
    /// The due date of an inspection ticket still open, if any.
    public var openInspectionDue: Int64?
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
            // Completed as the scheduler counts it: resolved or closed, at the earlier of the two.
            let maintenance = try Row.fetchOne(db, sql: """
                SELECT coalesce(resolved_at, closed_at) AS done, level, unverified FROM tickets
                WHERE elevator_id = ? AND type = 'maintenance' AND status IN ('resolved', 'closed') ORDER BY done DESC LIMIT 1
                """, arguments: [elevatorID]).map { ResidentNotice.Maintenance(doneAt: $0["done"], level: $0["level"], unverified: $0["unverified"]) }
            let open = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM tickets WHERE elevator_id = ? AND type = 'repair' AND status IN ('open', 'acknowledged', 'on_site')
                """, arguments: [elevatorID]) ?? 0
            let inspection = try Int64.fetchOne(db, sql: """
                SELECT min(due_at) FROM tickets WHERE elevator_id = ? AND type = 'inspection' AND status IN ('open', 'acknowledged', 'on_site')
                """, arguments: [elevatorID])
            return ResidentNotice(
                elevator: elevator, address: address, contractor: contractor, lastMaintenance: maintenance, openRepairs: open, openInspectionDue: inspection)
        }
    }
}
