/// What LiftWatch last heard of a car: from its latest telemetry sample.
public struct CarState: Sendable, Hashable, Codable {
    public var occupied: Bool?
    public var speed: Double?
    public var direction: Direction?
    /// The sample's controller time.
    public var ts: Int64
    /// When LiftWatch received it (epoch ms, LiftWatch's clock).
    public var receivedAt: Int64

    public init(occupied: Bool?, speed: Double?, direction: Direction?, ts: Int64, receivedAt: Int64) {
        self.occupied = occupied
        self.speed = speed
        self.direction = direction
        self.ts = ts
        self.receivedAt = receivedAt
    }

    /// The state a sample gives, or nil when it says nothing of occupancy or motion.
    public init?(_ sample: TelemetrySample, receivedAt: Int64) {
        guard sample.occupied != nil || sample.speed != nil || sample.direction != nil else { return nil }
        self.init(occupied: sample.occupied, speed: sample.speed, direction: sample.direction, ts: sample.ts, receivedAt: receivedAt)
    }

    /// Whether the car stands still: speed at most `FaultAssessment.stoppedSpeed`, else an `idle` direction.
    public var stopped: Bool? {
        if let speed { return speed <= FaultAssessment.stoppedSpeed }
        return direction.map { $0 == .idle }
    }

    /// Keeps the later of two states (by controller time, then arrival).
    public func later(_ other: CarState?) -> CarState {
        guard let other else { return self }
        return (other.ts, other.receivedAt) > (ts, receivedAt) ? other : self
    }
}

/// The class of a raised fault, decided once when it arrives (spec section 4, v1.1 §11.2).
///
/// `power_failure` is a rescue when the car is occupied; `alarm_button` when it is occupied and stopped. Each of
/// "occupied" and "stopped" comes from the event's own `occupied` / `speed` when it carries them, otherwise from
/// the elevator's latest telemetry received within `telemetryWindowMs` before the event. When the car is known
/// to be occupied but nothing tells whether it moves, an alarm counts as a rescue: a passenger pressing the
/// alarm in a car whose motion is unknown is the case that must not be missed.
public struct FaultAssessment: Sendable, Hashable, Codable {
    public var faultClass: FaultClass
    public var occupied: Bool?
    public var stopped: Bool?
    /// Where `occupied` and `stopped` came from, in words; nil when the class does not depend on them.
    public var basis: String?

    /// How old the latest telemetry may be to speak for the car (v1.1 §11.2).
    public static let telemetryWindowMs: Int64 = 300_000
    /// At or below this speed (m/s) the car counts as stopped (controllers report residual values).
    public static let stoppedSpeed = 0.05

    public init(faultClass: FaultClass, occupied: Bool? = nil, stopped: Bool? = nil, basis: String? = nil) {
        self.faultClass = faultClass
        self.occupied = occupied
        self.stopped = stopped
        self.basis = basis
    }

    /// Whether the class of `fault` depends on the car's state and the event leaves some of it unsaid.
    public static func needsCarState(_ fault: FaultKey, event: ElevatorEvent) -> Bool {
        switch fault {
        case .powerFailure: event.occupied == nil
        case .alarmButton: event.occupied == nil || event.speed == nil
        default: false
        }
    }

    /// Assesses a raised fault that arrived at `arrivedAt`, given the latest car state LiftWatch has (if any).
    public static func assess(_ fault: FaultKey, event: ElevatorEvent, arrivedAt: Int64, latest: CarState?) -> FaultAssessment {
        guard fault == .powerFailure || fault == .alarmButton else { return FaultAssessment(faultClass: fault.baseClass) }
        let recent = latest.flatMap { state in
            arrivedAt - state.receivedAt <= telemetryWindowMs && state.receivedAt <= arrivedAt + 1_000 ? state : nil
        }
        func age(_ state: CarState) -> String { "latest telemetry \(max(0, arrivedAt - state.receivedAt) / 1000) s before" }
        var notes: [String] = []
        let occupied: Bool?
        if let own = event.occupied {
            occupied = own
            notes.append("occupied \(own) (event)")
        } else if let state = recent, let known = state.occupied {
            occupied = known
            notes.append("occupied \(known) (\(age(state)))")
        } else {
            occupied = nil
            notes.append("occupancy unknown")
        }
        var stopped: Bool?
        if fault == .alarmButton {
            if let speed = event.speed {
                stopped = speed <= stoppedSpeed
                notes.append("\(stopped! ? "stopped" : "moving") (event speed \(speed) m/s)")
            } else if let state = recent, let known = state.stopped {
                stopped = known
                notes.append("\(known ? "stopped" : "moving") (\(age(state)))")
            } else {
                notes.append("motion unknown")
            }
        }
        let faultClass: FaultClass
        switch fault {
        case .powerFailure: faultClass = occupied == true ? .rescue : .repair
        default: faultClass = occupied == true && stopped != false ? .rescue : .minor
        }
        return FaultAssessment(faultClass: faultClass, occupied: occupied, stopped: stopped, basis: notes.joined(separator: ", "))
    }
}
