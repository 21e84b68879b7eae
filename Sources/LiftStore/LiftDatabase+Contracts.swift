import GRDB
import LiftCore

extension LiftDatabase {
    /// Hands an elevator's maintenance to `contractorID` from `from` on: the current contract ends there and a
    /// new one starts. Nil ends the current contract and leaves the elevator without a contractor.
    /// - Throws: `RegistryError.notFound` for an unknown elevator, `.invalid` for a malformed contractor id.
    public func assignContractor(_ contractorID: String?, to elevatorID: String, from: Int64, at now: Int64, by actor: String) throws {
        if let contractorID, !Identifier.isValidID(contractorID) {
            throw RegistryError(.invalid, "contractor_id \"\(contractorID)\" is not [A-Za-z0-9_-]{1,64}")
        }
        do {
            try write { db in
                guard let current = try Row.fetchOne(db, sql: "SELECT contractor_id FROM elevators WHERE elevator_id = ?", arguments: [elevatorID]) else {
                    throw RegistryError(.notFound, "no elevator \"\(elevatorID)\"")
                }
                let previous: String? = current["contractor_id"]
                if let contractorID {
                    try db.execute(sql: "INSERT OR IGNORE INTO contractors(contractor_id, created_at) VALUES (?, ?)", arguments: [contractorID, now])
                }
                try Self.assignContractor(db, contractorID, elevatorID: elevatorID, from: from, at: now, by: actor)
                try Self.appendAudit(db, at: now, actor: actor, action: "contract.assign", subject: elevatorID, detail: [
                    "from_contractor": previous, "to_contractor": contractorID, "effective": String(from),
                ])
                try Self.bumpRegistryVersion(db)
            }
        } catch let error as RegistryError {
            throw error
        } catch {
            throw StoreError(operation: "assign \(contractorID ?? "no contractor") to \(elevatorID)", underlying: error)
        }
    }

    /// Records the contract change; when it takes effect by `now`, the elevator's active tickets move to the new
    /// contractor with a step, and both contractors are told (v1.1 §11.5).
    static func assignContractor(_ db: Database, _ contractorID: String?, elevatorID: String, from: Int64, at now: Int64, by actor: String) throws {
        // A contract that would start after `from` was planned and is replaced by this one.
        try db.execute(sql: "DELETE FROM contracts WHERE elevator_id = ? AND starts_at >= ?", arguments: [elevatorID, from])
        try db.execute(
            sql: "UPDATE contracts SET ends_at = ? WHERE elevator_id = ? AND (ends_at IS NULL OR ends_at > ?)",
            arguments: [from, elevatorID, from])
        if let contractorID {
            try db.execute(
                sql: "INSERT INTO contracts(elevator_id, contractor_id, starts_at) VALUES (?, ?, ?)", arguments: [elevatorID, contractorID, from])
        }
        try db.execute(sql: "UPDATE elevators SET contractor_id = ? WHERE elevator_id = ?", arguments: [contractorID, elevatorID])
        if from <= now { try reassignActiveTickets(db, elevatorID: elevatorID, to: contractorID, at: now, by: actor) }
    }

    /// Moves an elevator's active tickets to `contractorID`: each change a step (`reassign`, who and why) and the
    /// messages to the new and the former contractor in the outbox, in the caller's transaction.
    static func reassignActiveTickets(_ db: Database, elevatorID: String, to contractorID: String?, at now: Int64, by actor: String) throws {
        var transaction = TicketTransaction(db: db)
        let machine = TicketMachine()
        for ticket in try transaction.activeTickets(elevatorID: elevatorID) {
            let outcome = machine.reassign(ticket, to: contractorID)
            guard outcome.changed else { continue }
            try transaction.update(
                outcome.ticket, from: ticket, step: "reassign", by: actor,
                note: "maintenance contract moved from \(ticket.contractorID ?? "no contractor") to \(contractorID ?? "no contractor")", at: now)
            try transaction.deliver(outcome.effects, of: outcome.ticket, at: now)
        }
    }

    /// The contract history of an elevator, oldest first.
    public func contracts(of elevatorID: String) throws -> [ContractRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM contracts WHERE elevator_id = ? ORDER BY starts_at", arguments: [elevatorID]).map {
                ContractRecord(elevatorID: $0["elevator_id"], contractorID: $0["contractor_id"], startsAt: $0["starts_at"], endsAt: $0["ends_at"])
            }
        }
    }

    /// The contractor who maintained the elevator at `time`: tickets go to the contractor of their time.
    public func contractor(of elevatorID: String, at time: Int64) throws -> String? {
        try read { db in try Self.contractor(db, of: elevatorID, at: time) }
    }

    static func contractor(_ db: Database, of elevatorID: String, at time: Int64) throws -> String? {
        try String.fetchOne(
            db.cachedStatement(sql: """
                SELECT contractor_id FROM contracts
                WHERE elevator_id = ? AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?)
                ORDER BY starts_at DESC LIMIT 1
                """),
            arguments: [elevatorID, time, time])
    }
}
