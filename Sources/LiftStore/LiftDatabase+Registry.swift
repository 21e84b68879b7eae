import GRDB
import LiftCore

extension LiftDatabase {
    /// Adds or updates an elevator as LiftWatch itself; see `registerElevator`.
    /// - Returns: the elevator's compact key.
    @discardableResult
    public func register(_ registration: ElevatorRegistration, at now: Int64, by actor: String = "liftwatch") throws -> Int64 {
        try registerElevator(registration, at: now, by: actor).key
    }

    /// Adds or updates an elevator, recording every change: stage moves (forward along the lifecycle path,
    /// each step dated), a new contract when the contractor changes, and an audit entry.
    ///
    /// Its unit and contractor are created as bare entries when unknown; the unit's stage follows the elevator's.
    /// - Throws: `RegistryError` for a malformed field or an impossible stage move.
    public func registerElevator(_ registration: ElevatorRegistration, at now: Int64, by actor: String) throws
        -> (key: Int64, change: RegistryChange)
    {
        try Self.validate(registration)
        return try registryWrite("register \(registration.elevatorID)") { db in
            let result = try Self.registerElevator(db, registration, at: now, by: actor)
            if result.change != .unchanged { try Self.bumpRegistryVersion(db) }
            return result
        }
    }

    /// `registerElevator` for many elevators in one transaction: all of them, or none when one is refused (the
    /// error names it). A province's fleet registered one transaction each took minutes.
    @discardableResult
    public func registerElevators(_ registrations: [ElevatorRegistration], at now: Int64, by actor: String) throws -> [RegistryChange] {
        for registration in registrations { try Self.validate(registration) }
        return try registryWrite("register \(registrations.count) elevators") { db in
            let changes = try registrations.map { try Self.registerElevator(db, $0, at: now, by: actor).change }
            if changes.contains(where: { $0 != .unchanged }) { try Self.bumpRegistryVersion(db) }
            return changes
        }
    }

    /// A registry write transaction: `RegistryError`s pass through as they are, anything else becomes a
    /// `StoreError` naming `operation`.
    func registryWrite<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try write(body)
        } catch let error as RegistryError {
            throw error
        } catch {
            throw StoreError(operation: operation, underlying: error)
        }
    }

    static func validate(_ registration: ElevatorRegistration) throws(RegistryError) {
        guard Identifier.isValidID(registration.elevatorID) else {
            throw RegistryError(.invalid, "elevator_id \"\(registration.elevatorID)\" is not [A-Za-z0-9_-]{1,64}")
        }
        guard Identifier.isValidRegion(registration.region) else {
            throw RegistryError(.invalid, "region \"\(registration.region)\" is not 6 digits")
        }
        if let unit = registration.unitID, !Identifier.isValidID(unit) {
            throw RegistryError(.invalid, "unit_id \"\(unit)\" is not [A-Za-z0-9_-]{1,64}")
        }
        if let contractor = registration.contractorID, !Identifier.isValidID(contractor) {
            throw RegistryError(.invalid, "contractor_id \"\(contractor)\" is not [A-Za-z0-9_-]{1,64}")
        }
        if let date = registration.commissionedOn, CivilDate(date) == nil {
            throw RegistryError(.invalid, "commissioned_on \"\(date)\" is not a date YYYY-MM-DD")
        }
        guard LifecycleStage(rawValue: registration.stage) != nil else {
            throw RegistryError(.invalid, "stage \"\(registration.stage)\" is not one of \(LifecycleStage.allNames)")
        }
        guard Identifier.isValidID(registration.platform) else {
            throw RegistryError(.invalid, "platform \"\(registration.platform)\" is not a fault-code map name")
        }
    }

    /// - Parameter forcedReason: an administrator's reason for putting the unit at the elevator's stage against its
    ///   steps; recorded with the stage.
    static func registerElevator(_ db: Database, _ registration: ElevatorRegistration, forcedReason: String? = nil, at now: Int64, by actor: String) throws
        -> (key: Int64, change: RegistryChange)
    {
        let stage = LifecycleStage(rawValue: registration.stage)!
        let unitStageBefore = try registration.unitID.flatMap { unit in
            try String.fetchOne(db, sql: "SELECT stage FROM units WHERE unit_id = ?", arguments: [unit]).flatMap(LifecycleStage.init)
        }
        if let unit = registration.unitID {
            try db.execute(
                sql: "INSERT OR IGNORE INTO units(unit_id, region, place, stage, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [unit, registration.region, registration.region, stage.rawValue, now, now])
        }
        if let contractor = registration.contractorID {
            try db.execute(
                sql: "INSERT OR IGNORE INTO contractors(contractor_id, created_at) VALUES (?, ?)", arguments: [contractor, now])
        }
        let existing = try Row.fetchOne(db, sql: "SELECT * FROM elevators WHERE elevator_id = ?", arguments: [registration.elevatorID])
            .map(ElevatorRecord.init(row:))
        guard let existing else {
            try db.execute(
                sql: """
                    INSERT INTO elevators(elevator_id, unit_id, region, contractor_id, commissioned_on, stage, on_demand, platform,
                        registered_at, updated_at, place)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce((SELECT place FROM units WHERE unit_id = ?), ?))
                    """,
                arguments: [
                    registration.elevatorID, registration.unitID, registration.region, registration.contractorID,
                    registration.commissionedOn, stage.rawValue, registration.onDemand, registration.platform, now, now,
                    registration.unitID, registration.region,
                ])
            let key = db.lastInsertedRowID
            if let unit = registration.unitID {
                // The unit's project stage is its elevator's from now on.
                try db.execute(sql: "UPDATE units SET stage = ?, updated_at = ? WHERE unit_id = ?", arguments: [stage.rawValue, now, unit])
            }
            let forcedMove = forcedReason.map { StageMove(from: unitStageBefore ?? stage, to: stage, forced: true, reason: $0) }
            try recordStage(db, unitID: registration.unitID, elevatorID: registration.elevatorID, move: forcedMove, to: stage, at: now, by: actor)
            if let contractor = registration.contractorID {
                // The first contract runs from commissioning, so that faults dated before registration find it.
                let start = registration.commissionedOn.flatMap(CivilDate.init).map { min($0.startEpochMs, now) } ?? now
                try db.execute(
                    sql: "INSERT INTO contracts(elevator_id, contractor_id, starts_at) VALUES (?, ?, ?)",
                    arguments: [registration.elevatorID, contractor, start])
            }
            try appendAudit(db, at: now, actor: actor, action: "elevator.register", subject: registration.elevatorID, detail: [
                "unit_id": registration.unitID, "region": registration.region, "contractor_id": registration.contractorID,
                "commissioned_on": registration.commissionedOn, "stage": stage.rawValue,
                "on_demand": String(registration.onDemand), "platform": registration.platform, "forced_reason": forcedReason,
            ])
            return (key, .created)
        }
        var changes = FieldChanges()
        changes.note("unit_id", existing.unitID, registration.unitID)
        changes.note("region", existing.region, registration.region)
        changes.note("commissioned_on", existing.commissionedOn, registration.commissionedOn)
        changes.note("on_demand", String(existing.onDemand), String(registration.onDemand))
        changes.note("platform", existing.platform, registration.platform)
        try db.execute(
            sql: """
                UPDATE elevators SET unit_id = ?, region = ?, commissioned_on = ?, on_demand = ?, platform = ?, updated_at = ?,
                    place = coalesce((SELECT place FROM units WHERE unit_id = ?), ?)
                WHERE elevator_id = ?
                """,
            arguments: [
                registration.unitID, registration.region, registration.commissionedOn, registration.onDemand,
                registration.platform, now, registration.unitID, registration.region, registration.elevatorID,
            ])
        if existing.unitID != registration.unitID || existing.region != registration.region {
            try db.execute(
                sql: "UPDATE tickets SET place = (SELECT place FROM elevators WHERE elevator_id = ?1) WHERE elevator_id = ?1",
                arguments: [registration.elevatorID])
        }
        if existing.contractorID != registration.contractorID {
            try assignContractor(db, registration.contractorID, elevatorID: registration.elevatorID, from: now, at: now, by: actor)
            changes.note("contractor_id", existing.contractorID, registration.contractorID)
        }
        let current = LifecycleStage(rawValue: existing.stage) ?? .inService
        if current != stage {
            let moves: [StageMove]
            do { moves = try StageMachine().move(from: current, to: stage, throughPath: true) } catch {
                throw RegistryError(.refused, "\(registration.elevatorID): \(error)")
            }
            try applyStageMoves(db, moves, unitID: registration.unitID, elevatorID: registration.elevatorID, at: now, by: actor)
            changes.note("stage", current.rawValue, stage.rawValue)
        }
        guard !changes.isEmpty else { return (existing.key, .unchanged) }
        try appendAudit(db, at: now, actor: actor, action: "elevator.update", subject: registration.elevatorID, detail: changes.detail)
        return (existing.key, .updated(changes.fields))
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

    /// Elevators in `elevator_id` order after `after`, filtered by place prefix, contractor and stage; at most `limit`.
    public func elevators(placePrefix: String?, contractorID: String? = nil, stage: LifecycleStage? = nil, after: String = "", limit: Int) throws -> [ElevatorRecord] {
        try read { db in
            var sql = "SELECT * FROM elevators WHERE elevator_id > ?"
            var arguments: StatementArguments = [after]
            if let placePrefix { sql += " AND \(PlaceFilter.clause("place"))"; arguments += PlaceFilter.arguments(placePrefix) }
            if let contractorID { sql += " AND contractor_id = ?"; arguments += [contractorID] }
            if let stage { sql += " AND stage = ?"; arguments += [stage.rawValue] }
            sql += " ORDER BY elevator_id LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(ElevatorRecord.init(row:))
        }
    }

    /// The elevators of one unit.
    public func elevators(ofUnit unitID: String) throws -> [ElevatorRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM elevators WHERE unit_id = ? ORDER BY elevator_id", arguments: [unitID])
                .map(ElevatorRecord.init(row:))
        }
    }

    /// Increases with every registry change; ingestion reloads its snapshot when it moves.
    public func registryVersion() throws -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT version FROM registry_version") ?? 0 }
    }

    static func bumpRegistryVersion(_ db: Database) throws {
        try db.execute(sql: "UPDATE registry_version SET version = version + 1")
    }
}

extension ElevatorRecord {
    init(row: Row) {
        self.init(
            key: row["id"], elevatorID: row["elevator_id"], unitID: row["unit_id"], region: row["region"], place: row["place"],
            contractorID: row["contractor_id"], commissionedOn: row["commissioned_on"], stage: row["stage"],
            onDemand: row["on_demand"], platform: row["platform"], registeredAt: row["registered_at"],
            online: row["online"], lastSeen: row["last_seen"], statusAt: row["status_at"], firmware: row["firmware"],
            terminalID: row["terminal_id"], seqOffset: row["seq_offset"] ?? 0, rescueCode: row["rescue_code"],
            propertyManagerID: row["property_manager_id"])
    }
}

extension LiftDatabase {
    /// What an elevator's registration must satisfy, however it comes (CSV import, `PUT /elevators/{id}`): well-formed
    /// fields, a known fault-code platform (when `platforms` is given), and a unit that is in the registry and in the
    /// elevator's region.
    static func checkRegistration(_ db: Database, _ registration: ElevatorRegistration, platforms: Set<String>?) throws {
        try validate(registration)
        if let platforms, !platforms.contains(registration.platform) {
            throw RegistryError(.invalid, "platform \"\(registration.platform)\" is not a known fault-code map (\(platforms.sorted().joined(separator: ", ")))")
        }
        if let unit = registration.unitID {
            guard let region = try String.fetchOne(db, sql: "SELECT region FROM units WHERE unit_id = ?", arguments: [unit]) else {
                throw RegistryError(.invalid, "unit_id \"\(unit)\" is not in the registry: register the unit first")
            }
            guard region == registration.region else {
                throw RegistryError(.invalid, "region \(registration.region) is not the region \(region) of unit \(unit)")
            }
        }
    }

    /// Adds or updates an elevator and moves its stage, in one transaction: checked as the import checks
    /// (`checkRegistration`), and nothing is kept when any part is refused (a stage move that is not allowed rolls
    /// the whole change back). An update's `stage` may be any stage an administrator may force with `forcedReason`;
    /// a new elevator starts at its `stage`.
    /// - Throws: `RegistryError` (`.invalid` for a field, `.refused` for the stage move).
    ///
    /// `propertyManagerID` and `rescueCode` (nil: keep; `.some(nil)`: clear) are set in the same transaction, before
    /// the stage moves (an elevator enters service only with a property manager).
    public func putElevator(
        _ registration: ElevatorRegistration, platforms: Set<String>?, forcedReason: String?, propertyManagerID: String?? = nil,
        rescueCode: String?? = nil, at now: Int64, by actor: String
    ) throws -> (record: ElevatorRecord, change: RegistryChange) {
        try registryWrite("put \(registration.elevatorID)") { db in
            try Self.checkRegistration(db, registration, platforms: platforms)
            let existing = try Row.fetchOne(db, sql: "SELECT stage, unit_id FROM elevators WHERE elevator_id = ?", arguments: [registration.elevatorID])
            // An elevator joining a unit (new, or moved to it) puts the unit at its stage. When the programme keeps the
            // unit's record (it has steps), the steps must allow that stage and it must not move the unit back, unless
            // an administrator forces it; a unit without steps takes the stage as recorded elsewhere, as an import does.
            func checkJoin(at stage: LifecycleStage) throws {
                guard forcedReason == nil, let unitID = registration.unitID,
                    let unitStage = try String.fetchOne(db, sql: "SELECT stage FROM units WHERE unit_id = ?", arguments: [unitID]).flatMap(LifecycleStage.init)
                else { return }
                let steps = try ProjectRecords.steps(db, unitID: unitID)
                guard !steps.isEmpty else { return }
                let force = "(an administrator may force it with force_reason)"
                if stage < unitStage {
                    throw RegistryError(.refused, "\(registration.elevatorID): unit \(unitID) is \(unitStage.rawValue); an elevator at \(stage.rawValue) would move it back \(force)")
                }
                if let refusal = ProgrammeGate.refusal(from: unitStage, to: stage, steps: steps) {
                    throw RegistryError(.refused, "\(registration.elevatorID): \(refusal) \(force)")
                }
            }
            guard let existing else {
                try checkJoin(at: LifecycleStage(rawValue: registration.stage)!)
                let result = try Self.registerElevator(db, registration, forcedReason: forcedReason, at: now, by: actor)
                try Self.applyFieldRecords(db, elevatorID: registration.elevatorID, propertyManagerID: propertyManagerID, rescueCode: rescueCode, at: now, by: actor)
                try Self.bumpRegistryVersion(db)
                return (try Self.elevatorRecord(db, registration.elevatorID)!, result.change)
            }
            let current = LifecycleStage(rawValue: existing["stage"]) ?? .inService
            let target = LifecycleStage(rawValue: registration.stage)!
            if registration.unitID != nil && (existing["unit_id"] as String?) != registration.unitID { try checkJoin(at: current) }
            var unchangedStage = registration
            unchangedStage.stage = current.rawValue
            var result = try Self.registerElevator(db, unchangedStage, at: now, by: actor)
            try Self.applyFieldRecords(db, elevatorID: registration.elevatorID, propertyManagerID: propertyManagerID, rescueCode: rescueCode, at: now, by: actor)
            if (propertyManagerID != nil || rescueCode != nil), result.change == .unchanged { result.change = .updated(["field_records"]) }
            if current != target {
                let moves: [StageMove]
                do { moves = try StageMachine().move(from: current, to: target, forcedReason: forcedReason) } catch {
                    throw RegistryError(.refused, "\(registration.elevatorID): \(error)")
                }
                if let refusal = try ProjectRecords.refusal(db, unitID: registration.unitID, moves: moves) {
                    throw RegistryError(.refused, "\(registration.elevatorID): \(refusal) (an administrator may force the move with force_reason)")
                }
                if let refusal = try Self.serviceEntryRefusal(db, elevatorID: registration.elevatorID, moves: moves) { throw RegistryError(.refused, refusal) }
                try Self.applyStageMoves(db, moves, unitID: registration.unitID, elevatorID: registration.elevatorID, at: now, by: actor)
                if result.change == .unchanged { result.change = .updated(["stage"]) }
            }
            if result.change != .unchanged { try Self.bumpRegistryVersion(db) }
            return (try Self.elevatorRecord(db, registration.elevatorID)!, result.change)
        }
    }

    static func elevatorRecord(_ db: Database, _ elevatorID: String) throws -> ElevatorRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM elevators WHERE elevator_id = ?", arguments: [elevatorID]).map(ElevatorRecord.init(row:))
    }
}
