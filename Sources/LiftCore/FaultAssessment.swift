/// What LiftWatch last heard of a car, field by field: occupancy and motion each as of the latest sample (in order
/// of arrival, never of the controller's clock) that said anything of it.
public struct CarState: Sendable, Hashable, Codable {
    public var occupied: Bool?
    /// When LiftWatch received the sample that said `occupied` (epoch ms, LiftWatch's clock).
    public var occupiedAt: Int64?
    public var speed: Double?
    public var direction: Direction?
    /// When LiftWatch received the sample that said `speed` or `direction`.
    public var motionAt: Int64?

    public init(occupied: Bool? = nil, occupiedAt: Int64? = nil, speed: Double? = nil, direction: Direction? = nil, motionAt: Int64? = nil) {
        self.occupied = occupied
        self.occupiedAt = occupiedAt
        self.speed = speed
        self.direction = direction
        self.motionAt = motionAt
    }

    /// The state one sample gives.
    public init(_ sample: TelemetrySample, receivedAt: Int64) {
        self.init()
        merge(sample, receivedAt: receivedAt)
    }

    /// Takes what a sample says: each field it carries replaces the known one unless that one arrived later.
    public mutating func merge(_ sample: TelemetrySample, receivedAt: Int64) {
        if let occupied = sample.occupied, receivedAt >= (occupiedAt ?? .min) {
            self.occupied = occupied
            occupiedAt = receivedAt
        }
        if sample.speed != nil || sample.direction != nil, receivedAt >= (motionAt ?? .min) {
            speed = sample.speed
            direction = sample.direction
            motionAt = receivedAt
        }
    }

    /// Whether the car stands still: speed at most `FaultAssessment.stoppedSpeed`, else an `idle` direction.
    public var stopped: Bool? {
        if let speed { return speed <= FaultAssessment.stoppedSpeed }
        return direction.map { $0 == .idle }
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
    /// Decided again after the event, from telemetry received in the minute after it (a rescue the event alone did
    /// not show): the ticket open for it is escalated.
    public var revised = false
    /// Whether the car's state was unknown in part, so that telemetry arriving just after may change the class.
    public var provisional: Bool { basis?.contains("unknown") == true }

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

    /// How long after a fault telemetry may still decide its class (a sample published just before the event but
    /// received just after it, on the other session or after a backlog).
    public static let revisionWindowMs: Int64 = 60_000

    /// Assesses a raised fault that arrived at `arrivedAt`, given the latest car state LiftWatch has (if any), using
    /// telemetry received up to `laterBy` after the fault.
    public static func assess(_ fault: FaultKey, event: ElevatorEvent, arrivedAt: Int64, latest: CarState?, laterBy: Int64 = 1_000) -> FaultAssessment {
        guard fault == .powerFailure || fault == .alarmButton else { return FaultAssessment(faultClass: fault.baseClass) }
        func fresh(_ at: Int64?) -> Int64? {
            at.flatMap { arrivedAt - $0 <= telemetryWindowMs && $0 <= arrivedAt + laterBy ? $0 : nil }
        }
        func age(_ at: Int64) -> String { "latest telemetry \(max(0, arrivedAt - at) / 1000) s before" }
        var notes: [String] = []
        let occupied: Bool?
        if let own = event.occupied {
            occupied = own
            notes.append("occupied \(own) (event)")
        } else if let at = fresh(latest?.occupiedAt), let known = latest?.occupied {
            occupied = known
            notes.append("occupied \(known) (\(age(at)))")
        } else {
            occupied = nil
            notes.append("occupancy unknown")
        }
        var stopped: Bool?
        if fault == .alarmButton {
            if let speed = event.speed {
                stopped = speed <= stoppedSpeed
                notes.append("\(stopped! ? "stopped" : "moving") (event speed \(speed) m/s)")
            } else if let at = fresh(latest?.motionAt), let known = latest?.stopped {
                stopped = known
                notes.append("\(known ? "stopped" : "moving") (\(age(at)))")
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
