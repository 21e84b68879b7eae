import CSV
import Foundation
import GRDB
import LiftCore

/// CSV import and export of units and elevators, with the columns of spec section 10.
///
/// An import reports every bad row with its line number and reason and imports the good ones; importing the
/// same file again changes nothing, and a changed row is applied as an update (stage changes as dated moves).
public struct RegistryCSV: Sendable {
    /// The contract's unit columns (spec section 10); a file must have them.
    public static let unitColumns = ["unit_id", "region", "address", "lat", "lon", "floors", "rating", "stage"]
    /// The programme's unit columns, after the contract's: optional, and a file without one keeps what is stored.
    public static let unitProgrammeColumns = ["area_code", "estate_id", "estate_name", "building", "unit_no", "households"]
    public static let elevatorColumns = ["elevator_id", "unit_id", "region", "contractor_id", "commissioned_on", "stage", "on_demand", "platform"]

    let database: LiftDatabase
    /// Fault-code map names an elevator may name as its platform; nil accepts any well-formed name.
    let platforms: Set<String>?
    /// Rows written per transaction: bounds what a crash can undo and keeps the writer available to ingestion.
    let rowsPerTransaction = 500

    public init(database: LiftDatabase, platforms: Set<String>? = nil) {
        self.database = database
        self.platforms = platforms
    }

    /// Imports units. `progress` is called after each transaction with (rows done, rows in the file).
    public func importUnits(_ text: String, at now: Int64, by actor: String, progress: ((Int, Int) -> Void)? = nil) throws -> ImportReport {
        try importRows(text, columns: Self.unitColumns, at: now, progress: progress) { db, field in
            var unit = try Self.unit(from: field)
            // An older file without the programme's columns leaves them as stored.
            if let stored = try LiftDatabase.unit(db, unit.unitID) {
                // …unless the unit moved to another district: its old street or community is no longer its own.
                if !field.has("area_code"), stored.areaCode?.hasPrefix(unit.region) == true { unit.areaCode = stored.areaCode }
                if !field.has("estate_id") { unit.estateID = stored.estateID }
                if !field.has("estate_name") { unit.estateName = stored.estateName }
                if !field.has("building") { unit.building = stored.building }
                if !field.has("unit_no") { unit.unitNumber = stored.unitNumber }
                if !field.has("households") { unit.households = stored.households }
            }
            try LiftDatabase.validate(unit)
            return try LiftDatabase.upsertUnit(db, unit, at: now, by: actor, stageThroughPath: true)
        }
    }

    /// Imports elevators; their units must be in the registry already.
    public func importElevators(_ text: String, at now: Int64, by actor: String, progress: ((Int, Int) -> Void)? = nil) throws -> ImportReport {
        let platforms = self.platforms
        return try importRows(text, columns: Self.elevatorColumns, at: now, progress: progress) { db, field in
            let registration = try Self.elevator(from: field)
            try LiftDatabase.checkRegistration(db, registration, platforms: platforms)
            return try LiftDatabase.registerElevator(db, registration, at: now, by: actor).change
        }
    }

    private func importRows(
        _ text: String, columns: [String], at now: Int64, progress: ((Int, Int) -> Void)?,
        apply: @escaping (Database, Fields) throws -> RegistryChange
    ) throws -> ImportReport {
        var report = ImportReport()
        let reader: CSVReader
        do { reader = try CSVReader(string: text, hasHeaderRow: true) } catch {
            throw RegistryError(.invalid, "not a CSV file: \(error)")
        }
        let header = (reader.headerRow ?? []).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let missing = columns.filter { !header.contains($0) }
        guard missing.isEmpty else {
            throw RegistryError(.invalid, "line 1: the header lacks the column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")); expected \(columns.joined(separator: ","))")
        }
        let index = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        // Read everything first: a total for progress, and the line each row starts on.
        var rows: [(line: Int, fields: [String])] = []
        var line = 2 + (reader.headerRow ?? []).reduce(0) { $0 + $1.filter(\.isNewline).count }
        while let row = reader.next() {
            rows.append((line, row))
            line += 1 + row.reduce(0) { $0 + $1.filter(\.isNewline).count }
        }
        if let error = reader.error { throw RegistryError(.invalid, "line \(line): unreadable CSV: \(error)") }
        rows.removeAll { $0.fields.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }
        var done = 0
        // Each chunk is first written whole, without a savepoint per row (they cost a third of a large import). A row
        // that is refused rolls the chunk back, and the chunk is written again row by row, each in its savepoint, so
        // that the good rows go in and the bad ones are reported.
        struct RowRefused: Error {}
        for chunk in stride(from: 0, to: rows.count, by: rowsPerTransaction).map({ rows[$0..<min($0 + rowsPerTransaction, rows.count)] }) {
            var part = ImportReport()
            /// The row's fields, counted; nil (and an error) when it has more or fewer than the header.
            func wellFormed(_ line: Int, _ fields: [String]) -> Fields? {
                part.rows += 1
                guard fields.count == header.count else {
                    part.errors.append(.init(line: line, reason: "\(fields.count) fields where the header has \(header.count)"))
                    return nil
                }
                return Fields(values: fields, index: index)
            }
            func count(_ change: RegistryChange) {
                switch change {
                case .created: part.created += 1
                case .updated: part.updated += 1
                case .unchanged: part.unchanged += 1
                }
            }
            do {
                do {
                    try database.write { db in
                        part = ImportReport()
                        for (line, fields) in chunk {
                            guard let row = wellFormed(line, fields) else { continue }
                            let change: RegistryChange
                            do { change = try apply(db, row) } catch is RegistryError { throw RowRefused() } catch is DatabaseError {
                                throw RowRefused()
                            }
                            count(change)
                        }
                        if part.created + part.updated > 0 { try LiftDatabase.bumpRegistryVersion(db) }
                    }
                } catch is RowRefused {
                    try database.write { db in
                        part = ImportReport()
                        for (line, fields) in chunk {
                            guard let row = wellFormed(line, fields) else { continue }
                            do {
                                var change = RegistryChange.unchanged
                                try db.inSavepoint {
                                    change = try apply(db, row)
                                    return .commit
                                }
                                count(change)
                            } catch let error as RegistryError {
                                part.errors.append(.init(line: line, reason: error.message))
                            } catch let error as DatabaseError {
                                part.errors.append(.init(line: line, reason: error.message ?? "\(error)"))
                            }
                        }
                        if part.created + part.updated > 0 { try LiftDatabase.bumpRegistryVersion(db) }
                    }
                }
            } catch {
                throw StoreError(operation: "import", underlying: error)
            }
            report.rows += part.rows
            report.created += part.created
            report.updated += part.updated
            report.unchanged += part.unchanged
            report.errors += part.errors
            done += chunk.count
            progress?(done, rows.count)
        }
        return report
    }

    /// One row's fields by column name; a column the file lacks reads empty.
    struct Fields {
        let values: [String]
        let index: [String: Int]

        func callAsFunction(_ name: String) -> String {
            guard let column = index[name] else { return "" }
            let value = values[column]
            // Most fields have no spaces around them: skip Foundation's trimming (a tenth of an import's time).
            guard let first = value.unicodeScalars.first, let last = value.unicodeScalars.last,
                first.properties.isWhitespace || last.properties.isWhitespace
            else { return value }
            return value.trimmingCharacters(in: .whitespaces)
        }

        func has(_ name: String) -> Bool { index[name] != nil }
    }

    static func unit(from field: Fields) throws(RegistryError) -> UnitRecord {
        func number(_ name: String) throws(RegistryError) -> Double? {
            let text = field(name)
            if text.isEmpty { return nil }
            guard let value = Double(text), value.isFinite else { throw RegistryError(.invalid, "\(name) \"\(text)\" is not a number") }
            return value
        }
        let floorsText = field("floors")
        var floors: Int?
        if !floorsText.isEmpty {
            guard let value = Int(floorsText) else { throw RegistryError(.invalid, "floors \"\(floorsText)\" is not a whole number") }
            floors = value
        }
        let ratingText = field("rating").lowercased()
        var rating: SurveyRating?
        if !ratingText.isEmpty {
            guard let value = SurveyRating(rawValue: ratingText) else {
                throw RegistryError(.invalid, "rating \"\(ratingText)\" is not suitable, difficult or unsuitable")
            }
            rating = value
        }
        let stageText = field("stage").lowercased()
        let stage: LifecycleStage
        if stageText.isEmpty { stage = .surveyed } else {
            guard let value = LifecycleStage(rawValue: stageText) else {
                throw RegistryError(.invalid, "stage \"\(stageText)\" is not one of \(LifecycleStage.allNames)")
            }
            stage = value
        }
        let householdsText = field("households")
        var households: Int?
        if !householdsText.isEmpty {
            guard let value = Int(householdsText) else { throw RegistryError(.invalid, "households \"\(householdsText)\" is not a whole number") }
            households = value
        }
        func optional(_ name: String) -> String? { field(name).isEmpty ? nil : field(name) }
        return UnitRecord(
            unitID: field("unit_id"), region: field("region"), address: field("address"), lat: try number("lat"), lon: try number("lon"),
            floors: floors, rating: rating, stage: stage, areaCode: optional("area_code"), estateID: optional("estate_id"),
            estateName: optional("estate_name"), building: optional("building"), unitNumber: optional("unit_no"), households: households)
    }

    static func elevator(from field: Fields) throws(RegistryError) -> ElevatorRegistration {
        let onDemandText = field("on_demand").lowercased()
        let onDemand: Bool
        switch onDemandText {
        case "true": onDemand = true
        case "false", "": onDemand = false
        default: throw RegistryError(.invalid, "on_demand \"\(onDemandText)\" is not true or false")
        }
        func optional(_ name: String) -> String? { field(name).isEmpty ? nil : field(name) }
        return ElevatorRegistration(
            elevatorID: field("elevator_id"), unitID: optional("unit_id"), region: field("region"), contractorID: optional("contractor_id"),
            commissionedOn: optional("commissioned_on"), stage: optional("stage")?.lowercased() ?? LifecycleStage.inService.rawValue,
            onDemand: onDemand, platform: optional("platform") ?? "default")
    }

    /// All units as CSV (header and one line per unit, in `unit_id` order).
    public func exportUnits(regionPrefix: String? = nil) throws -> String {
        try csv(Self.unitColumns + Self.unitProgrammeColumns, try database.units(regionPrefix: regionPrefix).map { unit in
            [
                unit.unitID, unit.region, unit.address, unit.lat.map { "\($0)" } ?? "", unit.lon.map { "\($0)" } ?? "",
                unit.floors.map(String.init) ?? "", unit.rating?.rawValue ?? "", unit.stage.rawValue, unit.areaCode ?? "",
                unit.estateID ?? "", unit.estateName ?? "", unit.building ?? "", unit.unitNumber ?? "", unit.households.map(String.init) ?? "",
            ]
        })
    }

    /// All elevators as CSV.
    public func exportElevators(regionPrefix: String? = nil) throws -> String {
        try csv(Self.elevatorColumns, try database.elevators().filter { regionPrefix == nil || $0.place.hasPrefix(regionPrefix!) }.map { elevator in
            [
                elevator.elevatorID, elevator.unitID ?? "", elevator.region, elevator.contractorID ?? "", elevator.commissionedOn ?? "",
                elevator.stage, String(elevator.onDemand), elevator.platform,
            ]
        })
    }

    private func csv(_ header: [String], _ rows: [[String]]) throws -> String {
        let stream = OutputStream(toMemory: ())
        stream.open()
        let writer = try CSVWriter(stream: stream)
        try writer.write(row: header)
        for row in rows { try writer.write(row: row) }
        stream.close()
        let data = stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
