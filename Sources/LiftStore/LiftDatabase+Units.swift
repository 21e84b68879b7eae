import GRDB
import LiftCore

extension LiftDatabase {
    /// Adds or updates a building unit, recording what changed in the audit log.
    ///
    /// A different `stage` is applied as a stage move (forward along the path when `stageThroughPath`); a unit
    /// with an elevator moves its elevator too. With `checkProgramme` the move must be allowed by the unit's project
    /// steps (`ProgrammeGate`); imports, which carry stages recorded elsewhere, do not check.
    /// - Throws: `RegistryError` for a malformed field or an impossible stage move.
    @discardableResult
    public func upsertUnit(
        _ unit: UnitRecord, at now: Int64, by actor: String, stageThroughPath: Bool = true, checkProgramme: Bool = false
    ) throws -> RegistryChange {
        try Self.validate(unit)
        return try registryWrite("save unit \(unit.unitID)") { db in
            let change = try Self.upsertUnit(db, unit, at: now, by: actor, stageThroughPath: stageThroughPath, checkProgramme: checkProgramme)
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
        if let area = unit.areaCode, !Identifier.isValidAreaCode(area, in: unit.region) {
            throw RegistryError(.invalid, "area_code \"\(area)\" is not a street (9 digits) or community (12) code starting with the region \(unit.region)")
        }
        if let estate = unit.estateID, !Identifier.isValidID(estate) { throw RegistryError(.invalid, "estate_id \"\(estate)\" is not [A-Za-z0-9_-]{1,64}") }
        for (name, value, limit) in [("estate_name", unit.estateName, 100), ("building", unit.building, 32), ("unit_no", unit.unitNumber, 32), ("address", unit.address, 300)] {
            if let value, value.count > limit { throw RegistryError(.invalid, "\(name) is longer than \(limit) characters") }
            if let value, value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                throw RegistryError(.invalid, "\(name) contains control characters")
            }
        }
        if let households = unit.households, !(0...10_000).contains(households) {
            throw RegistryError(.invalid, "households \(households) is outside 0…10000")
        }
    }

    /// The unit's fields other than its stage, as the audit log and change detection name them.
    static func fields(of unit: UnitRecord) -> [(String, String?)] {
        [
            ("region", unit.region), ("address", unit.address), ("lat", unit.lat.map { "\($0)" }), ("lon", unit.lon.map { "\($0)" }),
            ("floors", unit.floors.map(String.init)), ("rating", unit.rating?.rawValue), ("area_code", unit.areaCode),
            ("estate_id", unit.estateID), ("estate_name", unit.estateName), ("building", unit.building), ("unit_no", unit.unitNumber),
            ("households", unit.households.map(String.init)),
        ]
    }

    static func unitArguments(_ unit: UnitRecord) -> StatementArguments {
        [
            unit.region, unit.address, unit.lat, unit.lon, unit.floors, unit.rating?.rawValue, unit.areaCode, unit.estateID, unit.estateName,
            unit.building, unit.unitNumber, unit.households, unit.place,
        ]
    }

    /// Moves a unit's `place` to its elevators, their tickets and its project steps (scopes and reports match on it).
    static func propagatePlace(_ db: Database, unitID: String, place: String) throws {
        try db.execute(sql: "UPDATE elevators SET place = ? WHERE unit_id = ? AND place != ?", arguments: [place, unitID, place])
        try db.execute(sql: "UPDATE project_steps SET place = ? WHERE unit_id = ? AND place != ?", arguments: [place, unitID, place])
        try db.execute(sql: """
            UPDATE tickets SET place = ? WHERE place != ? AND elevator_id IN (SELECT elevator_id FROM elevators WHERE unit_id = ?)
            """, arguments: [place, place, unitID])
    }

    static func upsertUnit(
        _ db: Database, _ unit: UnitRecord, at now: Int64, by actor: String, stageThroughPath: Bool, checkProgramme: Bool = false
    ) throws -> RegistryChange {
        guard let existing = try Self.unit(db, unit.unitID) else {
            try db.cachedStatement(sql: """
                INSERT INTO units(region, address, lat, lon, floors, rating, area_code, estate_id, estate_name, building, unit_no,
                    households, place, unit_id, stage, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: unitArguments(unit) + [unit.unitID, unit.stage.rawValue, now, now])
            try recordStage(db, unitID: unit.unitID, elevatorID: nil, move: nil, to: unit.stage, at: now, by: actor)
            var detail = Dictionary(fields(of: unit).filter { $0.1 != nil }, uniquingKeysWith: { a, _ in a })
            detail["stage"] = unit.stage.rawValue
            try appendAudit(db, at: now, actor: actor, action: "unit.create", subject: unit.unitID, detail: detail)
            return .created
        }
        var changes = FieldChanges()
        for ((name, old), (_, new)) in zip(fields(of: existing), fields(of: unit)) { changes.note(name, old, new) }
        if !changes.isEmpty {
            try db.cachedStatement(sql: """
                UPDATE units SET region = ?, address = ?, lat = ?, lon = ?, floors = ?, rating = ?, area_code = ?, estate_id = ?,
                    estate_name = ?, building = ?, unit_no = ?, households = ?, place = ?, updated_at = ? WHERE unit_id = ?
                """).execute(arguments: unitArguments(unit) + [now, unit.unitID])
            if existing.place != unit.place { try propagatePlace(db, unitID: unit.unitID, place: unit.place) }
        }
        if existing.stage != unit.stage {
            let moves: [StageMove]
            do { moves = try StageMachine().move(from: existing.stage, to: unit.stage, throughPath: stageThroughPath) } catch {
                throw RegistryError(.refused, "\(unit.unitID): \(error)")
            }
            let elevator = try String.fetchOne(db, sql: "SELECT elevator_id FROM elevators WHERE unit_id = ? ORDER BY id LIMIT 1", arguments: [unit.unitID])
            if checkProgramme, let refusal = try ProjectRecords.refusal(db, unitID: unit.unitID, moves: moves) {
                throw RegistryError(.refused, "\(unit.unitID): \(refusal)")
            }
            try applyStageMoves(db, moves, unitID: unit.unitID, elevatorID: elevator, at: now, by: actor)
            changes.note("stage", existing.stage.rawValue, unit.stage.rawValue)
        }
        guard !changes.isEmpty else { return .unchanged }
        try appendAudit(db, at: now, actor: actor, action: "unit.update", subject: unit.unitID, detail: changes.detail)
        return .updated(changes.fields)
    }

    /// One unit, or nil when unknown.
    public func unit(_ unitID: String) throws -> UnitRecord? {
        try read { db in try Self.unit(db, unitID) }
    }

    static func unit(_ db: Database, _ unitID: String) throws -> UnitRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM units WHERE unit_id = ?"), arguments: [unitID]).map(UnitRecord.init(row:))
    }

    /// Units filtered by region prefix, rating and stage, in (`place`, `unit_id`) order after `after`, at most `limit`.
    public func units(
        regionPrefix: String? = nil, rating: SurveyRating? = nil, stage: LifecycleStage? = nil, after: UnitPosition? = nil, limit: Int = .max
    ) throws -> [UnitRecord] {
        try read { db in
            var sql = "SELECT * FROM units WHERE 1"
            var arguments = StatementArguments()
            if let after {
                // From where the last page ended: the lower bound is the cursor itself, so that each page is a seek.
                sql += " AND (place, unit_id) > (?, ?)"
                arguments += [after.place, after.unitID]
                if let regionPrefix {
                    sql += " AND place >= ? AND place < ? || '~'"
                    arguments += [max(regionPrefix, after.place), regionPrefix]
                }
            } else if let regionPrefix {
                sql += " AND \(PlaceFilter.clause("place"))"
                arguments += PlaceFilter.arguments(regionPrefix)
            }
            if let rating {
                sql += " AND rating = ?"
                arguments += [rating.rawValue]
            }
            if let stage {
                sql += " AND stage = ?"
                arguments += [stage.rawValue]
            }
            // In `units_list` order: a page starts where the last ended, whatever the province's size.
            sql += " ORDER BY place, unit_id LIMIT ?"
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
            stage: LifecycleStage(rawValue: row["stage"]) ?? .surveyed, areaCode: row["area_code"], estateID: row["estate_id"],
            estateName: row["estate_name"], building: row["building"], unitNumber: row["unit_no"], households: row["households"],
            createdAt: row["created_at"], updatedAt: row["updated_at"])
    }
}

/// Where a list of units stands: units come by place, then id, so that a region's units are one range of an index.
public struct UnitPosition: Sendable, Hashable {
    public var place: String
    public var unitID: String
    public init(place: String, unitID: String) {
        self.place = place
        self.unitID = unitID
    }
}
