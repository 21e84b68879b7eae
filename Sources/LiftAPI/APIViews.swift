import Foundation
import LiftCore
import LiftStore

/// An elevator as the API shows it (spec section 9).
struct ElevatorView: Codable, Sendable {
    var elevatorID: String
    var unitID: String?
    var region: String
    var contractorID: String?
    var stage: String
    var online: Bool
    var lastSeen: Int64?
    var health: Health
    var openTickets: [Int64]
    var commissionedOn: String?
    var onDemand: Bool
    var platform: String
    var terminalID: String?
    var firmware: String?
    /// Ingestion counters (received, duplicates, rejected, gaps, replayed, lost, open gaps); null before
    /// the elevator's first message.
    var ingest: IngestCounters?
    /// The code in the car the rescue hotline asks for, and the property manager (使用单位) answering for it.
    var rescueCode: String?
    var propertyManagerID: String?

    enum CodingKeys: String, CodingKey {
        case elevatorID = "elevator_id", unitID = "unit_id", region, contractorID = "contractor_id", stage, online, lastSeen = "last_seen"
        case health, openTickets = "open_tickets", commissionedOn = "commissioned_on", onDemand = "on_demand", platform
        case terminalID = "terminal_id", firmware, ingest, rescueCode = "rescue_code", propertyManagerID = "property_manager_id"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(elevatorID, forKey: .elevatorID)
        try c.encode(unitID, forKey: .unitID)
        try c.encode(region, forKey: .region)
        try c.encode(contractorID, forKey: .contractorID)
        try c.encode(stage, forKey: .stage)
        try c.encode(online, forKey: .online)
        try c.encode(lastSeen, forKey: .lastSeen)
        try c.encode(health, forKey: .health)
        try c.encode(openTickets, forKey: .openTickets)
        try c.encode(commissionedOn, forKey: .commissionedOn)
        try c.encode(onDemand, forKey: .onDemand)
        try c.encode(platform, forKey: .platform)
        try c.encode(terminalID, forKey: .terminalID)
        try c.encode(firmware, forKey: .firmware)
        try c.encode(ingest, forKey: .ingest)
        try c.encode(rescueCode, forKey: .rescueCode)
        try c.encode(propertyManagerID, forKey: .propertyManagerID)
    }
}

/// A unit as the API shows it.
struct UnitView: Codable, Sendable {
    var unitID: String
    var region: String
    var address: String
    var lat: Double?
    var lon: Double?
    var floors: Int?
    var rating: SurveyRating?
    var stage: LifecycleStage
    var elevatorIDs: [String]
    var areaCode: String?
    var estateID: String?
    var estateName: String?
    var building: String?
    var unitNumber: String?
    var households: Int?

    enum CodingKeys: String, CodingKey {
        case unitID = "unit_id", region, address, lat, lon, floors, rating, stage, elevatorIDs = "elevator_ids"
        case areaCode = "area_code", estateID = "estate_id", estateName = "estate_name", building, unitNumber = "unit_no", households
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(unitID, forKey: .unitID)
        try c.encode(region, forKey: .region)
        try c.encode(address, forKey: .address)
        try c.encode(lat, forKey: .lat)
        try c.encode(lon, forKey: .lon)
        try c.encode(floors, forKey: .floors)
        try c.encode(rating, forKey: .rating)
        try c.encode(stage, forKey: .stage)
        try c.encode(elevatorIDs, forKey: .elevatorIDs)
        try c.encode(areaCode, forKey: .areaCode)
        try c.encode(estateID, forKey: .estateID)
        try c.encode(estateName, forKey: .estateName)
        try c.encode(building, forKey: .building)
        try c.encode(unitNumber, forKey: .unitNumber)
        try c.encode(households, forKey: .households)
    }
}

/// A page of a list: `{"items":[…],"next":CURSOR_OR_NULL}`.
struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    var items: [Item]
    var next: String?

    enum CodingKeys: String, CodingKey { case items, next }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(items, forKey: .items)
        try c.encode(next, forKey: .next)
    }
}

/// Opaque list cursors: the last key of a page, base64url-encoded.
enum Cursor {
    static func make(_ key: String) -> String {
        Data(key.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func read(_ cursor: String?) throws -> String? {
        guard let cursor, !cursor.isEmpty else { return nil }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        // Every cursor this API hands out encodes an id (a row number or an elevator id) or a place and a unit id.
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-~".utf8)
        guard cursor.count <= 128, let data = Data(base64Encoded: base64), let key = String(data: data, encoding: .utf8),
            (1...80).contains(key.utf8.count), key.utf8.allSatisfy(allowed.contains)
        else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "cursor: not a cursor this API returned")
        }
        return key
    }

    /// A units cursor: `place~unit_id`, where the last page ended.
    static func unitPosition(_ key: String) throws -> UnitPosition {
        let parts = key.split(separator: "~", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].allSatisfy(\.isNumber), Identifier.isValidID(String(parts[1])) else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "cursor: not a cursor this API returned")
        }
        return UnitPosition(place: String(parts[0]), unitID: String(parts[1]))
    }
}
