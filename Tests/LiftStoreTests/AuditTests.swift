import Foundation
import GRDB
import LiftCore
import Testing
@testable import LiftStore

@Suite("Audit log: append-only and hash-chained")
struct AuditTests {
    /// A database with a few real changes in its audit log.
    func populated() throws -> (LiftDatabase, String) {
        let path = try temporaryPath("lw.sqlite")
        let database = try LiftDatabase(path: path)
        try database.upsertUnit(UnitRecord(unitID: "U1", region: "430102", rating: .suitable, stage: .registered), at: 1, by: "cli:alice")
        try database.register(ElevatorRegistration(elevatorID: "E1", unitID: "U1", region: "430102", contractorID: "C1", stage: "registered"), at: 2, by: "cli:alice")
        // Its property manager, written around the log: the entries below are the ones these tests count.
        try database.write { db in
            try db.execute(sql: "INSERT INTO property_managers(manager_id, name, safety_officer, updated_at) VALUES ('PM1', '物业', '王安全', 2)")
            try db.execute(sql: "UPDATE elevators SET property_manager_id = 'PM1' WHERE elevator_id = 'E1'")
        }
        try database.moveStage("E1", to: .inService, at: 3, by: "cli:bob")
        try database.assignContractor("C2", to: "E1", from: 4, at: 4, by: "cli:bob")
        try database.replaceTerminal(of: "E1", with: "T2", at: 5, by: "cli:tech")
        try database.audit(at: 6, actor: "liftwatch", action: "ticket.open", subject: "T-1")
        return (database, path)
    }

    /// Tampering as someone with the file would: through sqlite directly, triggers dropped.
    func tamper(_ path: String, _ sql: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete")
            try db.execute(sql: sql)
        }
        try queue.close()
    }

    @Test("every change is in the log, the chain verifies, and the log refuses updates and deletes")
    func intactChain() throws {
        let (database, _) = try populated()
        let entries = try database.auditEntries()
        #expect(entries.map(\.action) == ["unit.create", "elevator.register", "stage.move", "contract.assign", "terminal.replace", "ticket.open"])
        #expect(entries[0].prevHash == AuditEntry.genesisHash && entries[1].prevHash == entries[0].hash)
        let result = try database.verifyAudit()
        #expect(result.isIntact && result.entries == 6 && result.headHash == entries.last?.hash)
        #expect(throws: (any Error).self) { try database.write { db in try db.execute(sql: "UPDATE audit_log SET actor = 'x' WHERE seq = 2") } }
        #expect(throws: (any Error).self) { try database.write { db in try db.execute(sql: "DELETE FROM audit_log WHERE seq = 2") } }
    }

    @Test("an edited entry is named")
    func editedEntry() throws {
        let (database, path) = try populated()
        try database.close()
        try tamper(path, "UPDATE audit_log SET actor = 'cli:mallory' WHERE seq = 3")
        let result = try LiftDatabase(path: path).verifyAudit()
        #expect(result.problems.map(\.kind) == [.altered] && result.problems.map(\.seq) == [3])
    }

    @Test("an entry edited with its hash recomputed is still named, by the next entry's link")
    func rehashedEntry() throws {
        let (database, path) = try populated()
        let third = try database.auditEntries()[2]
        try database.close()
        let forged = AuditEntry.computeHash(at: third.at, actor: "cli:mallory", action: third.action, subject: third.subject, detail: third.detail, prevHash: third.prevHash)
        try tamper(path, "UPDATE audit_log SET actor = 'cli:mallory', hash = '\(forged)' WHERE seq = 3")
        let result = try LiftDatabase(path: path).verifyAudit()
        #expect(result.problems.map(\.kind) == [.altered] && result.problems.map(\.seq) == [3])
    }

    @Test("a deleted entry is named, also when the rest were renumbered")
    func deletedEntry() throws {
        let (database, path) = try populated()
        try database.close()
        try tamper(path, "DELETE FROM audit_log WHERE seq = 4")
        let result = try LiftDatabase(path: path).verifyAudit()
        #expect(result.problems.map(\.kind) == [.removed] && result.problems.map(\.seq) == [5])
        #expect(result.problems[0].message.contains("entries 4…4 are missing"))
    }

    @Test("an inserted entry is named")
    func insertedEntry() throws {
        let (database, path) = try populated()
        let entries = try database.auditEntries()
        try database.close()
        // A forged entry linked properly to entry 3, slipped in as seq 4 with the later ones moved up.
        let forged = AuditEntry.computeHash(at: 3, actor: "cli:mallory", action: "stage.force", subject: "E1", detail: "{}", prevHash: entries[2].hash)
        try tamper(path, """
            UPDATE audit_log SET seq = seq + 100 WHERE seq >= 4;
            UPDATE audit_log SET seq = seq - 99 WHERE seq >= 100;
            INSERT INTO audit_log(seq, at, actor, action, subject, detail, prev_hash, hash)
            VALUES (4, 3, 'cli:mallory', 'stage.force', 'E1', '{}', '\(entries[2].hash)', '\(forged)');
            """)
        let result = try LiftDatabase(path: path).verifyAudit()
        #expect(result.problems.map(\.kind) == [.inserted] && result.problems.map(\.seq) == [4])
        #expect(result.entries == 7)
    }
}
