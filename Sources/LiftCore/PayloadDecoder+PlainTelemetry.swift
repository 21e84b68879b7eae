extension PayloadDecoder {
    /// Decodes the common telemetry payload straight from its bytes, or returns nil for the general path.
    ///
    /// Nearly every message on the wire is one telemetry object with the contract's own fields, ASCII strings and
    /// valid values. The general path builds a `FlatJSONObject` (a `String` per key and per string value, an array
    /// of fields) and then looks each key up; this one reads the bytes once into a `TelemetrySample`, matching keys
    /// and enumeration values as bytes. It gives up (nil) on anything else: an array, an unknown or repeated key,
    /// an escape or non-ASCII byte in a string, a nested value, a wrong type, a value out of range, a missing `seq`
    /// or `ts`, malformed JSON. The general path then decodes the payload, or rejects it with its own message, so a
    /// non-nil result is always the sample the general path would give (checked by the fuzz target and by
    /// `CodecPropertyTests` on encoded and edited payloads).
    func plainTelemetry(_ payload: [UInt8], now: Int64) -> TelemetrySample? {
        payload.withUnsafeBufferPointer { buffer in
            var reader = FlatJSON.Reader(bytes: buffer)
            return reader.plainTelemetry(latestTimestamp: now + Self.maximumFutureSkewMs)
        }
    }
}

extension FlatJSON.Reader {
    /// See `PayloadDecoder.plainTelemetry(_:now:)`.
    mutating func plainTelemetry(latestTimestamp: Int64) -> TelemetrySample? {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        var sample = TelemetrySample(seq: 0, ts: 0)
        var seen: UInt32 = 0
        var previous = -1
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = plainString(),
                let field = PlainTelemetryField.match(key, after: previous)
            else { return nil }
            previous = field.rawValue
            guard seen & field.bit == 0 else { return nil }
            seen |= field.bit
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            skipWhitespace()
            guard index < bytes.count else { return nil }
            switch field {
            case .seq:
                guard case .integer(let seq)? = plainNumber(), PayloadDecoder.sequenceRange.contains(seq) else { return nil }
                sample.seq = UInt64(seq)
            case .ts:
                guard case .integer(let ts)? = plainNumber(), ts >= 0, ts <= latestTimestamp else { return nil }
                sample.ts = ts
            case .floor:
                if plainNull() { break }
                guard case .integer(let floor)? = plainNumber(), TelemetryField.floorRange.contains(floor) else { return nil }
                sample.floor = Int(floor)
            case .occupied:
                if plainNull() { break }
                guard let flag = plainBoolean() else { return nil }
                sample.occupied = flag
            case .direction: guard plainEnumeration(PlainTelemetryField.directions, into: &sample.direction) else { return nil }
            case .door: guard plainEnumeration(PlainTelemetryField.doorStates, into: &sample.door) else { return nil }
            case .mode: guard plainEnumeration(PlainTelemetryField.modes, into: &sample.mode) else { return nil }
            case .power: guard plainEnumeration(PlainTelemetryField.powerSources, into: &sample.power) else { return nil }
            case .speed: guard plainMeasure(into: &sample.speed, range: TelemetryField.speed.range) else { return nil }
            case .loadKg: guard plainMeasure(into: &sample.loadKg, range: TelemetryField.loadKg.range) else { return nil }
            case .motorTempC: guard plainMeasure(into: &sample.motorTempC, range: TelemetryField.motorTempC.range) else { return nil }
            case .cabinTempC: guard plainMeasure(into: &sample.cabinTempC, range: TelemetryField.cabinTempC.range) else { return nil }
            case .vibrationMg: guard plainMeasure(into: &sample.vibrationMg, range: TelemetryField.vibrationMg.range) else { return nil }
            case .levelErrorMm: guard plainMeasure(into: &sample.levelErrorMm, range: TelemetryField.levelErrorMm.range) else { return nil }
            case .doorCloseMs: guard plainMeasure(into: &sample.doorCloseMs, range: TelemetryField.doorCloseMs.range) else { return nil }
            }
            skipWhitespace()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            guard bytes[index] == UInt8(ascii: "}") else { return nil }
            index += 1
            break
        }
        skipWhitespace()
        let required = PlainTelemetryField.seq.bit | PlainTelemetryField.ts.bit
        guard index == bytes.count, seen & required == required else { return nil }
        return sample
    }

    /// The bytes of a string without escapes or non-ASCII bytes (the reader is on its opening quote), or nil.
    private mutating func plainString() -> UnsafeBufferPointer<UInt8>? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var end = start
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") {
                index = end + 1
                return UnsafeBufferPointer(rebasing: bytes[start..<end])
            }
            // An escape, a control character or UTF-8: the general path's business.
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { return nil }
            end += 1
        }
        return nil
    }

    /// A number as the general reader reads it, or nil for anything else (including an invalid number).
    private mutating func plainNumber() -> JSONScalar? {
        let byte = bytes[index]
        guard byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39) else { return nil }
        return try? number()
    }

    /// A number field: null leaves it nil; a number in `range` is stored; false for anything else.
    private mutating func plainMeasure(into field: inout Double?, range: ClosedRange<Double>) -> Bool {
        if plainNull() { return true }
        let value: Double
        switch plainNumber() {
        case .integer(let integer)?: value = Double(integer)
        case .number(let number)?: value = number
        default: return false
        }
        guard range.contains(value) else { return false }
        field = value
        return true
    }

    /// An enumeration field: null leaves it nil; one of `names` is stored; false for anything else.
    private mutating func plainEnumeration<Value>(_ names: ByteNames<Value>, into field: inout Value?) -> Bool {
        if plainNull() { return true }
        guard let value = plainString().flatMap(names.match) else { return false }
        field = value
        return true
    }

    private mutating func plainNull() -> Bool {
        guard bytes[index] == UInt8(ascii: "n") else { return false }
        return (try? literal("null")) != nil
    }

    private mutating func plainBoolean() -> Bool? {
        switch bytes[index] {
        case UInt8(ascii: "t"): return (try? literal("true")) != nil ? true : nil
        case UInt8(ascii: "f"): return (try? literal("false")) != nil ? false : nil
        default: return nil
        }
    }
}

/// The keys of a telemetry object (spec section 3), matched as bytes on the plain path.
enum PlainTelemetryField: Int, CaseIterable {
    // In the order controllers (and `PayloadEncoder`) write them, where matching starts after the previous key;
    // after `seq` and `ts`, the order of `TelemetryField` (see `names`).
    case seq, ts, floor, direction, speed, loadKg, door, mode, occupied, motorTempC, cabinTempC, vibrationMg
    case levelErrorMm, doorCloseMs, power

    var bit: UInt32 { 1 << UInt32(rawValue) }

    /// Wire names by raw value: `seq`, `ts`, then `TelemetryField`'s, whose cases come in the same order.
    static let names: [[UInt8]] = [Array("seq".utf8), Array("ts".utf8)] + TelemetryField.allCases.map { Array($0.rawValue.utf8) }

    /// The field named by `key`, trying first the one after `previous` (the usual order), then all.
    static func match(_ key: UnsafeBufferPointer<UInt8>, after previous: Int) -> PlainTelemetryField? {
        let count = allCases.count
        for step in 1...count {
            let candidate = (previous + step) % count
            if names[candidate].withUnsafeBufferPointer({ $0.elementsEqual(key) }) { return PlainTelemetryField(rawValue: candidate) }
        }
        return nil
    }

    static let directions = ByteNames<Direction>()
    static let doorStates = ByteNames<DoorState>()
    static let modes = ByteNames<ServiceMode>()
    static let powerSources = ByteNames<PowerSource>()
}

/// The wire names of an enumeration's cases as bytes, to match a string without making a `String` of it.
struct ByteNames<Value: RawRepresentable & CaseIterable & Sendable>: Sendable where Value.RawValue == String {
    let entries: [(name: [UInt8], value: Value)] = Value.allCases.map { (Array($0.rawValue.utf8), $0) }

    func match(_ bytes: UnsafeBufferPointer<UInt8>) -> Value? {
        for entry in entries where entry.name.withUnsafeBufferPointer({ $0.elementsEqual(bytes) }) { return entry.value }
        return nil
    }
}
