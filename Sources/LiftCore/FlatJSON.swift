/// A JSON value as LiftWatch's payloads use them: scalars, with nested values only skipped.
public enum JSONScalar: Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case null
    /// An object or array inside an object: LiftWatch reads none, so it is validated and skipped.
    case nested

    /// A short name of the JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .string: "a string"
        case .integer, .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        case .nested: "an object or array"
        }
    }
}

/// A JSON object whose fields are read as scalars, in document order.
public struct FlatJSONObject: Sendable, Hashable {
    public var fields: [(key: String, value: JSONScalar)]

    public subscript(key: String) -> JSONScalar? {
        for field in fields where field.key == key { return field.value }
        return nil
    }

    public static func == (lhs: FlatJSONObject, rhs: FlatJSONObject) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for field in fields {
            hasher.combine(field.key)
            hasher.combine(field.value)
        }
    }
}

/// The top of a payload: one object, or an array of objects (telemetry batches).
public enum FlatJSONDocument: Sendable, Hashable {
    case object(FlatJSONObject)
    case array([FlatJSONObject])
}

/// A strict RFC 8259 reader for the flat objects of the MQTT contract.
///
/// Payload parsing is on the ingest hot path. Foundation's `JSONSerialization` builds a dictionary of boxed
/// values per message; this reader walks the bytes once, keeps fields in order, skips nested values it does
/// not need (after checking them), and reports the byte offset of the first error.
public enum FlatJSON {
    /// Nesting deeper than this is refused, so a hostile payload cannot exhaust the stack.
    public static let maximumDepth = 32

    /// Parses a whole payload.
    /// - Throws: `Rejection` with reason `.json` naming the offset and what was expected.
    public static func parse(_ bytes: [UInt8]) throws(Rejection) -> FlatJSONDocument {
        let result: Result<FlatJSONDocument, Rejection> = bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer)
            do throws(Rejection) {
                let document = try reader.document()
                return .success(document)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        func fail(_ expected: String) -> Rejection {
            if index >= bytes.count {
                return Rejection(.json, "invalid JSON: unexpected end of input, expected \(expected)")
            }
            return Rejection(.json, "invalid JSON at byte \(index): expected \(expected)")
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func document() throws(Rejection) -> FlatJSONDocument {
            skipWhitespace()
            guard index < bytes.count else { throw Rejection(.json, "invalid JSON: empty payload") }
            let document: FlatJSONDocument
            if bytes[index] == UInt8(ascii: "{") {
                document = .object(try object())
            } else if bytes[index] == UInt8(ascii: "[") {
                index += 1
                var objects: [FlatJSONObject] = []
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                } else {
                    while true {
                        skipWhitespace()
                        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { throw fail("an object in the array") }
                        objects.append(try object())
                        skipWhitespace()
                        guard index < bytes.count else { throw fail("',' or ']'") }
                        if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                        if bytes[index] == UInt8(ascii: "]") { index += 1; break }
                        throw fail("',' or ']'")
                    }
                }
                document = .array(objects)
            } else {
                throw fail("a JSON object or an array of objects")
            }
            skipWhitespace()
            guard index == bytes.count else { throw fail("end of input") }
            return document
        }

        mutating func object() throws(Rejection) -> FlatJSONObject {
            index += 1  // {
            var fields: [(key: String, value: JSONScalar)] = []
            fields.reserveCapacity(16)
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return FlatJSONObject(fields: fields)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("a field name in quotes") }
                let key = try string()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("':' after \"\(key)\"") }
                index += 1
                skipWhitespace()
                let value = try scalar(depth: 1)
                fields.append((key, value))
                skipWhitespace()
                guard index < bytes.count else { throw fail("',' or '}'") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; break }
                throw fail("',' or '}'")
            }
            return FlatJSONObject(fields: fields)
        }

        mutating func scalar(depth: Int) throws(Rejection) -> JSONScalar {
            guard index < bytes.count else { throw fail("a value") }
            switch bytes[index] {
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                try skipNested(depth: depth)
                return .nested
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return try number()
            default:
                throw fail("a value")
            }
        }

        mutating func literal(_ word: StaticString) throws(Rejection) {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw fail("\(word)") }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
                throw fail("\(word)")
            }
            index += count
        }

        mutating func number() throws(Rejection) -> JSONScalar {
            let start = index
            var negative = false
            if bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
            guard index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 else { throw fail("a digit") }
            var integer: Int64 = 0
            var overflow = false
            if bytes[index] == 0x30 {
                index += 1
            } else {
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                    let (times, o1) = integer.multipliedReportingOverflow(by: 10)
                    let (plus, o2) = times.addingReportingOverflow(Int64(bytes[index] - 0x30))
                    overflow = overflow || o1 || o2
                    integer = plus
                    index += 1
                }
            }
            var isInteger = true
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                guard index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 else { throw fail("a digit after '.'") }
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 else { throw fail("a digit in the exponent") }
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            }
            if isInteger && !overflow {
                return .integer(negative ? -integer : integer)
            }
            if let fast = Self.fastDecimal(UnsafeBufferPointer(rebasing: bytes[start..<index])) {
                return .number(fast)
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let value = Double(text), value.isFinite else { throw fail("a finite number") }
            return .number(value)
        }

        /// Exact powers of ten: every one up to 10^22 is a Double without rounding.
        static let powersOfTen: [Double] = (0...22).map { exponent in (0..<exponent).reduce(1.0) { value, _ in value * 10 } }

        /// Plain decimals such as `-47.25` (no exponent, at most 15 significant digits): the digits as an
        /// integer divided by a power of ten. Both are exact Doubles, so the one division rounds correctly
        /// and gives the same bits as `Double(String)` (Clinger's fast path). Nil sends the rest to the
        /// general conversion.
        static func fastDecimal(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
            var mantissa: Int64 = 0
            var digits = 0
            var fraction = -1
            var negative = false
            for (offset, byte) in text.enumerated() {
                switch byte {
                case UInt8(ascii: "-") where offset == 0: negative = true
                case UInt8(ascii: "."): fraction = 0
                case 0x30...0x39:
                    if mantissa != 0 || byte != 0x30 { digits += 1 }
                    mantissa = mantissa &* 10 &+ Int64(byte - 0x30)
                    if fraction >= 0 { fraction += 1 }
                default: return nil
                }
            }
            guard digits <= 15, fraction >= 0, fraction <= 22 else { return nil }
            let value = Double(mantissa) / powersOfTen[fraction]
            return negative ? -value : value
        }

        mutating func string() throws(Rejection) -> String {
            index += 1  // opening quote
            let start = index
            var ascii = true
            // Fast path: no escapes.
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    index += 1
                    // Keys and enum values are ASCII: nothing to validate, and `String(decoding:)` on a buffer of
                    // bytes is a non-generic fast path (`String(validating:)` showed in the ingest profile).
                    if ascii { return String(decoding: slice, as: UTF8.self) }
                    guard let text = String(validating: slice, as: UTF8.self) else {
                        throw Rejection(.json, "invalid JSON at byte \(start): string is not valid UTF-8")
                    }
                    return text
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { throw fail("no control character inside a string") }
                if byte >= 0x80 { ascii = false }
                index += 1
            }
            var scalars: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    guard let text = String(validating: scalars, as: UTF8.self) else {
                        throw Rejection(.json, "invalid JSON at byte \(start): string is not valid UTF-8")
                    }
                    return text
                }
                if byte < 0x20 { throw fail("no control character inside a string") }
                if byte != UInt8(ascii: "\\") {
                    scalars.append(byte)
                    index += 1
                    continue
                }
                index += 1
                guard index < bytes.count else { throw fail("an escape") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append(0x22)
                case UInt8(ascii: "\\"): scalars.append(0x5C)
                case UInt8(ascii: "/"): scalars.append(0x2F)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("a low surrogate after a high surrogate")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("a low surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(code) {
                        throw fail("no lone low surrogate")
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("a valid code point") }
                    scalars.append(contentsOf: UTF8.encode(scalar)!)
                default:
                    throw fail("a valid escape")
                }
            }
            throw fail("a closing quote")
        }

        mutating func hex4() throws(Rejection) -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail("4 hex digits") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case 0x30...0x39: digit = byte - 0x30
                case 0x41...0x46: digit = byte - 0x41 + 10
                case 0x61...0x66: digit = byte - 0x61 + 10
                default: throw fail("a hex digit")
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        /// Checks and skips an object or array.
        mutating func skipNested(depth: Int) throws(Rejection) {
            guard depth < FlatJSON.maximumDepth else { throw fail("nesting no deeper than \(FlatJSON.maximumDepth)") }
            let isObject = bytes[index] == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == close { index += 1; return }
            while true {
                skipWhitespace()
                if isObject {
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("a field name in quotes") }
                    _ = try string()
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("':'") }
                    index += 1
                    skipWhitespace()
                }
                _ = try scalar(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw fail("',' or a closing bracket") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == close { index += 1; return }
                throw fail("',' or a closing bracket")
            }
        }
    }
}
