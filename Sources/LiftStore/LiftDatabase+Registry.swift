import GRDB
import LiftCore

extension LiftDatabase {
    /// Adds or updates an elevator. Its unit and contractor are created as bare entries when unknown.
    /// - Returns: the elevator's compact key.
    @discardableResult
    public func register(_ registration: ElevatorRegistration, at now: Int64) throws -> Int64 {
        guard Identifier.isValidID(registration.elevatorID) else {
            throw StoreError(operation: "register elevator", message: "elevator_id \"\(registration.elevatorID)\" is not [A-Za-z0-9_-]{1,64}")
        }
        guard Identifier.isValidRegion(registration.region) else {
            throw StoreError(operation: "register \(registration.elevatorID)", message: "region \"\(registration.region)\" is not 6 digits")
        }
        do {
            return try write { db in
                if let unit = registration.unitID {
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO units(unit_id, region, created_at, updated_at) VALUES (?, ?, ?, ?)",
                        arguments: [unit, registration.region, now, now])
                }
                if let contractor = registration.contractorID {
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO contractors(contractor_id, created_at) VALUES (?, ?)",
                        arguments: [contractor, now])
                }
                try db.execute(
                    sql: """
                        INSERT INTO elevators(elevator_id, unit_id, region, contractor_id, commissioned_on, stage, on_demand, platform, registered_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(elevator_id) DO UPDATE SET
                            unit_id = excluded.unit_id, region = excluded.region, contractor_id = excluded.contractor_id,
                            commissioned_on = excluded.commissioned_on, stage = excluded.stage,
                            on_demand = excluded.on_demand, platform = excluded.platform
                        """,
                    arguments: [
                        registration.elevatorID, registration.unitID, registration.region, registration.contractorID,
                        registration.commissionedOn, registration.stage, registration.onDemand, registration.platform, now,
                    ])
                return try Int64.fetchOne(db, sql: "SELECT id FROM elevators WHERE elevator_id = ?", arguments: [registration.elevatorID])!
            }
        } catch {
            throw StoreError(operation: "register \(registration.elevatorID)", underlying: error)
        }
    }

    /// One elevator, or nil when it is not registered.
    public func elevator(_ elevatorID: String) throws -> ElevatorRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM elevators WHERE elevator_id = ?", arguments: [elevatorID]).map(ElevatorRecord.init(row:))
        }
    }

    /// Every registered elevator, ordered by id.
    public func elevators() throws -> [ElevatorRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM elevators ORDER BY elevator_id").map(ElevatorRecord.init(row:))
        }
    }
}

extension ElevatorRecord {
    init(row: Row) {
        self.init(
            key: row["id"], elevatorID: row["elevator_id"], unitID: row["unit_id"], region: row["region"],
            contractorID: row["contractor_id"], commissionedOn: row["commissioned_on"], stage: row["stage"],
            onDemand: row["on_demand"], platform: row["platform"], registeredAt: row["registered_at"],
            online: row["online"], lastSeen: row["last_seen"], firmware: row["firmware"])
    }
}
