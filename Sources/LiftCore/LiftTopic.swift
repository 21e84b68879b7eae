/// A topic under `lift/{region}/{elevator_id}/{kind}` (spec section 2).
public struct LiftTopic: Sendable, Hashable, CustomStringConvertible {
    /// The last level of a controller topic.
    public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
        case telemetry, event, stats, status, replay
    }

    public var region: String
    public var elevatorID: String
    public var kind: Kind

    public init(region: String, elevatorID: String, kind: Kind) {
        self.region = region
        self.elevatorID = elevatorID
        self.kind = kind
    }

    /// Parses a topic name; nil when it is outside the scheme.
    public init?(_ topic: String) {
        guard case .success(let parsed) = LiftTopic.parse(topic) else { return nil }
        self = parsed
    }

    /// The 6-digit region of a `lift/{region}/…` topic, even one that is otherwise malformed; nil when there is none.
    public static func regionOf(_ topic: String) -> String? {
        let parts = topic.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "lift", Identifier.isValidRegion(parts[1]) else { return nil }
        return String(parts[1])
    }

    /// Parses a topic name, saying what is wrong with it when it is outside the scheme.
    public static func parse(_ topic: String) -> Result<LiftTopic, Rejection> {
        let parts = topic.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].elementsEqual("lift".utf8) else {
            return .failure(Rejection(.topic, "topic \"\(topic.prefix(200))\" is not lift/{region}/{elevator_id}/{kind}"))
        }
        guard let region = String(parts[1]), Identifier.isValidRegion(region) else {
            return .failure(Rejection(.region, "region in topic \"\(topic.prefix(200))\" is not 6 digits"))
        }
        guard let elevator = String(parts[2]), Identifier.isValidID(elevator) else {
            return .failure(Rejection(.topic, "elevator id in topic \"\(topic.prefix(200))\" is not [A-Za-z0-9_-]{1,64}"))
        }
        guard let kindText = String(parts[3]), let kind = Kind(rawValue: kindText) else {
            return .failure(Rejection(.topic, "topic kind in \"\(topic.prefix(200))\" is not telemetry, event, stats or status"))
        }
        return .success(LiftTopic(region: region, elevatorID: elevator, kind: kind))
    }

    public var description: String { "lift/\(region)/\(elevatorID)/\(kind.rawValue)" }
}
