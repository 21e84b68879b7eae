import GRDB
import LiftCore

extension LiftDatabase {
    /// Adds or updates a building unit, recording what changed in the audit log.
    ///
    /// A different `stage` is applied as a stage move (forward along the path when `stageThroughPath`); a unit
    /// with an elevator moves its elevator too.
    /// - Throws: `RegistryError` for a malformed field or an impossible stage move.
    @discardableResult
    public func upsertUnit(_ unit: UnitRecord, at now: Int64, by actor: String, stageThroughPath: Bool = true) throws -> RegistryChange {
        try Self.validate(unit)
        return try registryWrite("save unit \(unit.unitID)") { db in
            let change = try Self.upsertUnit(db, unit, at: now, by: actor, stageThroughPath: stageThroughPath)
            if change != .unchanged { try Self.bumpRegistryVersion(db) }
            return change
        }
    }

    static func validate(_ unit: UnitRecord) throws(RegistryError) {
        guard Identifier.isValidID(unit.unitID) else {
            throw RegistryError(.invalid, "unit_id \"\(unit.unitID)\" is not [A-Za-z0-9_-]{1,64}")
        }
        guard Identifier.isValidRegion(unit.region) else {
            throw RegistryError(.invalid, "region \"\(unit.region)\" is not 6 digits")
        }
        if let lat = unit.lat, !(-90...90).contains(lat) { throw RegistryError(.invalid, "lat \(lat) is outside -90…90") }
        if let lon = unit.lon, !(-180...180).contains(lon) { throw RegistryError(.invalid, "lon \(lon) is outside -180…180") }
        if (unit.lat == nil) != (unit.lon == nil) { throw RegistryError(.invalid, "lat and lon go together: give both or neither") }
        if let floors = unit.floors, !(1...60).contains(floors) { throw RegistryError(.invalid, "floors \(floors) is outside 1…60") }
    }

    static func upsertUnit(_ db: Database, _ unit: UnitRecord, at now: Int64, by actor: String, stageThroughPath: Bool) throws -> RegistryChange {
        guard let existing = try Row.fetchOne(db, sql: "SELECT * FROM units WHERE unit_id = ?", arguments: [unit.unitID]).map(UnitRecord.init(row:))
        else {
            try db.execute(
                sql: """
                    INSERT INTO units(unit_id, region, address, lat, lon, floors, rating, stage, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    unit.unitID, unit.region, unit.address, unit.lat, unit.lon, unit.floors, unit.rating?.rawValue,
                    unit.stage.rawValue, now, now,
                ])
            try recordStage(db, unitID: unit.unitID, elevatorID: nil, move: nil, to: unit.stage, at: now, by: actor)
            try appendAudit(db, at: now, actor: actor, action: "unit.create", subject: unit.unitID, detail: [
                "region": unit.region, "address": unit.address, "lat": unit.lat.map { "\($0)" }, "lon": unit.lon.map { "\($0)" },
                "floors": unit.floors.map(String.init), "rating": unit.rating?.rawValue, "stage": unit.stage.rawValue,
            ])
            return .created
        }
        var changes = FieldChanges()
        changes.note("region", existing.region, unit.region)
        changes.note("address", existing.address, unit.address)
        changes.note("lat", existing.lat.map { "\($0)" }, unit.lat.map { "\($0)" })
        changes.note("lon", existing.lon.map { "\($0)" }, unit.lon.map { "\($0)" })
        changes.note("floors", existing.floors.map(String.init), unit.floors.map(String.init))
        changes.note("rating", existing.rating?.rawValue, unit.rating?.rawValue)
        if !changes.isEmpty {
            try db.execute(
                sql: "UPDATE units SET region = ?, address = ?, lat = ?, lon = ?, floors = ?, rating = ?, updated_at = ? WHERE unit_id = ?",
                arguments: [unit.region, unit.address, unit.lat, unit.lon, unit.floors, unit.rating?.rawValue, now, unit.unitID])
        }
        if existing.stage != unit.stage {
            let moves: [StageMove]
            do { moves = try StageMachine().move(from: existing.stage, to: unit.stage, throughPath: stageThroughPath) } catch {
                throw RegistryError(.refused, "\(unit.unitID): \(error)")
            }
            let elevator = try String.fetchOne(db, sql: "SELECT elevator_id FROM elevators WHERE unit_id = ? ORDER BY id LIMIT 1", arguments: [unit.unitID])
            try applyStageMoves(db, moves, unitID: unit.unitID, elevatorID: elevator, at: now, by: actor)
            changes.note("stage", existing.stage.rawValue, unit.stage.rawValue)
        }
        guard !changes.isEmpty else { return .unchanged }
        try appendAudit(db, at: now, actor: actor, action: "unit.update", subject: unit.unitID, detail: changes.detail)
        return .updated(changes.fields)
    }

    /// One unit, or nil when unknown.
    public func unit(_ unitID: String) throws -> UnitRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM units WHERE unit_id = ?", arguments: [unitID]).map(UnitRecord.init(row:))
        }
    }

    /// Units filtered by region prefix, rating and stage, in `unit_id` order after `after`, at most `limit`.
    public func units(
        regionPrefix: String? = nil, rating: SurveyRating? = nil, stage: LifecycleStage? = nil, after: String? = nil, limit: Int = .max
    ) throws -> [UnitRecord] {
        try read { db in
            var sql = "SELECT * FROM units WHERE 1"
            var arguments = StatementArguments()
            if let regionPrefix {
                sql += " AND region LIKE ? || '%'"
                arguments += [regionPrefix]
            }
            if let rating {
                sql += " AND rating = ?"
                arguments += [rating.rawValue]
            }
            if let stage {
                sql += " AND stage = ?"
                arguments += [stage.rawValue]
            }
            if let after {
                sql += " AND unit_id > ?"
                arguments += [after]
            }
            sql += " ORDER BY unit_id LIMIT ?"
            arguments += [limit == .max ? -1 : limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(UnitRecord.init(row:))
        }
    }
}

extension UnitRecord {
    init(row: Row) {
        self.init(
            unitID: row["unit_id"], region: row["region"], address: row["address"], lat: row["lat"], lon: row["lon"],
            floors: row["floors"], rating: (row["rating"] as String?).flatMap(SurveyRating.init(rawValue:)),
            stage: LifecycleStage(rawValue: row["stage"]) ?? .surveyed, createdAt: row["created_at"], updatedAt: row["updated_at"])
    }
}
