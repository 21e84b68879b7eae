import Foundation

/// A span of simulated time, written in scenario files as `1500ms`, `90s`, `5m`, `2h`, `3d` (optionally
/// signed, `+2h`, `-30m`) or as a bare number of seconds.
public struct SimDuration: Sendable, Hashable, Comparable, Decodable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public static func seconds(_ s: Int64) -> SimDuration { .init(milliseconds: s * 1000) }

    public var seconds: Int64 { milliseconds / 1000 }

    /// Parses `90s`, `5m30s`, `-30m`, `1h30m`, `1500ms`; `nil` when the text is not a duration.
    public init?(parsing text: String) {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        var sign: Int64 = 1
        if body.first == "+" { body = body.dropFirst() } else if body.first == "-" { sign = -1; body = body.dropFirst() }
        if let value = Double(body), value >= 0 {
            milliseconds = sign * Int64((value * 1000).rounded())
            return
        }
        let factors: [String: Int64] = ["ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]
        var total = 0.0
        var number = ""
        var unit = ""
        func flush() -> Bool {
            guard let value = Double(number), let factor = factors[unit] else { return false }
            total += value * Double(factor)
            number = ""
            unit = ""
            return true
        }
        for character in body {
            if character.isNumber || character == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(character)
            } else if character.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(character)
            } else {
                return nil
            }
        }
        guard !body.isEmpty, flush() else { return nil }
        milliseconds = sign * Int64(total.rounded())
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let seconds = try? container.decode(Double.self) {
            milliseconds = Int64((seconds * 1000).rounded())
            return
        }
        let text = try container.decode(String.self)
        guard let parsed = SimDuration(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a duration (examples: 90s, 5m, 2h, 3d)")
        }
        self = parsed
    }

    public static func < (a: SimDuration, b: SimDuration) -> Bool { a.milliseconds < b.milliseconds }

    public var description: String {
        let ms = abs(milliseconds), sign = milliseconds < 0 ? "-" : ""
        for (suffix, factor) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] where ms >= factor && ms % factor == 0 {
            return "\(sign)\(ms / factor)\(suffix)"
        }
        return "\(sign)\(ms)ms"
    }
}
