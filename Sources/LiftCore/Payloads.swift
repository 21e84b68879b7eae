/// Travel direction of the car.
public enum Direction: String, Sendable, Hashable, CaseIterable, Codable { case up, down, idle }
/// Door state.
public enum DoorState: String, Sendable, Hashable, CaseIterable, Codable { case open, closed, opening, closing }
/// Service mode of the controller.
public enum ServiceMode: String, Sendable, Hashable, CaseIterable, Codable {
    case normal, inspection, maintenance
    case outOfService = "out_of_service"
    case fire
    case emergencyPower = "emergency_power"
}
/// Power source.
public enum PowerSource: String, Sendable, Hashable, CaseIterable, Codable { case mains, battery }

/// One telemetry sample (spec section 3). All fields but `seq` and `ts` are optional.
public struct TelemetrySample: Sendable, Hashable, Codable {
    public var seq: UInt64
    /// Controller time, epoch milliseconds.
    public var ts: Int64
    public var floor: Int?
    public var direction: Direction?
    public var speed: Double?
    public var loadKg: Double?
    public var door: DoorState?
    public var mode: ServiceMode?
    public var occupied: Bool?
    public var motorTempC: Double?
    public var cabinTempC: Double?
    public var vibrationMg: Double?
    public var levelErrorMm: Double?
    public var doorCloseMs: Double?
    public var power: PowerSource?

    public init(
        seq: UInt64, ts: Int64, floor: Int? = nil, direction: Direction? = nil, speed: Double? = nil,
        loadKg: Double? = nil, door: DoorState? = nil, mode: ServiceMode? = nil, occupied: Bool? = nil,
        motorTempC: Double? = nil, cabinTempC: Double? = nil, vibrationMg: Double? = nil,
        levelErrorMm: Double? = nil, doorCloseMs: Double? = nil, power: PowerSource? = nil
    ) {
        self.seq = seq
        self.ts = ts
        self.floor = floor
        self.direction = direction
        self.speed = speed
        self.loadKg = loadKg
        self.door = door
        self.mode = mode
        self.occupied = occupied
        self.motorTempC = motorTempC
        self.cabinTempC = cabinTempC
        self.vibrationMg = vibrationMg
        self.levelErrorMm = levelErrorMm
        self.doorCloseMs = doorCloseMs
        self.power = power
    }
}

/// What an event reports.
public enum EventKind: String, Sendable, Hashable, CaseIterable, Codable { case fault, mode, alarm, maintenance }
/// Whether a fault starts or ends.
public enum FaultState: String, Sendable, Hashable, CaseIterable, Codable { case raised, cleared }

/// An event: a fault raised or cleared, a mode change, an alarm, a maintenance visit marker.
public struct ElevatorEvent: Sendable, Hashable, Codable {
    public var seq: UInt64
    public var ts: Int64
    public var kind: EventKind
    /// The code as the controller sent it (a key, or a platform number as text).
    public var code: String
    /// For `kind == .fault`: the taxonomy key the code resolved to.
    public var fault: FaultKey?
    /// For `kind == .fault`.
    public var state: FaultState?
    public var floor: Int?
    public var detail: String?
    /// For maintenance visits: the technician's id.
    public var technician: String?
    /// Whether someone was in the car, when the controller says so (decides rescue for power failures).
    public var occupied: Bool?
    /// The car's speed in m/s, when the controller says so (an alarm in a stopped, occupied car is a rescue).
    public var speed: Double?
    /// For a fault raised: its class as decided on arrival, from the event and the car's latest telemetry.
    public var assessment: FaultAssessment?

    public init(
        seq: UInt64, ts: Int64, kind: EventKind, code: String, fault: FaultKey? = nil, state: FaultState? = nil,
        floor: Int? = nil, detail: String? = nil, technician: String? = nil, occupied: Bool? = nil, speed: Double? = nil
    ) {
        self.seq = seq
        self.ts = ts
        self.kind = kind
        self.code = code
        self.fault = fault
        self.state = state
        self.floor = floor
        self.detail = detail
        self.technician = technician
        self.occupied = occupied
        self.speed = speed
    }

    /// A fault raised: a `fault` event in state `raised`, or the alarm button (fault 21, v1.1 §11.2).
    public var raisedFault: FaultKey? { state == .raised ? fault : nil }
}

/// Cumulative counters since commissioning.
public struct CounterStats: Sendable, Hashable, Codable {
    public var seq: UInt64
    public var ts: Int64
    public var trips: Int64?
    public var doorCycles: Int64?
    public var runHours: Double?

    public init(seq: UInt64, ts: Int64, trips: Int64? = nil, doorCycles: Int64? = nil, runHours: Double? = nil) {
        self.seq = seq
        self.ts = ts
        self.trips = trips
        self.doorCycles = doorCycles
        self.runHours = runHours
    }
}

/// Online or offline, from the retained status topic. The will message carries neither `seq` nor `ts`.
public struct StatusReport: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, CaseIterable, Codable { case online, offline }
    public var seq: UInt64?
    public var ts: Int64?
    public var state: State
    public var firmware: String?

    public init(seq: UInt64? = nil, ts: Int64? = nil, state: State, firmware: String? = nil) {
        self.seq = seq
        self.ts = ts
        self.state = state
        self.firmware = firmware
    }
}

/// A decoded controller message.
public enum LiftPayload: Sendable, Hashable {
    /// Samples that passed validation, and those that did not (each with its reason).
    case telemetry([TelemetrySample], rejected: [RejectedSample])
    case event(ElevatorEvent)
    case stats(CounterStats)
    case status(StatusReport)

    /// The sequence numbers this message carries (several for a telemetry batch), rejected samples included.
    public var sequenceNumbers: [UInt64] {
        switch self {
        case .telemetry(let samples, let rejected): samples.map(\.seq) + rejected.compactMap(\.seq)
        case .event(let event): [event.seq]
        case .stats(let stats): [stats.seq]
        case .status(let status): status.seq.map { [$0] } ?? []
        }
    }

    /// The same message with `offset` added to every `seq`: a replaced terminal's numbers placed after those
    /// of the terminals before it.
    /// - Throws: `Rejection(.range)` when a number would pass what the store keeps (`Int64.max`): it never traps.
    public func offsettingSeq(by offset: UInt64) throws(Rejection) -> LiftPayload {
        guard offset != 0 else { return self }
        switch self {
        case .telemetry(var samples, var rejected):
            for i in samples.indices { samples[i].seq = try Self.offset(samples[i].seq, by: offset) }
            for i in rejected.indices {
                if let seq = rejected[i].seq { rejected[i].seq = try Self.offset(seq, by: offset) }
            }
            return .telemetry(samples, rejected: rejected)
        case .event(var event):
            event.seq = try Self.offset(event.seq, by: offset)
            return .event(event)
        case .stats(var stats):
            stats.seq = try Self.offset(stats.seq, by: offset)
            return .stats(stats)
        case .status(var status):
            if let seq = status.seq { status.seq = try Self.offset(seq, by: offset) }
            return .status(status)
        }
    }

    /// The largest stored `seq` (the store's integers are signed 64-bit).
    public static let maximumStoredSeq = UInt64(Int64.max)

    /// `seq + offset`, or a rejection when it would pass `maximumStoredSeq`.
    public static func offset(_ seq: UInt64, by offset: UInt64) throws(Rejection) -> UInt64 {
        let (sum, overflow) = seq.addingReportingOverflow(offset)
        guard !overflow, sum <= maximumStoredSeq else {
            throw Rejection(.range, "\"seq\" \(seq) after the replaced terminals' offset \(offset) is past the largest number the store keeps")
        }
        return sum
    }
}

/// A telemetry sample that cannot be stored, with its position in the batch and why.
public struct RejectedSample: Sendable, Hashable {
    public var index: Int
    public var seq: UInt64?
    public var rejection: Rejection

    public init(index: Int, seq: UInt64?, rejection: Rejection) {
        self.index = index
        self.seq = seq
        self.rejection = rejection
    }
}
