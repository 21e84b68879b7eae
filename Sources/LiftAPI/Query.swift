import Hummingbird
import LiftCore

/// A request's query parameters, validated: unknown names, malformed values and out-of-range numbers are
/// refused with a 400 naming the parameter.
struct Query {
    let values: [String: String]

    init(_ request: Request, allowed: Set<String>) throws {
        var values: [String: String] = [:]
        for (name, value) in request.uri.queryParameters {
            let key = String(name)
            guard allowed.contains(key) else {
                let known = allowed.isEmpty ? "this route takes none" : "known: \(allowed.sorted().joined(separator: ", "))"
                throw APIError(.badRequest, code: "invalid_parameter", message: "\(key): unknown parameter (\(known))")
            }
            guard values[key] == nil else { throw APIError(.badRequest, code: "invalid_parameter", message: "\(key): given more than once") }
            values[key] = String(value)
        }
        self.values = values
    }

    subscript(_ name: String) -> String? { values[name].flatMap { $0.isEmpty ? nil : $0 } }

    func fail(_ name: String, _ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_parameter", message: "\(name): \(message)")
    }

    /// A place prefix of any of the five levels: province, city, district, street or community (`PlaceCode`).
    func regionPrefix(_ name: String) throws -> String? {
        guard let value = self[name] else { return nil }
        guard Identifier.isValidPlacePrefix(value) else {
            throw fail(name, "expected a place code of 2, 4, 6, 9 or 12 digits (province, city, district, street, community), got \"\(value)\"")
        }
        return value
    }

    func id(_ name: String) throws -> String? {
        guard let value = self[name] else { return nil }
        guard Identifier.isValidID(value) else { throw fail(name, "expected an id of [A-Za-z0-9_-]{1,64}, got \"\(value)\"") }
        return value
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_ name: String, _ type: E.Type) throws -> E? where E.RawValue == String {
        guard let value = self[name] else { return nil }
        guard let parsed = E(rawValue: value) else {
            throw fail(name, "expected one of \(E.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(value)\"")
        }
        return parsed
    }

    /// A comma-separated list of enumeration values.
    func enumerations<E: RawRepresentable & CaseIterable>(_ name: String, _ type: E.Type) throws -> [E]? where E.RawValue == String {
        guard let value = self[name] else { return nil }
        return try value.split(separator: ",").map { part in
            guard let parsed = E(rawValue: String(part)) else {
                throw fail(name, "expected one or more of \(E.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(part)\"")
            }
            return parsed
        }
    }

    func integer(_ name: String, range: ClosedRange<Int64>) throws -> Int64? {
        guard let value = self[name] else { return nil }
        guard let number = Int64(value), range.contains(number) else {
            throw fail(name, "expected an integer from \(range.lowerBound) to \(range.upperBound), got \"\(value)\"")
        }
        return number
    }

    /// A time in epoch milliseconds (the contract's only time format).
    func time(_ name: String) throws -> Int64? {
        try integer(name, range: 0...32_503_680_000_000)
    }

    /// `limit`: 1…1000, default 100.
    func limit() throws -> Int { Int(try integer("limit", range: 1...1_000) ?? 100) }
}
