import Foundation
import GRDB
import LiftCore

/// A duty recorded done.
public struct DutyRecord: Sendable, Hashable, Codable {
    public var kind: ManagerDuty
    public var period: String
    /// Daily checks: the elevator checked; nil for the manager's weekly and monthly duties.
    public var elevatorID: String?
    public var doneAt: Int64
    public var actor: String
    public var note: String?

    enum CodingKeys: String, CodingKey { case kind, period, elevatorID = "elevator_id", doneAt = "done_at", actor, note }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(period, forKey: .period)
        try c.encode(elevatorID, forKey: .elevatorID)
        try c.encode(doneAt, forKey: .doneAt)
        try c.encode(actor, forKey: .actor)
        try c.encode(note, forKey: .note)
    }
}

/// A duty whose period ended without its record.
public struct MissedDuty: Sendable, Hashable, Codable {
    public var kind: ManagerDuty
    public var period: String
    public var elevatorID: String?
    /// When it was due: the end of its period.
    public var dueAt: Int64
    enum CodingKeys: String, CodingKey { case kind, period, elevatorID = "elevator_id", dueAt = "due_at" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(period, forKey: .period)
        try c.encode(elevatorID, forKey: .elevatorID)
        try c.encode(dueAt, forKey: .dueAt)
    }
}

/// One hazard of the register (隐患台账).
public struct HazardRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var managerID: String
    public var elevatorID: String
    public var foundAt: Int64
    public var description: String
    public var fixBy: Int64
    public var fixedAt: Int64?
    public var fixedNote: String?
    public var actor: String
    /// Past its fix-by date and not fixed (as of the read).
    public var overdue: Bool

    enum CodingKeys: String, CodingKey {
        case id, managerID = "manager_id", elevatorID = "elevator_id", foundAt = "found_at", description, fixBy = "fix_by", fixedAt = "fixed_at"
        case fixedNote = "fixed_note", actor, overdue
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(managerID, forKey: .managerID)
        try c.encode(elevatorID, forKey: .elevatorID)
        try c.encode(foundAt, forKey: .foundAt)
        try c.encode(description, forKey: .description)
        try c.encode(fixBy, forKey: .fixBy)
        try c.encode(fixedAt, forKey: .fixedAt)
        try c.encode(fixedNote, forKey: .fixedNote)
        try c.encode(actor, forKey: .actor)
        try c.encode(overdue, forKey: .overdue)
    }
}

/// How many records one property manager may hold open at once in the hazard register (a bound on what one
/// logged-in party can make the table grow by), and the longest note.
public enum DutyLimits {
    public static let openHazardsPerManager = 1_000
    /// Added in any 24 hours, fixed or not: the register and the audit log grow at most this fast per manager.
    public static let hazardsPerManagerDay = 200
    public static let textLength = 1_000
}

extension LiftDatabase {
    /// Records a duty done now, for the period containing `now` (a period that has ended stays missed).
    /// - Throws: `RegistryError.invalid` for an elevator that is not the manager's or a daily check without one,
    ///   `.refused` when the period's record exists already.
    public func recordDuty(
        _ kind: ManagerDuty, managerID: String, elevatorID: String?, note: String?, at now: Int64, by actor: String
    ) throws -> DutyRecord {
        if let note, note.count > DutyLimits.textLength { throw RegistryError(.invalid, "note: at most \(DutyLimits.textLength) characters") }
        if kind.perElevator, elevatorID == nil { throw RegistryError(.invalid, "elevator_id: a daily check is of one elevator") }
        if !kind.perElevator, elevatorID != nil { throw RegistryError(.invalid, "elevator_id: a \(kind.rawValue) covers all the manager's elevators") }
        let period = kind.period(containing: now)
        return try registryWrite("record \(kind.rawValue) of \(managerID)") { db in
            if let elevatorID {
                guard try String.fetchOne(db, sql: "SELECT property_manager_id FROM elevators WHERE elevator_id = ?", arguments: [elevatorID]) == managerID else {
                    throw RegistryError(.invalid, "elevator_id: \(elevatorID) is not managed by \(managerID)")
                }
            }
            try db.execute(
                sql: "INSERT OR IGNORE INTO manager_duties(manager_id, kind, period, elevator_id, done_at, actor, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [managerID, kind.rawValue, period.name, elevatorID ?? "", now, actor, note])
            guard db.changesCount == 1 else {
                throw RegistryError(.refused, "the \(kind.rawValue) of \(period.name)\(elevatorID.map { " for \($0)" } ?? "") is recorded already")
            }
            try Self.appendAudit(db, at: now, actor: actor, action: "duty.record", subject: "property_manager:\(managerID)", detail: [
                "kind": kind.rawValue, "period": period.name, "elevator_id": elevatorID, "note": note,
            ])
            return DutyRecord(kind: kind, period: period.name, elevatorID: elevatorID, doneAt: now, actor: actor, note: note)
        }
    }

    /// Duties recorded in `[from, to)` and those missed: periods that ended inside it without their record (daily
    /// checks for each elevator of the manager in service). With `placePrefix`, daily checks of elevators there only
    /// (a regulator's scope).
    public func duties(managerID: String, from: Int64, to: Int64, placePrefix: String = "") throws -> (done: [DutyRecord], missed: [MissedDuty]) {
        try read { db in
            let done = try Row.fetchAll(
                db, sql: """
                    SELECT * FROM manager_duties d WHERE manager_id = ? AND done_at >= ? AND done_at < ?
                      AND (elevator_id = '' OR EXISTS (SELECT 1 FROM elevators e WHERE e.elevator_id = d.elevator_id AND \(PlaceFilter.clause("e.place"))))
                    ORDER BY done_at
                    """,
                arguments: [managerID, from, to] + PlaceFilter.arguments(placePrefix)
            ).map { row in
                DutyRecord(
                    kind: ManagerDuty(rawValue: row["kind"]) ?? .dailyCheck, period: row["period"], elevatorID: (row["elevator_id"] as String).nilIfEmpty,
                    doneAt: row["done_at"], actor: row["actor"], note: row["note"])
            }
            let missed = try Self.missedDuties(db, managerIDs: [managerID], from: from, to: to, placePrefix: placePrefix)
            return (done, missed)
        }
    }

    /// Duties missed by the given managers over `[from, to)`.
    static func missedDuties(_ db: Database, managerIDs: [String], from: Int64, to: Int64, placePrefix: String = "") throws -> [MissedDuty] {
        var missed: [MissedDuty] = []
        for managerID in managerIDs {
            let recorded = Set(try Row.fetchAll(
                // A duty is recorded inside its period; a period ending in the window began at most 31 days before it.
                db, sql: "SELECT kind, period, elevator_id FROM manager_duties WHERE manager_id = ? AND done_at >= ? AND done_at < ?",
                arguments: [managerID, from - 32 * 86_400_000, to]
            ).map { "\($0[0] as String)|\($0[1] as String)|\($0[2] as String)" })
            // Each elevator owes its daily checks from the day it came to this manager; the manager its weekly and
            // monthly duties from its first elevator.
            let elevators = try Row.fetchAll(
                db, sql: """
                    SELECT elevator_id, coalesce(property_manager_since, 0) FROM elevators
                    WHERE property_manager_id = ? AND stage = 'in_service' AND \(PlaceFilter.clause("place")) ORDER BY elevator_id
                    """,
                arguments: [managerID] + PlaceFilter.arguments(placePrefix)
            ).map { (id: $0[0] as String, since: $0[1] as Int64) }
            guard let first = elevators.map(\.since).min() else { continue }
            for kind in ManagerDuty.allCases {
                let owing = kind.perElevator ? elevators : [(id: "", since: first)]
                for period in kind.periodsEnded(from: from, to: to) {
                    for elevator in owing where period.start >= elevator.since && !recorded.contains("\(kind.rawValue)|\(period.name)|\(elevator.id)") {
                        missed.append(MissedDuty(kind: kind, period: period.name, elevatorID: elevator.id.nilIfEmpty, dueAt: period.end))
                    }
                }
            }
        }
        return missed
    }

    /// Adds a hazard to the register of `managerID`'s elevator.
    /// - Throws: `RegistryError.invalid` for a bad field or an elevator not the manager's, `.refused` past
    ///   `DutyLimits.openHazardsPerManager` open hazards.
    public func addHazard(managerID: String, elevatorID: String, description: String, fixBy: Int64, at now: Int64, by actor: String) throws -> HazardRecord {
        let text = description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= DutyLimits.textLength else { throw RegistryError(.invalid, "description: 1 to \(DutyLimits.textLength) characters") }
        guard fixBy > now else { throw RegistryError(.invalid, "fix_by: must be after now") }
        return try registryWrite("add a hazard of \(elevatorID)") { db in
            guard try String.fetchOne(db, sql: "SELECT property_manager_id FROM elevators WHERE elevator_id = ?", arguments: [elevatorID]) == managerID else {
                throw RegistryError(.invalid, "elevator_id: \(elevatorID) is not managed by \(managerID)")
            }
            let open = try Int.fetchOne(db, sql: "SELECT count(*) FROM hazards WHERE manager_id = ? AND fixed_at IS NULL", arguments: [managerID]) ?? 0
            guard open < DutyLimits.openHazardsPerManager else {
                throw RegistryError(.refused, "\(managerID) has \(open) hazards open: fix some before adding more")
            }
            let today = try Int.fetchOne(db, sql: "SELECT count(*) FROM hazards WHERE manager_id = ? AND found_at > ?", arguments: [managerID, now - 86_400_000]) ?? 0
            guard today < DutyLimits.hazardsPerManagerDay else {
                throw RegistryError(.refused, "\(managerID) added \(today) hazards in the last 24 hours, the most a day")
            }
            try db.execute(
                sql: "INSERT INTO hazards(manager_id, elevator_id, found_at, description, fix_by, actor) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [managerID, elevatorID, now, text, fixBy, actor])
            let id = db.lastInsertedRowID
            try Self.appendAudit(db, at: now, actor: actor, action: "hazard.add", subject: "hazard:\(id)", detail: [
                "elevator_id": elevatorID, "description": text, "fix_by": String(fixBy),
            ])
            return HazardRecord(
                id: id, managerID: managerID, elevatorID: elevatorID, foundAt: now, description: text, fixBy: fixBy, actor: actor, overdue: false)
        }
    }

    /// Marks a hazard fixed.
    public func fixHazard(_ id: Int64, managerID: String, note: String?, at now: Int64, by actor: String) throws {
        if let note, note.count > DutyLimits.textLength { throw RegistryError(.invalid, "note: at most \(DutyLimits.textLength) characters") }
        try registryWrite("fix hazard \(id)") { db in
            try db.execute(
                sql: "UPDATE hazards SET fixed_at = ?, fixed_note = ? WHERE id = ? AND manager_id = ? AND fixed_at IS NULL", arguments: [now, note, id, managerID])
            guard db.changesCount == 1 else { throw RegistryError(.notFound, "no open hazard \(id) of \(managerID)") }
            try Self.appendAudit(db, at: now, actor: actor, action: "hazard.fix", subject: "hazard:\(id)", detail: ["note": note])
        }
    }

    /// The hazard register of a manager, newest first: `limit` hazards with ids below `before` (a page), of elevators
    /// at `placePrefix` (a regulator's scope), or the one hazard `id`.
    public func hazards(managerID: String, now: Int64, placePrefix: String = "", before: Int64 = .max, id: Int64? = nil, limit: Int = 500) throws -> [HazardRecord] {
        try read { db in
            var sql = """
                SELECT h.* FROM hazards h JOIN elevators e ON e.elevator_id = h.elevator_id
                WHERE h.manager_id = ? AND h.id < ? AND \(PlaceFilter.clause("e.place"))
                """
            var arguments: StatementArguments = [managerID, before] + PlaceFilter.arguments(placePrefix)
            if let id { sql += " AND h.id = ?"; arguments += [id] }
            return try Row.fetchAll(db, sql: sql + " ORDER BY h.id DESC LIMIT ?", arguments: arguments + [limit]).map { row in
                let fixedAt: Int64? = row["fixed_at"]
                let fixBy: Int64 = row["fix_by"]
                return HazardRecord(
                    id: row["id"], managerID: row["manager_id"], elevatorID: row["elevator_id"], foundAt: row["found_at"], description: row["description"],
                    fixBy: fixBy, fixedAt: fixedAt, fixedNote: row["fixed_note"], actor: row["actor"], overdue: fixedAt == nil && now > fixBy)
            }
        }
    }

    /// For the regulator: per property manager of elevators at `placePrefix`, the duties missed over `[from, to)`
    /// and the hazards past their fix-by date now.
    public func managerOversight(placePrefix: String, from: Int64, to: Int64, now: Int64) throws -> [(managerID: String, missed: Int, hazardsOverdue: Int)] {
        try read { db in
            let managers = try String.fetchAll(db, sql: """
                SELECT DISTINCT property_manager_id FROM elevators WHERE property_manager_id IS NOT NULL AND \(PlaceFilter.clause("place"))
                ORDER BY property_manager_id
                """, arguments: PlaceFilter.arguments(placePrefix))
            return try managers.map { manager in
                let missed = try Self.missedDuties(db, managerIDs: [manager], from: from, to: to, placePrefix: placePrefix).count
                let overdue = try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM hazards h JOIN elevators e ON e.elevator_id = h.elevator_id
                    WHERE h.manager_id = ? AND h.fixed_at IS NULL AND h.fix_by < ? AND \(PlaceFilter.clause("e.place"))
                    """, arguments: [manager, now] + PlaceFilter.arguments(placePrefix)) ?? 0
                return (manager, missed, overdue)
            }
        }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
