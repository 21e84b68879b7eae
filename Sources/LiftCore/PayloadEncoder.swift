/// Writes controller payloads as the contract's JSON (spec section 3). Used by the simulators and tests.
///
/// Field order is fixed and numbers are printed in their shortest round-trip form, so the same value
/// always gives the same bytes (the simulators' determinism relies on it).
public enum PayloadEncoder {
    public static func encode(_ sample: TelemetrySample) -> [UInt8] {
        Array(object(sample).utf8)
    }

    public static func encode(_ samples: [TelemetrySample]) -> [UInt8] {
        Array(("[" + samples.map(object).joined(separator: ",") + "]").utf8)
    }

    public static func encode(_ event: ElevatorEvent) -> [UInt8] {
        var writer = JSONObjectWriter()
        writer.integer("seq", Int64(event.seq))
        writer.integer("ts", event.ts)
        writer.string("kind", event.kind.rawValue)
        writer.string("code", event.code)
        writer.string("state", event.state?.rawValue)
        writer.integer("floor", event.floor.map(Int64.init))
        writer.string("detail", event.detail)
        writer.string("technician", event.technician)
        writer.bool("occupied", event.occupied)
        writer.number("speed", event.speed)
        return Array(writer.finish().utf8)
    }

    public static func encode(_ stats: CounterStats) -> [UInt8] {
        var writer = JSONObjectWriter()
        writer.integer("seq", Int64(stats.seq))
        writer.integer("ts", stats.ts)
        writer.integer("trips", stats.trips)
        writer.integer("door_cycles", stats.doorCycles)
        writer.number("run_hours", stats.runHours)
        return Array(writer.finish().utf8)
    }

    public static func encode(_ status: StatusReport) -> [UInt8] {
        var writer = JSONObjectWriter()
        writer.string("state", status.state.rawValue)
        writer.integer("seq", status.seq.map(Int64.init))
        writer.integer("ts", status.ts)
        writer.string("firmware", status.firmware)
        return Array(writer.finish().utf8)
    }

    /// The replay request LiftWatch publishes on `lift/{region}/{elevator_id}/replay`.
    public static func replayRequest(from: UInt64, to: UInt64) -> [UInt8] {
        Array("{\"from_seq\":\(from),\"to_seq\":\(to)}".utf8)
    }

    private static func object(_ sample: TelemetrySample) -> String {
        var writer = JSONObjectWriter()
        writer.integer("seq", Int64(sample.seq))
        writer.integer("ts", sample.ts)
        writer.integer("floor", sample.floor.map(Int64.init))
        writer.string("direction", sample.direction?.rawValue)
        writer.number("speed", sample.speed)
        writer.number("load_kg", sample.loadKg)
        writer.string("door", sample.door?.rawValue)
        writer.string("mode", sample.mode?.rawValue)
        writer.bool("occupied", sample.occupied)
        writer.number("motor_temp_c", sample.motorTempC)
        writer.number("cabin_temp_c", sample.cabinTempC)
        writer.number("vibration_mg", sample.vibrationMg)
        writer.number("level_error_mm", sample.levelErrorMm)
        writer.number("door_close_ms", sample.doorCloseMs)
        writer.string("power", sample.power?.rawValue)
        return writer.finish()
    }
}

/// Builds one compact JSON object, fields in the order written; nil values are left out.
public struct JSONObjectWriter: Sendable {
    private var text = "{"
    private var first = true

    public init() {}

    /// A flat object of strings with its keys in code-point order: what `JSONSerialization` gives with
    /// `.sortedKeys` and `.withoutEscapingSlashes`, without its locale-aware sort (a third of an import's time).
    public static func sorted(_ object: [String: String]) -> String {
        var writer = JSONObjectWriter()
        for key in object.keys.sorted() { writer.string(key, object[key]) }
        return writer.finish()
    }

    private mutating func key(_ name: String) {
        if !first { text += "," }
        first = false
        Self.append(quoted: name, to: &text)
        text += ":"
    }

    private static func append(quoted value: String, to text: inout String) {
        text += "\""
        // Most values need no escaping: copy them whole.
        guard value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            text += value
            text += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    public mutating func integer(_ name: String, _ value: Int64?) {
        guard let value else { return }
        key(name)
        text += String(value)
    }

    public mutating func number(_ name: String, _ value: Double?) {
        guard let value else { return }
        key(name)
        if value == value.rounded(), abs(value) < 1e15 {
            text += String(Int64(value))
        } else {
            text += "\(value)"
        }
    }

    public mutating func bool(_ name: String, _ value: Bool?) {
        guard let value else { return }
        key(name)
        text += value ? "true" : "false"
    }

    public mutating func string(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        Self.append(quoted: value, to: &text)
    }

    public func finish() -> String { text + "}" }
}
