import GRDB
import LiftCore

extension LiftDatabase {
    /// Moves the lifecycle stage of an elevator, or of a unit (and its elevator, if it has one).
    ///
    /// - Parameters:
    ///   - id: an `elevator_id` or a `unit_id`; elevators are looked up first.
    ///   - forcedReason: an administrator's reason to force a move the lifecycle does not allow.
    /// - Returns: the moves recorded (empty when already at `stage`).
    /// - Throws: `RegistryError.notFound` for an unknown id, `.refused` for an impossible move or one the unit's
    ///   project steps do not allow yet (`ProgrammeGate`).
    @discardableResult
    public func moveStage(_ id: String, to stage: LifecycleStage, at now: Int64, by actor: String, forcedReason: String? = nil) throws -> [StageMove] {
        do {
            return try write { db in
                let elevator = try Row.fetchOne(db, sql: "SELECT elevator_id, unit_id, stage FROM elevators WHERE elevator_id = ?", arguments: [id])
                let unitRow = elevator == nil
                    ? try Row.fetchOne(db, sql: "SELECT unit_id, stage FROM units WHERE unit_id = ?", arguments: [id]) : nil
                guard elevator != nil || unitRow != nil else {
                    throw RegistryError(.notFound, "no elevator or unit \"\(id)\"")
                }
                var elevatorID: String? = elevator?["elevator_id"]
                let unitID: String? = elevator?["unit_id"] ?? unitRow?["unit_id"]
                if elevatorID == nil, let unitID {
                    elevatorID = try String.fetchOne(db, sql: "SELECT elevator_id FROM elevators WHERE unit_id = ? ORDER BY id LIMIT 1", arguments: [unitID])
                }
                let currentName: String = if let elevatorID, elevator == nil {
                    try String.fetchOne(db, sql: "SELECT stage FROM elevators WHERE elevator_id = ?", arguments: [elevatorID]) ?? "surveyed"
                } else {
                    elevator?["stage"] ?? unitRow!["stage"]
                }
                let current = LifecycleStage(rawValue: currentName) ?? .surveyed
                let moves: [StageMove]
                do { moves = try StageMachine().move(from: current, to: stage, forcedReason: forcedReason) } catch {
                    throw RegistryError(.refused, "\(id): \(error)")
                }
                if let refusal = try ProjectRecords.refusal(db, unitID: unitID, moves: moves) {
                    throw RegistryError(.refused, "\(id): \(refusal) (an administrator may force the move with a reason)")
                }
                if let refusal = try Self.serviceEntryRefusal(db, elevatorID: elevatorID, moves: moves) { throw RegistryError(.refused, refusal) }
                try Self.applyStageMoves(db, moves, unitID: unitID, elevatorID: elevatorID, at: now, by: actor)
                if !moves.isEmpty { try Self.bumpRegistryVersion(db) }
                return moves
            }
        } catch let error as RegistryError {
            throw error
        } catch {
            throw StoreError(operation: "move \(id) to \(stage.rawValue)", underlying: error)
        }
    }

    /// Writes `moves` to the elevator and its unit, with a dated stage change and an audit entry each.
    static func applyStageMoves(_ db: Database, _ moves: [StageMove], unitID: String?, elevatorID: String?, at now: Int64, by actor: String) throws {
        guard let last = moves.last else { return }
        if let elevatorID {
            try db.execute(sql: "UPDATE elevators SET stage = ?, updated_at = ? WHERE elevator_id = ?", arguments: [last.to.rawValue, now, elevatorID])
        }
        if let unitID {
            try db.execute(sql: "UPDATE units SET stage = ?, updated_at = ? WHERE unit_id = ?", arguments: [last.to.rawValue, now, unitID])
        }
        for move in moves {
            try recordStage(db, unitID: unitID, elevatorID: elevatorID, move: move, to: move.to, at: now, by: actor)
            try appendAudit(db, at: now, actor: actor, action: move.forced ? "stage.force" : "stage.move", subject: elevatorID ?? unitID ?? "", detail: [
                "from": move.from.rawValue, "to": move.to.rawValue, "reason": move.reason, "unit_id": unitID,
            ])
        }
    }

    static func recordStage(_ db: Database, unitID: String?, elevatorID: String?, move: StageMove?, to: LifecycleStage, at now: Int64, by actor: String) throws {
        try db.cachedStatement(sql: "INSERT INTO stage_changes(unit_id, elevator_id, from_stage, to_stage, at, actor, forced, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [unitID ?? "", elevatorID, move?.from.rawValue, to.rawValue, now, actor, move?.forced ?? false, move?.reason])
    }

    /// The dated stage changes of a unit or an elevator, oldest first.
    public func stageHistory(unitID: String? = nil, elevatorID: String? = nil) throws -> [StageChangeRecord] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM stage_changes WHERE (unit_id = ? AND ? IS NOT NULL) OR (elevator_id = ? AND ? IS NOT NULL) ORDER BY at, id",
                arguments: [unitID, unitID, elevatorID, elevatorID]
            ).map { row in
                StageChangeRecord(
                    unitID: row["unit_id"], elevatorID: row["elevator_id"], from: (row["from_stage"] as String?).flatMap(LifecycleStage.init(rawValue:)),
                    to: LifecycleStage(rawValue: row["to_stage"]) ?? .surveyed, at: row["at"], actor: row["actor"],
                    forced: row["forced"], reason: row["reason"])
            }
        }
    }
}
