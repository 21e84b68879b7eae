import GRDB
import LiftCore

extension LiftDatabase {
    /// Records a new controller or IoT terminal on an elevator, keeping the elevator's identity and history.
    ///
    /// The new terminal numbers its messages from the start again: its `seq` is stored offset past everything
    /// the elevator stored before, so nothing collides with the old terminal's messages and nothing new looks
    /// like a duplicate. Gaps still open from the old terminal can no longer be replayed and are recorded lost.
    /// - Throws: `RegistryError.notFound` for an unknown elevator, `.invalid` for a malformed terminal id.
    @discardableResult
    public func replaceTerminal(
        of elevatorID: String, with terminalID: String, at now: Int64, by actor: String, note: String? = nil
    ) throws -> TerminalRecord {
        guard Identifier.isValidID(terminalID) else {
            throw RegistryError(.invalid, "terminal id \"\(terminalID)\" is not [A-Za-z0-9_-]{1,64}")
        }
        do {
            return try write { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT id, terminal_id, seq_offset FROM elevators WHERE elevator_id = ?", arguments: [elevatorID])
                else { throw RegistryError(.notFound, "no elevator \"\(elevatorID)\"") }
                let key: Int64 = row["id"]
                let previousTerminal: String? = row["terminal_id"]
                let highest = try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT max(coalesce((SELECT high_seq FROM ingest_counters WHERE elevator = ?1), -1),
                                   coalesce((SELECT max(seq) FROM events WHERE elevator = ?1), -1),
                                   coalesce((SELECT max(seq) FROM stats WHERE elevator = ?1), -1),
                                   coalesce((SELECT max(to_seq) FROM seq_gaps WHERE elevator = ?1), -1),
                                   ?2 - 1)
                        """,
                    arguments: [key, row["seq_offset"] as Int64]) ?? -1
                let offset = highest + 1
                // Open gaps belong to the old terminal: give them up now.
                try db.execute(
                    sql: """
                        INSERT INTO lost_ranges(elevator, from_seq, to_seq, opened_at, lost_at, requests)
                        SELECT elevator, from_seq, to_seq, opened_at, ?, requests FROM seq_gaps WHERE elevator = ?
                        """,
                    arguments: [now, key])
                try db.execute(
                    sql: """
                        UPDATE ingest_counters SET high_seq = NULL,
                            lost = lost + coalesce((SELECT sum(to_seq - from_seq + 1) FROM seq_gaps WHERE elevator = ?1), 0)
                        WHERE elevator = ?1
                        """,
                    arguments: [key])
                try db.execute(sql: "DELETE FROM seq_gaps WHERE elevator = ?", arguments: [key])
                if previousTerminal == nil {
                    // The first terminal on record was there from registration on.
                    try db.execute(
                        sql: "INSERT INTO terminals(elevator_id, terminal_id, installed_at, removed_at, seq_offset, note) SELECT elevator_id, 'unrecorded', registered_at, ?, 0, 'terminal before the first replacement on record' FROM elevators WHERE id = ?",
                        arguments: [now, key])
                } else {
                    try db.execute(sql: "UPDATE terminals SET removed_at = ? WHERE elevator_id = ? AND removed_at IS NULL", arguments: [now, elevatorID])
                }
                try db.execute(
                    sql: "INSERT INTO terminals(elevator_id, terminal_id, installed_at, seq_offset, note) VALUES (?, ?, ?, ?, ?)",
                    arguments: [elevatorID, terminalID, now, offset, note])
                try db.execute(
                    sql: "UPDATE elevators SET terminal_id = ?, seq_offset = ?, updated_at = ? WHERE id = ?", arguments: [terminalID, offset, now, key])
                try Self.appendAudit(db, at: now, actor: actor, action: "terminal.replace", subject: elevatorID, detail: [
                    "from_terminal": previousTerminal, "to_terminal": terminalID, "seq_offset": String(offset), "note": note,
                ])
                try Self.bumpRegistryVersion(db)
                return TerminalRecord(elevatorID: elevatorID, terminalID: terminalID, installedAt: now, removedAt: nil, seqOffset: offset, note: note)
            }
        } catch let error as RegistryError {
            throw error
        } catch {
            throw StoreError(operation: "replace the terminal of \(elevatorID)", underlying: error)
        }
    }

    /// The terminals an elevator has had, oldest first.
    public func terminals(of elevatorID: String) throws -> [TerminalRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM terminals WHERE elevator_id = ? ORDER BY installed_at, id", arguments: [elevatorID]).map {
                TerminalRecord(
                    elevatorID: $0["elevator_id"], terminalID: $0["terminal_id"], installedAt: $0["installed_at"], removedAt: $0["removed_at"],
                    seqOffset: $0["seq_offset"], note: $0["note"])
            }
        }
    }
}
