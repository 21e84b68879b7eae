/// A place of the programme's five levels of government, by its code: province (2 digits), city (4), district
/// (6, GB/T 2260, the contract's `region`), street (9) and community (12, the statistical area codes).
///
/// Every code starts with the codes of the places above it, so "inside" is "starts with": a scope or filter of
/// any level matches a unit's `place` (its area code, else its region).
public struct PlaceCode: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public enum Level: Int, Sendable, Hashable, Codable, CaseIterable, Comparable {
        case province = 2
        case city = 4
        case district = 6
        case street = 9
        case community = 12

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        /// The level below, nil for a community.
        public var below: Level? { Level.allCases.first { $0 > self } }

        /// The Chinese name of the level (省, 市, 区县, 街道乡镇, 社区村).
        public var chineseName: String {
            switch self {
            case .province: "省"
            case .city: "市州"
            case .district: "县市区"
            case .street: "街道乡镇"
            case .community: "社区村"
            }
        }
    }

    /// The digits.
    public let code: String
    public let level: Level

    /// Nil unless `text` is 2, 4, 6, 9 or 12 ASCII digits.
    public init?<S: StringProtocol>(_ text: S) {
        guard let level = Level(rawValue: text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        self.code = String(text)
        self.level = level
    }

    public var description: String { code }

    /// Whether `place` (a code of any level, e.g. a unit's area code) lies inside this place or is it.
    public func contains<S: StringProtocol>(_ place: S) -> Bool { place.hasPrefix(code) }

    /// The place of `level` this one lies in (itself at its own level); nil below its level.
    public func ancestor(at level: Level) -> PlaceCode? {
        guard level <= self.level else { return nil }
        return PlaceCode(code.prefix(level.rawValue))
    }

    /// The district (6-digit region) it lies in, when it is a district or below.
    public var region: String? { ancestor(at: .district)?.code }

    public static func < (lhs: PlaceCode, rhs: PlaceCode) -> Bool { lhs.code < rhs.code }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let place = PlaceCode(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\"\(text)\" is not a place code of 2, 4, 6, 9 or 12 digits"))
        }
        self = place
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}
