import Crypto
import Foundation
import GRDB
import LiftCore

/// A maintenance technician (维保人员) of a contractor, with the certificate that allows the work.
public struct TechnicianRecord: Sendable, Hashable, Codable {
    public var technicianID: String
    public var contractorID: String
    public var name: String
    public var certificateNo: String
    /// `YYYY-MM-DD`: the last day the certificate is valid.
    public var certificateExpiresOn: String

    public init(technicianID: String, contractorID: String, name: String, certificateNo: String, certificateExpiresOn: String) {
        self.technicianID = technicianID
        self.contractorID = contractorID
        self.name = name
        self.certificateNo = certificateNo
        self.certificateExpiresOn = certificateExpiresOn
    }

    enum CodingKeys: String, CodingKey {
        case technicianID = "technician_id", contractorID = "contractor_id", name, certificateNo = "certificate_no"
        case certificateExpiresOn = "certificate_expires_on"
    }

    init(row: Row) {
        self.init(
            technicianID: row["technician_id"], contractorID: row["contractor_id"], name: row["name"], certificateNo: row["certificate_no"],
            certificateExpiresOn: row["certificate_expires_on"])
    }

    /// Whether the certificate is valid on `day`.
    public func certified(on day: CivilDate) -> Bool {
        guard let expires = CivilDate(certificateExpiresOn) else { return false }
        return day.days(to: expires) >= 0
    }
}

/// One item of a record's checklist: its number in the level's list (from 1), the result and a note.
public struct ChecklistEntry: Sendable, Hashable, Codable {
    public var no: Int
    public var result: ChecklistResult
    public var note: String?
    public init(no: Int, result: ChecklistResult, note: String? = nil) {
        self.no = no
        self.result = result
        self.note = note
    }

    enum CodingKeys: String, CodingKey { case no, result, note }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(no, forKey: .no)
        try c.encode(result, forKey: .result)
        try c.encode(note, forKey: .note)
    }
}

/// The electronic maintenance record (维保电子记录) that completes a maintenance ticket.
public struct MaintenanceRecord: Sendable, Hashable, Codable {
    public var ticketID: Int64
    /// The phone's own key for this submission: the same record sent again is recognised, never stored twice.
    public var clientKey: String
    public var contractorID: String
    public var technicians: [String]
    public var checkInAt: Int64
    public var checkOutAt: Int64
    public var lat: Double?
    public var lon: Double?
    public var items: [ChecklistEntry]
    /// SHA-256 of the photos uploaded for it (`POST /api/v1/photos`).
    public var photos: [String]
    /// What makes it look false (`VisitPolicy`), with the reasons.
    public var flags: [VisitFlag]
    public var flagReasons: [String]
    public var submittedAt: Int64
    public var submittedBy: String
    /// The property manager's confirmation (使用单位签字).
    public var confirmedAt: Int64?
    public var confirmedBy: String?

    public init(
        ticketID: Int64, clientKey: String, contractorID: String, technicians: [String], checkInAt: Int64, checkOutAt: Int64, lat: Double?, lon: Double?,
        items: [ChecklistEntry], photos: [String], flags: [VisitFlag], flagReasons: [String], submittedAt: Int64, submittedBy: String
    ) {
        self.ticketID = ticketID
        self.clientKey = clientKey
        self.contractorID = contractorID
        self.technicians = technicians
        self.checkInAt = checkInAt
        self.checkOutAt = checkOutAt
        self.lat = lat
        self.lon = lon
        self.items = items
        self.photos = photos
        self.flags = flags
        self.flagReasons = flagReasons
        self.submittedAt = submittedAt
        self.submittedBy = submittedBy
    }

    enum CodingKeys: String, CodingKey {
        case ticketID = "ticket_id", clientKey = "client_key", contractorID = "contractor_id", technicians, checkInAt = "check_in_at"
        case checkOutAt = "check_out_at", lat, lon, items, photos, flags, flagReasons = "flag_reasons", submittedAt = "submitted_at"
        case submittedBy = "submitted_by", confirmedAt = "confirmed_at", confirmedBy = "confirmed_by"
    }

    /// Every field written, null until reached.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ticketID, forKey: .ticketID)
        try c.encode(clientKey, forKey: .clientKey)
        try c.encode(contractorID, forKey: .contractorID)
        try c.encode(technicians, forKey: .technicians)
        try c.encode(checkInAt, forKey: .checkInAt)
        try c.encode(checkOutAt, forKey: .checkOutAt)
        try c.encode(lat, forKey: .lat)
        try c.encode(lon, forKey: .lon)
        try c.encode(items, forKey: .items)
        try c.encode(photos, forKey: .photos)
        try c.encode(flags, forKey: .flags)
        try c.encode(flagReasons, forKey: .flagReasons)
        try c.encode(submittedAt, forKey: .submittedAt)
        try c.encode(submittedBy, forKey: .submittedBy)
        try c.encode(confirmedAt, forKey: .confirmedAt)
        try c.encode(confirmedBy, forKey: .confirmedBy)
    }
}

/// Bounds on what contractors' phones can make the store grow by.
public enum MaintenanceLimits {
    /// One photo's bytes (a phone's JPEG at a sensible size).
    public static let photoBytes = 2 * 1024 * 1024
    /// Photos per record.
    public static let photosPerRecord = 20
    /// Photo bytes one contractor may upload in any 24 hours.
    public static let photoBytesPerContractorDay = 512 * 1024 * 1024
    /// A note's characters.
    public static let noteLength = 200
    /// An uploaded photo no record names after this many days is deleted (a record names its photos within
    /// minutes; a phone offline for a week sends them again with the record).
    public static let unusedPhotoDays = 7
}

extension LiftDatabase {
    // MARK: technicians

    /// Creates or replaces a technician (an administrator's act: a contractor does not certify its own staff).
    public func putTechnician(_ record: TechnicianRecord, at now: Int64, by actor: String) throws {
        guard Identifier.isValidID(record.technicianID) else { throw RegistryError(.invalid, "technician_id: not [A-Za-z0-9_-]{1,64}") }
        guard Identifier.isValidID(record.contractorID) else { throw RegistryError(.invalid, "contractor_id: not [A-Za-z0-9_-]{1,64}") }
        for (field, value) in [("name", record.name), ("certificate_no", record.certificateNo)] {
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, trimmed.count <= 64, !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw RegistryError(.invalid, "\(field): 1 to 64 characters, no control characters")
            }
        }
        guard CivilDate(record.certificateExpiresOn) != nil else { throw RegistryError(.invalid, "certificate_expires_on: expected YYYY-MM-DD") }
        try registryWrite("put technician \(record.technicianID)") { db in
            try db.execute(
                sql: """
                    INSERT INTO technicians(technician_id, contractor_id, name, certificate_no, certificate_expires_on, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(technician_id) DO UPDATE SET contractor_id = excluded.contractor_id, name = excluded.name,
                      certificate_no = excluded.certificate_no, certificate_expires_on = excluded.certificate_expires_on, updated_at = excluded.updated_at
                    """,
                arguments: [record.technicianID, record.contractorID, record.name, record.certificateNo, record.certificateExpiresOn, now])
            try Self.appendAudit(db, at: now, actor: actor, action: "technician.put", subject: "technician:\(record.technicianID)", detail: [
                "contractor_id": record.contractorID, "certificate_no": record.certificateNo, "certificate_expires_on": record.certificateExpiresOn,
            ])
        }
    }

    public func technicians(contractorID: String?) throws -> [TechnicianRecord] {
        try read { db in
            if let contractorID {
                return try Row.fetchAll(db, sql: "SELECT * FROM technicians WHERE contractor_id = ? ORDER BY technician_id", arguments: [contractorID])
                    .map(TechnicianRecord.init(row:))
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM technicians ORDER BY technician_id LIMIT 10000").map(TechnicianRecord.init(row:))
        }
    }

    // MARK: photos

    /// Stores a photo once by its SHA-256 (in `documents`, as the programme's files) for `contractorID`, with an
    /// audit entry naming its hash: a record's photos are proven by the audit chain.
    /// - Throws: `RegistryError.invalid` for a file that is not JPEG or PNG or is over `MaintenanceLimits.photoBytes`,
    ///   `.refused` past the contractor's daily bytes.
    public func storePhoto(_ content: [UInt8], contractorID: String, at now: Int64, by actor: String) throws -> (sha256: String, size: Int) {
        guard let type = ProjectRecords.mediaType(of: content), type == "image/jpeg" || type == "image/png" else {
            throw RegistryError(.invalid, "a photo is a JPEG or PNG (by its first bytes)")
        }
        guard content.count <= MaintenanceLimits.photoBytes else {
            throw RegistryError(.invalid, "the photo has \(content.count) bytes; at most \(MaintenanceLimits.photoBytes)")
        }
        let sha = SHA256.hash(data: content).hexString
        return try registryWrite("store a photo of \(contractorID)") { db in
            let recent = try Int.fetchOne(
                db, sql: "SELECT coalesce(sum(size), 0) FROM photo_uploads WHERE contractor_id = ? AND uploaded_at > ?",
                arguments: [contractorID, now - 86_400_000]) ?? 0
            guard recent + content.count <= MaintenanceLimits.photoBytesPerContractorDay else {
                throw RegistryError(.refused, "\(contractorID) uploaded \(recent / 1_048_576) MiB of photos in the last 24 hours, the most a day")
            }
            try db.execute(
                sql: "INSERT OR IGNORE INTO documents(sha256, media_type, size, content, stored_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [sha, type, content.count, Data(content), now])
            try db.execute(
                sql: "INSERT OR IGNORE INTO photo_uploads(sha256, contractor_id, size, uploaded_at) VALUES (?, ?, ?, ?)",
                arguments: [sha, contractorID, content.count, now])
            if db.changesCount == 1 {
                try Self.appendAudit(db, at: now, actor: actor, action: "photo.upload", subject: "photo:\(sha)", detail: [
                    "contractor_id": contractorID, "size": String(content.count), "media_type": type,
                ])
            }
            return (sha, content.count)
        }
    }

    /// A photo's bytes and type, and the contractors that uploaded it; nil when no contractor did.
    public func photo(_ sha256: String) throws -> (mediaType: String, content: [UInt8], uploaders: Set<String>)? {
        try read { db in
            let uploaders = Set(try String.fetchAll(db, sql: "SELECT contractor_id FROM photo_uploads WHERE sha256 = ?", arguments: [sha256]))
            guard !uploaders.isEmpty,
                let row = try Row.fetchOne(db, sql: "SELECT media_type, content FROM documents WHERE sha256 = ?", arguments: [sha256])
            else { return nil }
            return (row["media_type"], [UInt8](row["content"] as Data), uploaders)
        }
    }

    /// Where each record naming the photo is: its ticket's place and contractor, and its elevator's property manager.
    public func photoOwners(_ sha256: String) throws -> [(place: String, contractorID: String?, managerID: String?)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.place, t.contractor_id, e.property_manager_id FROM maintenance_records r, json_each(r.photos) p
                JOIN tickets t ON t.id = r.ticket_id LEFT JOIN elevators e ON e.elevator_id = t.elevator_id
                WHERE p.value = ?
                """, arguments: [sha256]).map { ($0[0], $0[1], $0[2]) }
        }
    }

    /// Deletes the photos uploaded before `now − MaintenanceLimits.unusedPhotoDays` that no record names (their
    /// bytes too, unless a unit's project record holds the same file). Returns how many uploads went.
    @discardableResult
    public func purgeUnusedPhotos(now: Int64) throws -> Int {
        let cutoff = now - Int64(MaintenanceLimits.unusedPhotoDays) * 86_400_000
        return try write { db in
            try db.execute(sql: """
                DELETE FROM photo_uploads WHERE uploaded_at < ?
                  AND NOT EXISTS (SELECT 1 FROM maintenance_records r, json_each(r.photos) p WHERE p.value = photo_uploads.sha256)
                """, arguments: [cutoff])
            let purged = db.changesCount
            if purged > 0 {
                try db.execute(sql: """
                    DELETE FROM documents WHERE stored_at < ?
                      AND sha256 NOT IN (SELECT sha256 FROM photo_uploads) AND sha256 NOT IN (SELECT sha256 FROM project_documents)
                    """, arguments: [cutoff])
            }
            return purged
        }
    }

    // MARK: records

    /// The record of a maintenance ticket, if one was submitted.
    public func maintenanceRecord(ticketID: Int64) throws -> MaintenanceRecord? {
        try read { db in try Self.maintenanceRecord(db, ticketID: ticketID) }
    }

    static func maintenanceRecord(_ db: Database, ticketID: Int64) throws -> MaintenanceRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM maintenance_records WHERE ticket_id = ?", arguments: [ticketID]).map(MaintenanceRecord.init(row:))
    }

    /// Confirms a record as the property manager (or an administrator).
    /// - Throws: `RegistryError.notFound` without a record, `.refused` when it is confirmed already.
    public func confirmMaintenanceRecord(ticketID: Int64, at now: Int64, by actor: String) throws -> MaintenanceRecord {
        try registryWrite("confirm the maintenance record of ticket \(ticketID)") { db in
            guard var record = try Self.maintenanceRecord(db, ticketID: ticketID) else {
                throw RegistryError(.notFound, "no maintenance record of ticket \(ticketID) yet")
            }
            guard record.confirmedAt == nil else { throw RegistryError(.refused, "the record of ticket \(ticketID) is confirmed already") }
            try db.execute(sql: "UPDATE maintenance_records SET confirmed_at = ?, confirmed_by = ? WHERE ticket_id = ?", arguments: [now, actor, ticketID])
            try Self.appendAudit(db, at: now, actor: actor, action: "maintenance_record.confirm", subject: "ticket:\(ticketID)", detail: [:])
            record.confirmedAt = now
            record.confirmedBy = actor
            return record
        }
    }
}

extension TicketTransaction {
    /// Technicians by id, for a record's checks.
    public func technicians(_ ids: [String]) throws -> [String: TechnicianRecord] {
        guard !ids.isEmpty else { return [:] }
        let rows = try Row.fetchAll(
            db, sql: "SELECT * FROM technicians WHERE technician_id IN (\(ids.map { _ in "?" }.joined(separator: ",")))", arguments: StatementArguments(ids))
        return Dictionary(rows.map { (($0["technician_id"] as String), TechnicianRecord(row: $0)) }, uniquingKeysWith: { a, _ in a })
    }

    /// The photos among `hashes` that `contractorID` uploaded.
    public func uploadedPhotos(_ hashes: [String], contractorID: String) throws -> Set<String> {
        guard !hashes.isEmpty else { return [] }
        return Set(try String.fetchAll(
            db, sql: "SELECT sha256 FROM photo_uploads WHERE contractor_id = ? AND sha256 IN (\(hashes.map { _ in "?" }.joined(separator: ",")))",
            arguments: [contractorID] + StatementArguments(hashes)))
    }

    /// Of `hashes`, how many another record names already or were first uploaded before `openedAt`.
    public func reusedPhotos(_ hashes: [String], contractorID: String, openedAt: Int64, ticketID: Int64) throws -> Int {
        var reused = 0
        for hash in Set(hashes) {
            let named = try Bool.fetchOne(db, sql: """
                SELECT 1 FROM maintenance_records r, json_each(r.photos) p WHERE p.value = ? AND r.ticket_id != ? LIMIT 1
                """, arguments: [hash, ticketID]) ?? false
            let uploaded = try Int64.fetchOne(
                db, sql: "SELECT uploaded_at FROM photo_uploads WHERE sha256 = ? AND contractor_id = ?", arguments: [hash, contractorID])
            if named || (uploaded ?? openedAt) < openedAt { reused += 1 }
        }
        return reused
    }

    /// Per technician, the records whose check-in falls in `[dayStart, dayStart + 1 day)`.
    public func visits(of technicians: [String], dayStart: Int64) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for id in technicians {
            counts[id] = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM maintenance_records r, json_each(r.technicians) t
                WHERE t.value = ? AND r.check_in_at >= ? AND r.check_in_at < ?
                """, arguments: [id, dayStart, dayStart + 86_400_000]) ?? 0
        }
        return counts
    }

    /// Where the elevator's unit is, when its coordinates are known.
    public func unitLocation(elevatorID: String) throws -> VisitPolicy.Point? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT u.lat, u.lon FROM elevators e JOIN units u ON u.unit_id = e.unit_id WHERE e.elevator_id = ?
            """, arguments: [elevatorID]),
            let lat = row["lat"] as Double?, let lon = row["lon"] as Double?
        else { return nil }
        return VisitPolicy.Point(lat: lat, lon: lon)
    }

    public func maintenanceRecord(ticketID: Int64) throws -> MaintenanceRecord? {
        try LiftDatabase.maintenanceRecord(db, ticketID: ticketID)
    }

    /// Stores a record with its audit entry.
    public mutating func insert(_ record: MaintenanceRecord) throws {
        func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try JSONEncoder().encode(value), as: UTF8.self) }
        try db.execute(
            sql: """
                INSERT INTO maintenance_records(ticket_id, client_key, contractor_id, technicians, check_in_at, check_out_at, lat, lon, items, photos,
                  flags, flag_reasons, submitted_at, submitted_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.ticketID, record.clientKey, record.contractorID, try json(record.technicians), record.checkInAt, record.checkOutAt, record.lat,
                record.lon, try json(record.items), try json(record.photos), try json(record.flags), try json(record.flagReasons), record.submittedAt,
                record.submittedBy,
            ])
        try LiftDatabase.appendAudit(db, at: record.submittedAt, actor: record.submittedBy, action: "maintenance_record.submit", subject: "ticket:\(record.ticketID)", detail: [
            "technicians": record.technicians.joined(separator: ","), "check_in_at": String(record.checkInAt), "check_out_at": String(record.checkOutAt),
            "photos": record.photos.joined(separator: ","), "flags": record.flags.map(\.rawValue).joined(separator: ","),
        ])
    }
}

extension MaintenanceRecord {
    init(row: Row) {
        func decode<T: Decodable>(_ type: T.Type, _ text: String?) -> T? { text.flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) } }
        ticketID = row["ticket_id"]
        clientKey = row["client_key"]
        contractorID = row["contractor_id"]
        technicians = decode([String].self, row["technicians"]) ?? []
        checkInAt = row["check_in_at"]
        checkOutAt = row["check_out_at"]
        lat = row["lat"]
        lon = row["lon"]
        items = decode([ChecklistEntry].self, row["items"]) ?? []
        photos = decode([String].self, row["photos"]) ?? []
        flags = decode([VisitFlag].self, row["flags"]) ?? []
        flagReasons = decode([String].self, row["flag_reasons"]) ?? []
        submittedAt = row["submitted_at"]
        submittedBy = row["submitted_by"]
        confirmedAt = row["confirmed_at"]
        confirmedBy = row["confirmed_by"]
    }
}
