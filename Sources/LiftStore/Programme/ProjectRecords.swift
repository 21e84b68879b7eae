import Crypto
import Foundation
import GRDB
import LiftCore

/// A document attached to a unit's project record: stored once by its SHA-256, listed in the dossier.
public struct ProjectDocument: Sendable, Hashable, Codable {
    public var id: Int64
    public var unitID: String
    public var stepID: Int64?
    public var sha256: String
    public var name: String
    public var mediaType: String
    public var size: Int
    public var attachedAt: Int64
    public var actor: String
}

/// The retrofit programme's record of each unit's elevator project (加装项目): dated steps with who recorded them,
/// their document numbers and attached files. Obtained from `LiftDatabase.projects`.
///
/// Steps are appended; the one change to a stored step is its `corrected_by`, set when a correction voids it (its
/// values stay as they were). Recording a step moves the unit's stage on as `ProgrammeGate` says, in the same
/// transaction. Files are PDF, JPEG or PNG (checked by their first bytes), at most `maximumDocumentBytes` each and
/// `maximumDocumentsPerUnit` per unit, stored content-addressed; each attachment is an audit entry carrying the
/// file's SHA-256, so the audit chain vouches for the bytes.
public struct ProjectRecords: Sendable {
    let database: LiftDatabase

    /// Largest file accepted.
    public static let maximumDocumentBytes = 10 * 1_048_576
    /// Most files one unit's record holds.
    public static let maximumDocumentsPerUnit = 200
    /// Most steps one unit's record holds.
    public static let maximumStepsPerUnit = 500

    /// Records a step; returns it with its id, and the stage moves it made.
    /// - Throws: `RegistryError` (`.notFound` unit, `.invalid` step, `.refused` past the bounds).
    @discardableResult
    public func record(_ step: ProjectStep, by actor: String, at now: Int64) throws -> (step: ProjectStep, moves: [StageMove]) {
        if let problem = step.problem(today: CivilDate(epochMs: now)) { throw RegistryError(.invalid, problem) }
        return try database.registryWrite("record a \(step.kind.rawValue) step of \(step.unitID)") { db in
            let result = try Self.insert(db, step, by: actor, at: now)
            if !result.moves.isEmpty { try LiftDatabase.bumpRegistryVersion(db) }
            return result
        }
    }

    /// Records many steps (a history kept elsewhere, `liftwatch import steps`), 500 per transaction, in the order
    /// given. A step already on record (the same in every field) is left as it is, so a file can be imported again;
    /// a bad step is reported with its line while the others go in.
    public func importSteps(_ steps: [(line: Int, step: ProjectStep)], by actor: String, at now: Int64, progress: ((Int, Int) -> Void)? = nil) throws -> ImportReport {
        var report = ImportReport()
        let today = CivilDate(epochMs: now)
        var done = 0
        for start in stride(from: 0, to: steps.count, by: 500) {
            let chunk = steps[start..<min(start + 500, steps.count)]
            try database.registryWrite("import \(chunk.count) project steps") { db in
                var moved = false
                for (line, step) in chunk {
                    report.rows += 1
                    if let problem = step.problem(today: today) {
                        report.errors.append(.init(line: line, reason: problem))
                        continue
                    }
                    let encoded = try Encoded(step)
                    let known = try Bool.fetchOne(db.cachedStatement(sql: """
                        SELECT EXISTS (SELECT 1 FROM project_steps INDEXED BY project_steps_unit WHERE unit_id = ? AND day = ? AND kind = ?
                            AND coalesce(number, '') = coalesce(?, '') AND coalesce(amount_fen, -1) = coalesce(?, -1)
                            AND coalesce(vote, '') = coalesce(?, '') AND coalesce(funding, '') = coalesce(?, '')
                            AND document_numbers = ? AND coalesce(note, '') = coalesce(?, '') AND coalesce(corrects, 0) = coalesce(?, 0))
                        """), arguments: [
                            step.unitID, step.date.startEpochMs, step.kind.rawValue, step.number, step.amountFen, encoded.vote,
                            encoded.funding, encoded.documentNumbers, step.note, step.corrects,
                        ]) ?? false
                    if known {
                        report.unchanged += 1
                        continue
                    }
                    do {
                        try db.inSavepoint {
                            moved = try !Self.insert(db, step, encoded: encoded, by: actor, at: now).moves.isEmpty || moved
                            return .commit
                        }
                        report.created += 1
                    } catch let error as RegistryError {
                        report.errors.append(.init(line: line, reason: error.message))
                    }
                }
                if moved { try LiftDatabase.bumpRegistryVersion(db) }
            }
            done += chunk.count
            progress?(done, steps.count)
        }
        return report
    }

    /// A step's JSON columns, encoded once for the duplicate check and the insert.
    struct Encoded {
        var vote: String?, funding: String?, documentNumbers: String
        init(_ step: ProjectStep) throws {
            vote = try ProjectRecords.json(step.vote)
            funding = try ProjectRecords.json(step.funding)
            documentNumbers = try ProjectRecords.json(step.documentNumbers) ?? "[]"
        }
    }

    /// Inserts a checked step with its audit entry (a correction also marks the step it voids), and moves the stage on.
    static func insert(
        _ db: Database, _ step: ProjectStep, encoded: Encoded? = nil, by actor: String, at now: Int64
    ) throws -> (step: ProjectStep, moves: [StageMove]) {
        let encoded = try encoded ?? Encoded(step)
        guard let unit = try LiftDatabase.unit(db, step.unitID) else { throw RegistryError(.notFound, "no unit \"\(step.unitID)\"") }
        let count = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM project_steps WHERE unit_id = ?"), arguments: [step.unitID]) ?? 0
        // A correction may always be recorded: each step is corrected at most once, so they are bounded too.
        guard count < maximumStepsPerUnit || step.kind == .correction else {
            throw RegistryError(.refused, "unit \(step.unitID) has \(count) steps on record, the most one unit keeps")
        }
        if let target = step.corrects {
            let row = try Row.fetchOne(db, sql: "SELECT unit_id, kind, corrected_by FROM project_steps WHERE id = ?", arguments: [target])
            guard let row, row["unit_id"] == step.unitID else { throw RegistryError(.notFound, "unit \(step.unitID) has no step \(target)") }
            guard row["kind"] != ProjectStepKind.correction.rawValue else { throw RegistryError(.refused, "step \(target) is a correction; it cannot be corrected") }
            if let by = row["corrected_by"] as Int64? { throw RegistryError(.refused, "step \(target) was corrected already, by step \(by)") }
        }
        var stored = step
        stored.recordedAt = now
        stored.actor = actor
        try db.cachedStatement(sql: """
            INSERT INTO project_steps(unit_id, place, kind, on_date, day, number, amount_fen, vote, funding, document_numbers, note, corrects, recorded_at, actor)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                step.unitID, unit.place, step.kind.rawValue, step.date.description, step.date.startEpochMs, step.number, step.amountFen,
                encoded.vote, encoded.funding, encoded.documentNumbers, step.note, step.corrects, now, actor,
            ])
        stored.id = db.lastInsertedRowID
        if let target = step.corrects {
            try db.execute(sql: "UPDATE project_steps SET corrected_by = ? WHERE id = ?", arguments: [stored.id, target])
        }
        var detail: [String: String?] = [
            "kind": step.kind.rawValue, "date": step.date.description, "number": step.number, "amount_fen": step.amountFen.map(String.init),
            "document_numbers": step.documentNumbers.isEmpty ? nil : step.documentNumbers.joined(separator: "; "), "step_id": String(stored.id),
            "corrects": step.corrects.map(String.init), "note": step.kind == .correction ? step.note : nil,
        ]
        if let vote = step.vote { detail["vote"] = "\(vote.passed ? "passed" : "not passed"): \(ProgrammeGate.describe(vote))" }
        if let funding = step.funding { detail["funding_fen"] = String(funding.totalFen) }
        try LiftDatabase.appendAudit(db, at: now, actor: actor, action: "project.step", subject: step.unitID, detail: detail)
        return (stored, try advance(db, unitID: step.unitID, at: now, by: actor))
    }

    static func json<T: Encodable>(_ value: T?) throws -> String? {
        guard let value else { return nil }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Moves the unit (and its elevator) on as far as its steps allow.
    static func advance(_ db: Database, unitID: String, at now: Int64, by actor: String) throws -> [StageMove] {
        let steps = try self.steps(db, unitID: unitID)
        let elevator = try Row.fetchOne(db.cachedStatement(sql: "SELECT elevator_id, stage FROM elevators WHERE unit_id = ? ORDER BY id LIMIT 1"), arguments: [unitID])
        let unitStage = try String.fetchOne(db.cachedStatement(sql: "SELECT stage FROM units WHERE unit_id = ?"), arguments: [unitID])
        guard var current = LifecycleStage(rawValue: elevator?["stage"] ?? unitStage ?? "") else { return [] }
        var moves: [StageMove] = []
        while let next = ProgrammeGate.advance(from: current, steps: steps) {
            moves.append(StageMove(from: current, to: next, forced: false, reason: nil))
            current = next
        }
        try LiftDatabase.applyStageMoves(db, moves, unitID: unitID, elevatorID: elevator?["elevator_id"], at: now, by: actor)
        return moves
    }

    /// A unit's steps, oldest first (by date, then as recorded).
    public func steps(unitID: String) throws -> [ProjectStep] {
        try database.read { db in try Self.steps(db, unitID: unitID) }
    }

    static func steps(_ db: Database, unitID: String) throws -> [ProjectStep] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM project_steps WHERE unit_id = ? ORDER BY day, id"), arguments: [unitID])
            .map(ProjectStep.init(row:))
    }

    /// Why the unit's steps do not allow `moves`, or nil (`ProgrammeGate`).
    static func refusal(_ db: Database, unitID: String?, moves: [StageMove]) throws -> String? {
        guard let unitID, moves.contains(where: { !$0.forced }) else { return nil }
        return ProgrammeGate.refusal(of: moves, steps: try steps(db, unitID: unitID))
    }

    /// Attaches a file to a unit's record (and to one of its steps).
    /// - Throws: `RegistryError` for an unknown unit or step, a file that is not PDF, JPEG or PNG, too large, or one
    ///   too many for the unit.
    @discardableResult
    public func attach(
        unitID: String, stepID: Int64?, name: String, mediaType: String, content: [UInt8], by actor: String, at now: Int64
    ) throws -> ProjectDocument {
        guard let detected = Self.mediaType(of: content) else {
            throw RegistryError(.invalid, "the file is not a PDF, JPEG or PNG (by its first bytes)")
        }
        guard detected == mediaType else { throw RegistryError(.invalid, "the file is \(detected), not \(mediaType) as declared") }
        guard content.count <= Self.maximumDocumentBytes else {
            throw RegistryError(.invalid, "the file has \(content.count) bytes; at most \(Self.maximumDocumentBytes)")
        }
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 120, !name.contains("/"), !name.contains("\\"),
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw RegistryError(.invalid, "name must be 1…120 characters without slashes or control characters") }
        let sha = SHA256.hash(data: content).hexString
        return try database.registryWrite("attach \(name) to \(unitID)") { db in
            guard try LiftDatabase.unit(db, unitID) != nil else { throw RegistryError(.notFound, "no unit \"\(unitID)\"") }
            if let stepID {
                guard try String.fetchOne(db, sql: "SELECT unit_id FROM project_steps WHERE id = ?", arguments: [stepID]) == unitID else {
                    throw RegistryError(.notFound, "unit \(unitID) has no step \(stepID)")
                }
            }
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM project_documents WHERE unit_id = ?", arguments: [unitID]) ?? 0
            guard count < Self.maximumDocumentsPerUnit else {
                throw RegistryError(.refused, "unit \(unitID) has \(count) files attached, the most one unit keeps")
            }
            try db.execute(
                sql: "INSERT OR IGNORE INTO documents(sha256, media_type, size, content, stored_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [sha, detected, content.count, Data(content), now])
            try db.execute(
                sql: "INSERT INTO project_documents(unit_id, step_id, sha256, name, attached_at, actor) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [unitID, stepID, sha, name, now, actor])
            let id = db.lastInsertedRowID
            try LiftDatabase.appendAudit(db, at: now, actor: actor, action: "project.document", subject: unitID, detail: [
                "sha256": sha, "name": name, "media_type": detected, "size": String(content.count), "step_id": stepID.map(String.init),
            ])
            return ProjectDocument(
                id: id, unitID: unitID, stepID: stepID, sha256: sha, name: name, mediaType: detected, size: content.count, attachedAt: now, actor: actor)
        }
    }

    /// The files attached to a unit's record, oldest first (without their bytes).
    public func documents(unitID: String) throws -> [ProjectDocument] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT p.*, d.media_type, d.size FROM project_documents p JOIN documents d ON d.sha256 = p.sha256
                WHERE p.unit_id = ? ORDER BY p.id
                """, arguments: [unitID]).map { row in
                ProjectDocument(
                    id: row["id"], unitID: row["unit_id"], stepID: row["step_id"], sha256: row["sha256"], name: row["name"],
                    mediaType: row["media_type"], size: row["size"], attachedAt: row["attached_at"], actor: row["actor"])
            }
        }
    }

    /// A stored file's bytes and type, and the units it is attached to (for scope checks); nil when unknown.
    public func file(sha256: String) throws -> (mediaType: String, content: [UInt8], unitIDs: [String])? {
        try database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT media_type, content FROM documents WHERE sha256 = ?", arguments: [sha256]) else { return nil }
            let units = try String.fetchAll(db, sql: "SELECT DISTINCT unit_id FROM project_documents WHERE sha256 = ?", arguments: [sha256])
            return (row["media_type"], [UInt8](row["content"] as Data), units)
        }
    }

    /// `application/pdf`, `image/jpeg` or `image/png` by the file's first bytes; nil for anything else.
    public static func mediaType(of content: [UInt8]) -> String? {
        if content.starts(with: Array("%PDF-".utf8)) { return "application/pdf" }
        if content.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if content.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        return nil
    }
}

extension LiftDatabase {
    /// The retrofit programme's project records.
    public var projects: ProjectRecords { ProjectRecords(database: self) }
}

extension ProjectStep {
    init(row: Row) {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        func decode<T: Decodable>(_ type: T.Type, _ text: String?) -> T? { text.flatMap { try? decoder.decode(T.self, from: Data($0.utf8)) } }
        self.init(
            id: row["id"], unitID: row["unit_id"], kind: ProjectStepKind(rawValue: row["kind"]) ?? .application,
            date: CivilDate(row["on_date"] as String) ?? CivilDate(year: 2000, month: 1, day: 1), number: row["number"], amountFen: row["amount_fen"],
            vote: decode(OwnersVote.self, row["vote"]), funding: decode(Funding.self, row["funding"]),
            documentNumbers: decode([String].self, row["document_numbers"]) ?? [], note: row["note"], corrects: row["corrects"],
            correctedBy: row["corrected_by"], recordedAt: row["recorded_at"], actor: row["actor"])
    }
}
