/// What LiftWatch should have done once a scenario has run, checked through its HTTP API by `liftsim verify`.
public struct ScenarioExpectations: Sendable, Decodable {
    /// Tickets of one elevator matching a type (and fault key): how many, and what they must show.
    public struct Tickets: Sendable, Decodable {
        public var elevator: Int
        public var type: String
        public var fault: String?
        /// Tickets matching (default 1).
        public var count: Int
        /// The (first) matching ticket's occurrence count, when given.
        public var occurrences: Int?
        /// Flags that must be true on the matching tickets (`repeat`, `callback`, `overdue`, …).
        public var flags: [String]
        public var status: String?
        /// The ticket's `signal` (`resident_report` for a resident's report).
        public var signal: String?
        /// A rescue's `rescue.escalation_level` (`maintainer`, `rescue_station`, `fire_brigade`).
        public var escalationLevel: String?
        /// Flags its maintenance record must carry (`too_short`, `no_controller_evidence`, …).
        public var recordFlags: [String]

        enum CodingKeys: String, CodingKey {
            case elevator, type, fault, count, occurrences, flags, status, signal, escalationLevel = "escalation_level", recordFlags = "record_flags"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            elevator = try c.decode(Int.self, forKey: .elevator)
            type = try c.decode(String.self, forKey: .type)
            fault = try c.decodeIfPresent(String.self, forKey: .fault)
            count = try c.decodeIfPresent(Int.self, forKey: .count) ?? 1
            occurrences = try c.decodeIfPresent(Int.self, forKey: .occurrences)
            flags = try c.decodeIfPresent([String].self, forKey: .flags) ?? []
            status = try c.decodeIfPresent(String.self, forKey: .status)
            signal = try c.decodeIfPresent(String.self, forKey: .signal)
            escalationLevel = try c.decodeIfPresent(String.self, forKey: .escalationLevel)
            recordFlags = try c.decodeIfPresent([String].self, forKey: .recordFlags) ?? []
        }
    }

    /// Dead letters of the fleet with a reason.
    public struct DeadLetters: Sendable, Decodable {
        public var reason: String
        public var count: Int
    }

    /// One elevator's state and ingestion counters.
    public struct Elevator: Sendable, Decodable {
        public var elevator: Int
        public var online: Bool?
        /// Health state (`ok`, `watch`, `degraded`, `out_of_service`, `offline`).
        public var health: String?
        public var receivedAtLeast: Int?
        public var duplicatesAtLeast: Int?
        public var gapsAtLeast: Int?
        public var replayedAtLeast: Int?
        /// Messages given up on; `0` means nothing may be lost.
        public var lostAtMost: Int?

        enum CodingKeys: String, CodingKey {
            case elevator, online, health, receivedAtLeast = "received_at_least", duplicatesAtLeast = "duplicates_at_least"
            case gapsAtLeast = "gaps_at_least", replayedAtLeast = "replayed_at_least", lostAtMost = "lost_at_most"
        }
    }

    /// Area incidents of a region.
    public struct Incidents: Sendable, Decodable {
        public var region: String
        public var count: Int
    }

    public var tickets: [Tickets] = []
    /// When true (the default), a fault-driven or communication ticket of the fleet that no `tickets` entry
    /// names is a mismatch. Schedule-driven types (`maintenance`, `inspection`) are never counted here.
    public var noOtherTickets = true
    public var deadLetters: [DeadLetters] = []
    public var elevators: [Elevator] = []
    public var incidents: [Incidents] = []
    /// What an operator must do for the scenario to come out as expected (printed by `run` and `verify`).
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case tickets, noOtherTickets = "no_other_tickets", deadLetters = "dead_letters", elevators, incidents, note
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tickets = try c.decodeIfPresent([Tickets].self, forKey: .tickets) ?? []
        noOtherTickets = try c.decodeIfPresent(Bool.self, forKey: .noOtherTickets) ?? true
        deadLetters = try c.decodeIfPresent([DeadLetters].self, forKey: .deadLetters) ?? []
        elevators = try c.decodeIfPresent([Elevator].self, forKey: .elevators) ?? []
        incidents = try c.decodeIfPresent([Incidents].self, forKey: .incidents) ?? []
        note = try c.decodeIfPresent(String.self, forKey: .note)
    }
}
