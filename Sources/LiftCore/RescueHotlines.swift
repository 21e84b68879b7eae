/// The rescue hotline residents are told to call, per region: a province's own (Hunan: 96366) or the national
/// 96333. Regions are place prefixes; the longest one matching an elevator's place wins.
public struct RescueHotlines: Sendable, Hashable {
    public var national: String
    /// Place prefix (2, 4 or 6 digits) → number.
    public var byRegion: [String: String]

    public init(national: String = "96333", byRegion: [String: String] = ["43": "96366"]) {
        self.national = national
        self.byRegion = byRegion
    }

    /// The number for an elevator in `place`.
    public func number(for place: String) -> String {
        byRegion.filter { place.hasPrefix($0.key) }.max { $0.key.count < $1.key.count }?.value ?? national
    }

    /// A configured "PREFIX:NUMBER" (`43:96366`), or nil when it is not one: a place prefix of 2, 4 or 6 digits
    /// and a number that can be dialled.
    public static func entry(_ text: String) -> (prefix: String, number: String)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, Identifier.isValidRegionPrefix(parts[0]), isValidNumber(parts[1]) else { return nil }
        return (parts[0], parts[1])
    }

    /// Whether `text` can be dialled: 3 to 16 digits.
    public static func isValidNumber(_ text: String) -> Bool {
        (3...16).contains(text.count) && text.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
