/// Decodes and validates controller payloads against the contract (spec section 3).
///
/// Pure and cheap: no Foundation JSON, no dictionaries. `now` is passed in (the clock is the caller's) to
/// refuse timestamps more than 24 h in the future.
public struct PayloadDecoder: Sendable {
    /// The contract's size limit: 64 KiB.
    public static let maximumPayloadSize = 64 * 1024
    /// How far ahead of our clock a controller timestamp may be.
    public static let maximumFutureSkewMs: Int64 = 24 * 3600 * 1000
    /// The `seq` values a controller may send (v1.1 §11.3): 1 … 2^53 − 1, exact in every JSON reader.
    public static let sequenceRange: ClosedRange<Int64> = 1...(1 << 53 - 1)

    public init() {}

    /// Decodes a payload of the given topic kind.
    /// - Parameters:
    ///   - faultCodes: the elevator's platform numbering, for numeric fault codes.
    ///   - now: epoch milliseconds now, by the caller's clock.
    /// - Throws: `Rejection` saying what is wrong. A telemetry batch with some bad samples does not throw:
    ///   the bad samples come back in `rejected`.
    public func decode(
        kind: LiftTopic.Kind, payload: [UInt8], faultCodes: FaultCodeMap = .standard, now: Int64
    ) throws(Rejection) -> LiftPayload {
        guard payload.count <= Self.maximumPayloadSize else {
            throw Rejection(.tooLarge, "payload of \(payload.count) bytes is over the 64 KiB limit")
        }
        if kind == .telemetry, let sample = plainTelemetry(payload, now: now) {
            return .telemetry([sample], rejected: [])
        }
        return try decodeInGeneral(kind: kind, payload: payload, faultCodes: faultCodes, now: now)
    }

    /// `decode(kind:payload:faultCodes:now:)` without the plain telemetry path: the reference it is checked against.
    func decodeInGeneral(
        kind: LiftTopic.Kind, payload: [UInt8], faultCodes: FaultCodeMap = .standard, now: Int64
    ) throws(Rejection) -> LiftPayload {
        let document = try FlatJSON.parse(payload)
        switch kind {
        case .telemetry:
            let objects: [FlatJSONObject]
            switch document {
            case .object(let object): objects = [object]
            case .array(let array):
                guard !array.isEmpty else { throw Rejection(.json, "telemetry array is empty") }
                objects = array
            }
            var samples: [TelemetrySample] = []
            samples.reserveCapacity(objects.count)
            var rejected: [RejectedSample] = []
            for (index, object) in objects.enumerated() {
                do throws(Rejection) {
                    samples.append(try telemetry(object, now: now))
                } catch {
                    let seq = try? FieldReader(object: object).sequence()
                    rejected.append(RejectedSample(index: index, seq: seq, rejection: error))
                }
            }
            if objects.count == 1, let only = rejected.first { throw only.rejection }
            return .telemetry(samples, rejected: rejected)
        case .event:
            return .event(try event(try single(document, kind), faultCodes: faultCodes, now: now))
        case .stats:
            return .stats(try stats(try single(document, kind), now: now))
        case .status:
            return .status(try status(try single(document, kind), now: now))
        case .replay:
            throw Rejection(.topic, "replay topics are LiftWatch's own requests, not controller messages")
        }
    }

    /// The `seq` numbers a payload carries, read as far as the payload allows; for a message that failed
    /// validation, so that its seq still counts as received (it is not a gap).
    public func sequenceNumbers(in payload: [UInt8]) -> [UInt64] {
        guard payload.count <= Self.maximumPayloadSize, let document = try? FlatJSON.parse(payload) else { return [] }
        switch document {
        case .object(let object): return (try? FieldReader(object: object).sequence()).map { [$0] } ?? []
        case .array(let objects): return objects.compactMap { try? FieldReader(object: $0).sequence() }
        }
    }

    private func single(_ document: FlatJSONDocument, _ kind: LiftTopic.Kind) throws(Rejection) -> FlatJSONObject {
        guard case .object(let object) = document else {
            throw Rejection(.json, "\(kind.rawValue) payload must be a JSON object, not an array")
        }
        return object
    }

    func telemetry(_ object: FlatJSONObject, now: Int64) throws(Rejection) -> TelemetrySample {
        let fields = FieldReader(object: object)
        var sample = TelemetrySample(seq: try fields.sequence(), ts: try fields.timestamp(now: now))
        for (key, value) in object.fields {
            // One hash lookup instead of a chain of string comparisons: this loop is the hot path.
            guard let field = TelemetryField.byName[key] else { continue }  // seq, ts, unknown fields
            switch field {
            case .floor: sample.floor = try fields.integer(key, value, range: TelemetryField.floorRange)
            case .direction: sample.direction = try fields.enumeration(key, value, Direction.self)
            case .speed: sample.speed = try fields.number(key, value, range: field.range)
            case .loadKg: sample.loadKg = try fields.number(key, value, range: field.range)
            case .door: sample.door = try fields.enumeration(key, value, DoorState.self)
            case .mode: sample.mode = try fields.enumeration(key, value, ServiceMode.self)
            case .occupied: sample.occupied = try fields.boolean(key, value)
            case .motorTempC: sample.motorTempC = try fields.number(key, value, range: field.range)
            case .cabinTempC: sample.cabinTempC = try fields.number(key, value, range: field.range)
            case .vibrationMg: sample.vibrationMg = try fields.number(key, value, range: field.range)
            case .levelErrorMm: sample.levelErrorMm = try fields.number(key, value, range: field.range)
            case .doorCloseMs: sample.doorCloseMs = try fields.number(key, value, range: field.range)
            case .power: sample.power = try fields.enumeration(key, value, PowerSource.self)
            }
        }
        return sample
    }

    func event(_ object: FlatJSONObject, faultCodes: FaultCodeMap, now: Int64) throws(Rejection) -> ElevatorEvent {
        let fields = FieldReader(object: object)
        let seq = try fields.sequence()
        let ts = try fields.timestamp(now: now)
        guard let kindValue = object["kind"] else { throw Rejection(.missingField, "event has no \"kind\"") }
        guard let kind = try fields.enumeration("kind", kindValue, EventKind.self) else {
            throw Rejection(.missingField, "event \"kind\" is null")
        }
        guard let codeValue = object["code"], codeValue != .null else {
            throw Rejection(.missingField, "event has no \"code\"")
        }
        let codeText: String
        switch codeValue {
        case .string(let text): codeText = text
        case .integer(let number): codeText = String(number)
        default: throw Rejection(.type, "\"code\" is \(codeValue.typeName), expected a string or an integer")
        }
        var event = ElevatorEvent(seq: seq, ts: ts, kind: kind, code: codeText)
        switch kind {
        case .fault:
            guard let fault = faultCodes.resolve(codeValue) else {
                throw Rejection(
                    .unknownFault,
                    "fault code \(codeText) is neither a fault key nor a number of platform \"\(faultCodes.platform)\"")
            }
            event.fault = fault
            event.code = fault.rawValue
            guard let stateValue = object["state"] else {
                throw Rejection(.missingField, "fault event has no \"state\" (raised or cleared)")
            }
            event.state = try fields.enumeration("state", stateValue, FaultState.self)
            if event.state == nil { throw Rejection(.missingField, "fault event \"state\" is null") }
        case .mode:
            guard ServiceMode(rawValue: codeText) != nil else {
                throw Rejection(.range, "mode event code \"\(codeText)\" is not one of \(ServiceMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        case .alarm:
            guard ["alarm_button", "alarm_test"].contains(codeText) else {
                throw Rejection(.range, "alarm event code \"\(codeText)\" is not alarm_button or alarm_test")
            }
            // v1.1 §11.2: the alarm button is fault 21 raised; the periodic test call opens nothing.
            if codeText == "alarm_button" {
                event.fault = .alarmButton
                event.state = .raised
            }
        case .maintenance:
            guard ["visit_start", "visit_end"].contains(codeText) else {
                throw Rejection(.range, "maintenance event code \"\(codeText)\" is not visit_start or visit_end")
            }
        }
        if let value = object["floor"] { event.floor = try fields.integer("floor", value, range: -20...300) }
        if let value = object["detail"] { event.detail = try fields.string("detail", value) }
        if let value = object["technician"] { event.technician = try fields.string("technician", value) }
        if let value = object["occupied"] { event.occupied = try fields.boolean("occupied", value) }
        if let value = object["speed"] { event.speed = try fields.number("speed", value, range: TelemetryField.speed.range) }
        return event
    }

    func stats(_ object: FlatJSONObject, now: Int64) throws(Rejection) -> CounterStats {
        let fields = FieldReader(object: object)
        var stats = CounterStats(seq: try fields.sequence(), ts: try fields.timestamp(now: now))
        if let value = object["trips"] { stats.trips = try fields.integer("trips", value, range: 0...Int64.max).map(Int64.init) }
        if let value = object["door_cycles"] { stats.doorCycles = try fields.integer("door_cycles", value, range: 0...Int64.max).map(Int64.init) }
        if let value = object["run_hours"] { stats.runHours = try fields.number("run_hours", value, range: 0...10_000_000) }
        return stats
    }

    func status(_ object: FlatJSONObject, now: Int64) throws(Rejection) -> StatusReport {
        let fields = FieldReader(object: object)
        guard let stateValue = object["state"] else { throw Rejection(.missingField, "status has no \"state\"") }
        guard let state = try fields.enumeration("state", stateValue, StatusReport.State.self) else {
            throw Rejection(.missingField, "status \"state\" is null")
        }
        var report = StatusReport(state: state)
        // The will message is `{"state":"offline"}` alone: seq and ts are optional here, but valid if present.
        if object["seq"] != nil { report.seq = try fields.sequence() }
        if object["ts"] != nil { report.ts = try fields.timestamp(now: now) }
        if let value = object["firmware"] { report.firmware = try fields.string("firmware", value) }
        return report
    }
}

/// Typed access to a payload's fields, with the contract's error messages.
struct FieldReader {
    let object: FlatJSONObject

    func sequence() throws(Rejection) -> UInt64 {
        guard let value = object["seq"] else { throw Rejection(.missingField, "no \"seq\"") }
        switch value {
        case .integer(let number) where PayloadDecoder.sequenceRange.contains(number):
            return UInt64(number)
        case .integer, .number:
            // v1.1 §11.3: exact in every JSON reader, and no arithmetic on it can overflow.
            throw Rejection(.range, "\"seq\" is not an integer from 1 to 2^53 - 1")
        default:
            throw Rejection(.type, "\"seq\" is \(value.typeName), expected an integer from 1 to 2^53 - 1")
        }
    }

    func timestamp(now: Int64) throws(Rejection) -> Int64 {
        guard let value = object["ts"] else { throw Rejection(.missingField, "no \"ts\"") }
        guard case .integer(let ts) = value else {
            throw Rejection(.type, "\"ts\" is \(value.typeName), expected integer epoch milliseconds")
        }
        guard ts >= 0 else { throw Rejection(.range, "\"ts\" is negative (\(ts))") }
        guard ts <= now + PayloadDecoder.maximumFutureSkewMs else {
            throw Rejection(.range, "\"ts\" \(ts) is more than 24 h ahead of LiftWatch's clock (\(now))")
        }
        return ts
    }

    func number(_ key: String, _ value: JSONScalar, range: ClosedRange<Double>) throws(Rejection) -> Double? {
        let number: Double
        switch value {
        case .null: return nil
        case .integer(let integer): number = Double(integer)
        case .number(let double): number = double
        default: throw Rejection(.type, "\"\(key)\" is \(value.typeName), expected a number")
        }
        guard range.contains(number) else {
            throw Rejection(.range, "\"\(key)\" \(number) is outside \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }

    func integer(_ key: String, _ value: JSONScalar, range: ClosedRange<Int64>) throws(Rejection) -> Int? {
        switch value {
        case .null: return nil
        case .integer(let integer):
            guard range.contains(integer) else {
                throw Rejection(.range, "\"\(key)\" \(integer) is outside \(range.lowerBound)…\(range.upperBound)")
            }
            return Int(integer)
        default:
            throw Rejection(.type, "\"\(key)\" is \(value.typeName), expected an integer")
        }
    }

    func boolean(_ key: String, _ value: JSONScalar) throws(Rejection) -> Bool? {
        switch value {
        case .null: return nil
        case .bool(let flag): return flag
        default: throw Rejection(.type, "\"\(key)\" is \(value.typeName), expected true or false")
        }
    }

    func string(_ key: String, _ value: JSONScalar) throws(Rejection) -> String? {
        switch value {
        case .null: return nil
        case .string(let text): return text
        default: throw Rejection(.type, "\"\(key)\" is \(value.typeName), expected a string")
        }
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ value: JSONScalar, _ type: E.Type) throws(Rejection) -> E?
    where E.RawValue == String {
        switch value {
        case .null: return nil
        case .string(let text):
            guard let parsed = E(rawValue: text) else {
                throw Rejection(.range, "\"\(key)\" \"\(text.prefix(64))\" is not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return parsed
        default:
            throw Rejection(.type, "\"\(key)\" is \(value.typeName), expected a string")
        }
    }
}

/// The telemetry fields of the contract, by wire name.
enum TelemetryField: String, CaseIterable {
    case floor, direction, speed
    case loadKg = "load_kg"
    case door, mode, occupied
    case motorTempC = "motor_temp_c"
    case cabinTempC = "cabin_temp_c"
    case vibrationMg = "vibration_mg"
    case levelErrorMm = "level_error_mm"
    case doorCloseMs = "door_close_ms"
    case power

    static let byName: [String: TelemetryField] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    /// The physical range of a number field (spec section 3); unbounded for the others.
    var range: ClosedRange<Double> {
        switch self {
        case .speed: 0...20
        case .loadKg: 0...20_000
        case .motorTempC, .cabinTempC: -50...200
        case .vibrationMg: 0...100_000
        case .levelErrorMm: -10_000...10_000
        case .doorCloseMs: 0...600_000
        case .floor, .direction, .door, .mode, .occupied, .power: -Double.infinity...Double.infinity
        }
    }

    /// The range of `floor`.
    static let floorRange: ClosedRange<Int64> = -20...300
}
