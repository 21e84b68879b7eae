import Foundation
import GRDB
import LiftCore

extension LiftDatabase {
    /// Appends one entry to the audit chain inside the caller's write transaction.
    ///
    /// - Parameter detail: the change's details; written as a JSON object with sorted keys.
    @discardableResult
    static func appendAudit(
        _ db: Database, at: Int64, actor: String, action: String, subject: String, detail: [String: String?]
    ) throws -> AuditEntry {
        let json = JSONObjectWriter.sorted(detail.compactMapValues { $0 })
        let prev = try String.fetchOne(db.cachedStatement(sql: "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1")) ?? AuditEntry.genesisHash
        let hash = AuditEntry.computeHash(at: at, actor: actor, action: action, subject: subject, detail: json, prevHash: prev)
        try db.cachedStatement(sql: "INSERT INTO audit_log(at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [at, actor, action, subject, json, prev, hash])
        return AuditEntry(seq: db.lastInsertedRowID, at: at, actor: actor, action: action, subject: subject, detail: json, prevHash: prev, hash: hash)
    }

    /// Records a change made outside the registry's own operations (a ticket step, a token created).
    @discardableResult
    public func audit(at: Int64, actor: String, action: String, subject: String, detail: [String: String?] = [:]) throws -> AuditEntry {
        do {
            return try write { db in try Self.appendAudit(db, at: at, actor: actor, action: action, subject: subject, detail: detail) }
        } catch {
            throw StoreError(operation: "append to the audit log", underlying: error)
        }
    }

    /// Audit entries in order, optionally only those about `subject`, from `afterSeq` on, at most `limit`.
    public func auditEntries(subject: String? = nil, afterSeq: Int64 = 0, limit: Int = .max) throws -> [AuditEntry] {
        try read { db in
            var sql = "SELECT * FROM audit_log WHERE seq > ?"
            var arguments: StatementArguments = [afterSeq]
            if let subject {
                sql += " AND subject = ?"
                arguments += [subject]
            }
            sql += " ORDER BY seq LIMIT ?"
            arguments += [limit == .max ? -1 : limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(AuditEntry.init(row:))
        }
    }

    /// Checks the whole chain and names every entry that was altered, removed or inserted.
    public func verifyAudit() throws -> AuditVerification {
        AuditVerification.verify(try auditEntries())
    }
}

extension AuditEntry {
    init(row: Row) {
        self.init(
            seq: row["seq"], at: row["at"], actor: row["actor"], action: row["action"], subject: row["subject"],
            detail: row["detail"], prevHash: row["prev_hash"], hash: row["hash"])
    }
}
