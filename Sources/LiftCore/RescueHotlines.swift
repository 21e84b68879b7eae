/// The rescue hotline residents are told to call, per region: a province's own (Hunan: 96366) or the national
/// 96333. Regions are place prefixes; the longest one matching an elevator's place wins.
public struct RescueHotlines: Sendable, Hashable {
    public var national: String
    /// Place prefix (2, 4 or 6 digits) → number.
    public var byRegion: [String: String]
    /// Place prefix → how many digits the rescue code printed in each car has there (Hunan: 6). Where no prefix
    /// matches, a code of 4 to 12 digits is taken.
    public var codeDigits: [String: Int]

    public init(national: String = "96333", byRegion: [String: String] = ["43": "96366"], codeDigits: [String: Int] = ["43": 6]) {
        self.national = national
        self.byRegion = byRegion
        self.codeDigits = codeDigits
    }

    /// Why `code` cannot be the rescue code of an elevator in `place`, or nil when it can: digits only, as many as
    /// the place's platform uses.
    public func codeProblem(_ code: String, place: String) -> String? {
        let digits = codeDigits.filter { place.hasPrefix($0.key) }.max { $0.key.count < $1.key.count }?.value
        guard code.allSatisfy({ $0.isASCII && $0.isNumber }) else { return "a rescue code is digits only" }
        if let digits {
            return code.count == digits ? nil : "a rescue code in \(place.prefix(6)) has \(digits) digits, got \(code.count)"
        }
        return (4...12).contains(code.count) ? nil : "a rescue code has 4 to 12 digits, got \(code.count)"
    }

    /// A configured "PREFIX:DIGITS" (`43:6`) of the rescue codes' length, or nil when it is not one.
    public static func codeDigitsEntry(_ text: String) -> (prefix: String, digits: Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, Identifier.isValidRegionPrefix(parts[0]), let digits = Int(parts[1]), (4...12).contains(digits) else { return nil }
        return (parts[0], digits)
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
