import Foundation
import GRDB
import LiftCore

/// A property manager (使用单位): the party answering for an elevator by law, and its named safety officer (电梯安全员).
public struct PropertyManagerRecord: Sendable, Hashable, Codable {
    public var managerID: String
    public var name: String
    public var phone: String?
    public var safetyOfficer: String
    public var safetyOfficerPhone: String?

    public init(managerID: String, name: String, phone: String? = nil, safetyOfficer: String, safetyOfficerPhone: String? = nil) {
        self.managerID = managerID
        self.name = name
        self.phone = phone
        self.safetyOfficer = safetyOfficer
        self.safetyOfficerPhone = safetyOfficerPhone
    }

    enum CodingKeys: String, CodingKey {
        case managerID = "manager_id", name, phone, safetyOfficer = "safety_officer", safetyOfficerPhone = "safety_officer_phone"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(managerID, forKey: .managerID)
        try c.encode(name, forKey: .name)
        try c.encode(phone, forKey: .phone)
        try c.encode(safetyOfficer, forKey: .safetyOfficer)
        try c.encode(safetyOfficerPhone, forKey: .safetyOfficerPhone)
    }

    init(row: Row) {
        self.init(
            managerID: row["manager_id"], name: row["name"], phone: row["phone"], safetyOfficer: row["safety_officer"],
            safetyOfficerPhone: row["safety_officer_phone"])
    }

    /// Why the record cannot be stored, or nil: names are untrusted text, kept short and free of control characters.
    public var problem: String? {
        guard Identifier.isValidID(managerID) else { return "manager_id \"\(managerID.prefix(64))\" is not [A-Za-z0-9_-]{1,64}" }
        for (field, value) in [("name", name), ("safety_officer", safetyOfficer)] {
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { return "\(field): required" }
            guard trimmed.count <= 100, !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                return "\(field): at most 100 characters, no control characters"
            }
        }
        for (field, value) in [("phone", phone), ("safety_officer_phone", safetyOfficerPhone)] {
            if let value, !(3...20).contains(value.count) || !value.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "+") }) {
                return "\(field): 3 to 20 digits (with - or +)"
            }
        }
        return nil
    }
}

extension LiftDatabase {
    /// Creates or replaces a property manager.
    /// - Throws: `RegistryError.invalid` for a malformed record.
    public func putPropertyManager(_ record: PropertyManagerRecord, at now: Int64, by actor: String) throws {
        if let problem = record.problem { throw RegistryError(.invalid, problem) }
        try registryWrite("put property manager \(record.managerID)") { db in
            try db.execute(
                sql: """
                    INSERT INTO property_managers(manager_id, name, phone, safety_officer, safety_officer_phone, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(manager_id) DO UPDATE SET name = excluded.name, phone = excluded.phone, safety_officer = excluded.safety_officer,
                      safety_officer_phone = excluded.safety_officer_phone, updated_at = excluded.updated_at
                    """,
                arguments: [record.managerID, record.name, record.phone, record.safetyOfficer, record.safetyOfficerPhone, now])
            try Self.appendAudit(db, at: now, actor: actor, action: "property_manager.put", subject: "property_manager:\(record.managerID)", detail: [
                "name": record.name, "safety_officer": record.safetyOfficer,
            ])
        }
    }

    public func propertyManager(_ managerID: String) throws -> PropertyManagerRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM property_managers WHERE manager_id = ?", arguments: [managerID]).map(PropertyManagerRecord.init(row:))
        }
    }

    /// Sets (or with nil, clears) an elevator's property manager and rescue code; nil leaves one as it is unless
    /// `clear…` asks. The code is checked by the caller against its region's format (`RescueHotlines.codeProblem`).
    /// - Throws: `RegistryError.notFound` for an unknown elevator or property manager, `.refused` for a rescue code
    ///   another elevator has, or for clearing the property manager of an elevator in service.
    public func setFieldRecords(
        elevatorID: String, propertyManagerID: String??, rescueCode: String??, at now: Int64, by actor: String
    ) throws -> ElevatorRecord {
        try registryWrite("set the property manager and rescue code of \(elevatorID)") { db in
            try Self.applyFieldRecords(db, elevatorID: elevatorID, propertyManagerID: propertyManagerID, rescueCode: rescueCode, at: now, by: actor)
            return try Self.elevatorRecord(db, elevatorID)!
        }
    }

    /// `setFieldRecords` inside a registry transaction of the caller's (`putElevator` sets them with the rest).
    static func applyFieldRecords(_ db: Database, elevatorID: String, propertyManagerID: String??, rescueCode: String??, at now: Int64, by actor: String) throws {
        guard propertyManagerID != nil || rescueCode != nil else { return }
        guard let elevator = try elevatorRecord(db, elevatorID) else { throw RegistryError(.notFound, "no elevator \(elevatorID)") }
        var detail: [String: String?] = [:]
        if let manager = propertyManagerID {
            if let manager {
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM property_managers WHERE manager_id = ?", arguments: [manager]) == true else {
                    throw RegistryError(.invalid, "property_manager_id: no property manager \(manager) (PUT /api/v1/property-managers/\(manager) first)")
                }
            } else if elevator.stage == LifecycleStage.inService.rawValue || elevator.stage == LifecycleStage.suspended.rawValue {
                throw RegistryError(.refused, "\(elevatorID) is \(elevator.stage): it cannot be left without a property manager (name another instead)")
            }
            if manager != elevator.propertyManagerID {
                try db.execute(
                    sql: "UPDATE elevators SET property_manager_id = ?, property_manager_since = ? WHERE elevator_id = ?", arguments: [manager, now, elevatorID])
            }
            detail["property_manager_id"] = manager
        }
        if let code = rescueCode {
            if let code, let other = try String.fetchOne(
                db, sql: "SELECT elevator_id FROM elevators WHERE rescue_code = ? AND elevator_id != ?", arguments: [code, elevatorID])
            {
                throw RegistryError(.refused, "rescue_code: \(code) is \(other)'s")
            }
            try db.execute(sql: "UPDATE elevators SET rescue_code = ? WHERE elevator_id = ?", arguments: [code, elevatorID])
            detail["rescue_code"] = code
        }
        try appendAudit(db, at: now, actor: actor, action: "elevator.field_records", subject: "elevator:\(elevatorID)", detail: detail)
        try bumpRegistryVersion(db)
    }

    /// Why `moves` may not be made, or nil: an elevator enters service (`registered → in_service`, 投入使用) only with
    /// a property manager (使用单位) and its safety officer on record. The one rule for every way a stage moves.
    static func serviceEntryRefusal(_ db: Database, elevatorID: String?, moves: [StageMove]) throws -> String? {
        // Every entry into service but a return from suspension (an elevator suspended keeps its property manager).
        guard let elevatorID, moves.contains(where: { $0.to == .inService && $0.from != .suspended }) else { return nil }
        let manager = try String.fetchOne(db, sql: "SELECT property_manager_id FROM elevators WHERE elevator_id = ?", arguments: [elevatorID])
        guard manager == nil else { return nil }
        return "\(elevatorID): an elevator enters service only with a property manager (使用单位) and its safety officer: name one first (property_manager_id)"
    }

    /// The elevator whose car shows `code`, for the hotline's dispatcher.
    public func elevator(rescueCode code: String) throws -> ElevatorRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM elevators WHERE rescue_code = ?", arguments: [code]).map(ElevatorRecord.init(row:))
        }
    }

    /// Elevators of a property manager, by id.
    public func elevators(propertyManagerID: String) throws -> [ElevatorRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM elevators WHERE property_manager_id = ? ORDER BY elevator_id", arguments: [propertyManagerID])
                .map(ElevatorRecord.init(row:))
        }
    }
}
