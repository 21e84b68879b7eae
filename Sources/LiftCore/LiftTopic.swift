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
        // Every message passes here: a valid topic is read from its bytes in one pass; anything else takes the
        // general path below, which says what is wrong.
        if let parsed = topic.utf8.withContiguousStorageIfAvailable(plain), let parsed { return .success(parsed) }
        return parseInGeneral(topic)
    }

    /// `parse(_:)` without the byte-level path: the reference that path is checked against.
    static func parseInGeneral(_ topic: String) -> Result<LiftTopic, Rejection> {
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

    /// A valid topic read from its bytes, or nil (for `parse(_:)` to say why). Accepts exactly what `parse` accepts.
    static func plain(_ bytes: UnsafeBufferPointer<UInt8>) -> LiftTopic? {
        // "lift/" + 6 digits + "/" + 1…64 id bytes + "/" + kind
        guard bytes.count >= 14, bytes[0] == UInt8(ascii: "l"), bytes[1] == UInt8(ascii: "i"), bytes[2] == UInt8(ascii: "f"),
            bytes[3] == UInt8(ascii: "t"), bytes[4] == UInt8(ascii: "/"), bytes[11] == UInt8(ascii: "/")
        else { return nil }
        for index in 5..<11 where !(bytes[index] >= 0x30 && bytes[index] <= 0x39) { return nil }
        var end = 12
        while end < bytes.count, bytes[end] != UInt8(ascii: "/") {
            guard Identifier.isIDByte(bytes[end]) else { return nil }
            end += 1
        }
        guard end < bytes.count, end > 12, end - 12 <= 64 else { return nil }
        let kindBytes = UnsafeBufferPointer(rebasing: bytes[(end + 1)...])
        guard let kind = kindNames.match(kindBytes) else { return nil }
        return LiftTopic(
            region: String(decoding: UnsafeBufferPointer(rebasing: bytes[5..<11]), as: UTF8.self),
            elevatorID: String(decoding: UnsafeBufferPointer(rebasing: bytes[12..<end]), as: UTF8.self), kind: kind)
    }

    private static let kindNames = ByteNames<Kind>()

    public var description: String { "lift/\(region)/\(elevatorID)/\(kind.rawValue)" }
}

/// MQTT topic filters (MQTT 3.1.1 §4.7): levels split by `/`; `+` a whole level; `#` a whole level and the last.
public enum TopicFilter {
    /// Why `filter` is not a valid topic filter, or nil when it is.
    public static func problem(_ filter: String) -> String? {
        guard !filter.isEmpty else { return "a filter cannot be empty" }
        guard filter.utf8.count <= 65_535 else { return "a filter is at most 65,535 bytes" }
        guard !filter.unicodeScalars.contains("\u{0}") else { return "a filter cannot contain NUL" }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (index, level) in levels.enumerated() {
            if level.contains("+") && level != "+" { return "'+' must be a whole level, not part of \"\(level)\"" }
            if level.contains("#") {
                guard level == "#" else { return "'#' must be a whole level, not part of \"\(level)\"" }
                guard index == levels.count - 1 else { return "'#' must be the last level" }
            }
        }
        return nil
    }
}
