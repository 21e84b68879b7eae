/// Who is sent to get trapped passengers out, in the order a rescue escalates to them.
public enum RescueResponder: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// The elevator's contracted maintenance company (the ticket's contractor).
    case maintainer
    /// The nearest rescue station of the regional rescue platform (96333/96366), when the maintainer is late.
    case rescueStation = "rescue_station"
    /// The fire brigade (119), the last resort.
    case fireBrigade = "fire_brigade"

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
    var rank: Int { Self.allCases.firstIndex(of: self)! }
}

/// Why people were trapped, as the rescue's report classifies it (the causes regional platforms report).
public enum RescueCause: String, Sendable, Hashable, Codable, CaseIterable {
    /// Passengers' misuse: forcing doors, overloading, jumping, holding doors.
    case misuse
    /// Poor maintenance: a fault the maintenance should have prevented.
    case maintenanceQuality = "maintenance_quality"
    /// A power cut from outside the elevator.
    case powerCut = "power_cut"
    /// Equipment failure: wear, a component's defect.
    case equipment
}

/// A rescue ticket's dispatch record: each step with its time, who went, and the outcome. Carried by the ticket
/// as `rescue` (null on other types); steps themselves (who, when, note) are the ticket's steps.
public struct RescueRecord: Sendable, Hashable, Codable {
    /// When the maintainer was dispatched: the ticket's opening.
    public var dispatchedAt: Int64
    /// First call with the trapped passengers (contacted and calmed, 安抚).
    public var contactedAt: Int64?
    /// Passengers out: the ticket's `resolved_at`.
    public var releasedAt: Int64?
    public var passengersReleased: Int?
    public var injuries: Int?
    /// The follow-up call that confirmed everyone was out and well (回访).
    public var followUpAt: Int64?
    /// The cause found; `power_cut` from the start when the fault was a power failure.
    public var cause: RescueCause?
    /// The highest responder dispatched so far: `maintainer` until the rescue escalates.
    public var escalationLevel: RescueResponder
    /// When the nearby rescue station was dispatched, and why.
    public var stationDispatchedAt: Int64?
    /// When the fire brigade (119) was called.
    public var fireBrigadeCalledAt: Int64?
    /// Who arrived first, and who released the passengers.
    public var arrivedBy: RescueResponder?
    public var releasedBy: RescueResponder?
    /// When the elevator's property manager (使用单位) was called: at dispatch, when one is on record.
    public var managerCalledAt: Int64?
    /// When the property manager answered the call (the `answer` step).
    public var managerAnsweredAt: Int64?

    public init(dispatchedAt: Int64, cause: RescueCause? = nil, managerCalledAt: Int64? = nil) {
        self.dispatchedAt = dispatchedAt
        self.cause = cause
        self.escalationLevel = .maintainer
        self.managerCalledAt = managerCalledAt
    }

    /// The cause known from the fault alone: a power failure is a power cut; anything else waits for the report.
    public static func presumedCause(of fault: FaultKey?) -> RescueCause? {
        fault == .powerFailure ? .powerCut : nil
    }

    enum CodingKeys: String, CodingKey {
        case dispatchedAt = "dispatched_at", contactedAt = "contacted_at", releasedAt = "released_at"
        case passengersReleased = "passengers_released", injuries, followUpAt = "follow_up_at", cause
        case escalationLevel = "escalation_level", stationDispatchedAt = "station_dispatched_at", fireBrigadeCalledAt = "fire_brigade_called_at"
        case arrivedBy = "arrived_by", releasedBy = "released_by", managerCalledAt = "manager_called_at", managerAnsweredAt = "manager_answered_at"
    }

    /// Every field written, null until reached (as the ticket's own).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dispatchedAt, forKey: .dispatchedAt)
        try c.encode(contactedAt, forKey: .contactedAt)
        try c.encode(releasedAt, forKey: .releasedAt)
        try c.encode(passengersReleased, forKey: .passengersReleased)
        try c.encode(injuries, forKey: .injuries)
        try c.encode(followUpAt, forKey: .followUpAt)
        try c.encode(cause, forKey: .cause)
        try c.encode(escalationLevel, forKey: .escalationLevel)
        try c.encode(stationDispatchedAt, forKey: .stationDispatchedAt)
        try c.encode(fireBrigadeCalledAt, forKey: .fireBrigadeCalledAt)
        try c.encode(arrivedBy, forKey: .arrivedBy)
        try c.encode(releasedBy, forKey: .releasedBy)
        try c.encode(managerCalledAt, forKey: .managerCalledAt)
        try c.encode(managerAnsweredAt, forKey: .managerAnsweredAt)
    }
}

/// When a rescue escalates past a maintainer who is late (configuration `rescue.*`).
///
/// The nearby rescue station is dispatched when the rescue's acknowledge deadline passes unacknowledged, or its
/// on-site deadline passes with nobody there; the fire brigade is called when, `fireBrigadeAfterMs` after the
/// station was dispatched, still nobody is on site.
public struct RescueEscalationPolicy: Sendable, Hashable, Codable {
    public var fireBrigadeAfterMs: Int64
    public init(fireBrigadeAfterMs: Int64 = 15 * 60_000) {
        self.fireBrigadeAfterMs = fireBrigadeAfterMs
    }
}

/// What a step on a ticket carries beyond its note (`POST /tickets/{id}/actions`): a rescue's outcome.
public struct StepDetails: Sendable, Hashable, Codable {
    /// `release`: passengers released (required), and how many were injured (required, at most `passengers`).
    public var passengers: Int?
    public var injuries: Int?
    /// `release`, `resolve`, `follow_up`, `close` of a rescue: the cause found.
    public var cause: RescueCause?
    /// `arrive`, `release` of a rescue: who did it (default `maintainer`).
    public var responder: RescueResponder?

    public init(passengers: Int? = nil, injuries: Int? = nil, cause: RescueCause? = nil, responder: RescueResponder? = nil) {
        self.passengers = passengers
        self.injuries = injuries
        self.cause = cause
        self.responder = responder
    }

    public var isEmpty: Bool { passengers == nil && injuries == nil && cause == nil && responder == nil }
}
