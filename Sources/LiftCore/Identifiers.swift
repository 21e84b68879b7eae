/// Validation of the identifiers of the public contract (spec section 1).
public enum Identifier {
    /// `[A-Za-z0-9_-]{1,64}`: elevator, unit and contractor ids.
    public static func isValidID<S: StringProtocol>(_ text: S) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= 64 else { return false }
        return utf8.allSatisfy(isIDByte)
    }

    /// One byte of an id: `[A-Za-z0-9_-]`.
    static func isIDByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
    }

    /// Six digits: a GB/T 2260 administrative division code.
    public static func isValidRegion<S: StringProtocol>(_ text: S) -> Bool {
        text.utf8.count == 6 && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// A region prefix: 2, 4 or 6 digits (province, city, district), as the SLA configuration takes.
    public static func isValidRegionPrefix<S: StringProtocol>(_ text: S) -> Bool {
        [2, 4, 6].contains(text.utf8.count) && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// A place prefix for scopes and filters: a code of any of the programme's five levels (`PlaceCode`).
    public static func isValidPlacePrefix<S: StringProtocol>(_ text: S) -> Bool { PlaceCode(text) != nil }

    /// A unit's area code: a street (9 digits) or community (12) code inside `region`.
    public static func isValidAreaCode(_ text: String, in region: String) -> Bool {
        guard let place = PlaceCode(text) else { return false }
        return place.level >= .street && place.code.hasPrefix(region)
    }
}
