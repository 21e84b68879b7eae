/// An elevator's health: a score 0–100, a state, and the reasons in words (spec section 6).
public struct Health: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
        case ok
        case watch
        case degraded
        case outOfService = "out_of_service"
        case offline

        var rank: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (lhs: State, rhs: State) -> Bool { lhs.rank < rhs.rank }
    }

    /// One finding behind the score, for pages that name it in their reader's language; `reasons` says the same in
    /// English for the API.
    public struct Finding: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            case rescueOpen = "rescue_open", safetyOpen = "safety_open", repairOpen = "repair_open", minorOpen = "minor_open"
            case predictiveOpen = "predictive_open", repeatFault = "repeat_fault", mode, trend, neverHeard = "never_heard", offline
            case allClear = "all_clear"
        }
        public var kind: Kind
        public var ticketID: Int64?
        /// The fault key, trend signal or controller mode the finding is about.
        public var subject: String?
        /// For `offline`: when the elevator was last heard from.
        public var at: Int64?
        /// For `trend`: the recent and baseline means.
        public var recent: Double?
        public var baseline: Double?

        public init(_ kind: Kind, ticketID: Int64? = nil, subject: String? = nil, at: Int64? = nil, recent: Double? = nil, baseline: Double? = nil) {
            self.kind = kind
            self.ticketID = ticketID
            self.subject = subject
            self.at = at
            self.recent = recent
            self.baseline = baseline
        }
    }

    public var score: Int
    public var state: State
    public var reasons: [String]
    public var findings: [Finding] = []

    enum CodingKeys: String, CodingKey { case score, state, reasons }

    public init(score: Int, state: State, reasons: [String], findings: [Finding] = []) {
        self.score = score
        self.state = state
        self.reasons = reasons
        self.findings = findings
    }
}

/// Derives `Health` from what LiftWatch knows of an elevator. Pure.
///
/// Each finding lowers the score and sets a state at least as bad as its own: an active rescue or safety ticket
/// or the controller in `out_of_service` mode → `out_of_service`; an active repair ticket → `degraded`; minor
/// faults, degrading trends and repeat faults → `watch`; no connection → `offline`, which wins.
public struct HealthModel: Sendable {
    public struct Inputs: Sendable {
        public var online: Bool
        public var lastSeen: Int64?
        /// The controller's service mode from its latest telemetry (`normal`, `inspection`, …).
        public var mode: String?
        public var activeTickets: [Ticket]
        public var trends: [TrendFinding]
        public init(online: Bool, lastSeen: Int64?, mode: String?, activeTickets: [Ticket], trends: [TrendFinding]) {
            self.online = online
            self.lastSeen = lastSeen
            self.mode = mode
            self.activeTickets = activeTickets
            self.trends = trends
        }
    }

    public init() {}

    public func assess(_ inputs: Inputs) -> Health {
        var score = 100
        var state = Health.State.ok
        var reasons: [String] = []
        var findings: [Health.Finding] = []
        func finding(_ penalty: Int, _ worst: Health.State, _ reason: String, _ found: Health.Finding) {
            score -= penalty
            state = max(state, worst)
            reasons.append(reason)
            findings.append(found)
        }
        for ticket in inputs.activeTickets.sorted(by: { $0.priority < $1.priority }) {
            let what = ticket.fault.map { " (\($0.rawValue))" } ?? ticket.signal.map { " (\($0))" } ?? ""
            let subject = ticket.fault?.rawValue ?? ticket.signal
            switch ticket.type {
            case .rescue: finding(60, .outOfService, "rescue ticket \(ticket.id) open\(what)", .init(.rescueOpen, ticketID: ticket.id, subject: subject))
            case .safetyRepair:
                finding(50, .outOfService, "safety fault: ticket \(ticket.id) open\(what), out of service until resolved", .init(.safetyOpen, ticketID: ticket.id, subject: subject))
            case .repair: finding(25, .degraded, "repair ticket \(ticket.id) open\(what)", .init(.repairOpen, ticketID: ticket.id, subject: subject))
            case .minorRepair: finding(5, .watch, "minor fault: ticket \(ticket.id) open\(what)", .init(.minorOpen, ticketID: ticket.id, subject: subject))
            case .predictive: finding(10, .watch, "degrading signal: ticket \(ticket.id) open\(what)", .init(.predictiveOpen, ticketID: ticket.id, subject: subject))
            case .maintenance, .inspection, .communication: break
            }
            if ticket.repeat { finding(10, .watch, "repeat fault \(ticket.fault?.rawValue ?? "")", .init(.repeatFault, ticketID: ticket.id, subject: ticket.fault?.rawValue)) }
        }
        if let mode = inputs.mode, mode != "normal" {
            finding(mode == "out_of_service" ? 40 : 10, mode == "out_of_service" || mode == "fire" ? .outOfService : .watch, "controller in \(mode) mode", .init(.mode, subject: mode))
        }
        for trend in inputs.trends where !inputs.activeTickets.contains(where: { $0.signal == trend.signal.rawValue }) {
            finding(10, .watch, trend.description, .init(.trend, subject: trend.signal.rawValue, recent: trend.recent, baseline: trend.baseline))
        }
        if !inputs.online {
            finding(
                30, .offline, inputs.lastSeen == nil ? "never heard from" : "offline: no message since \(inputs.lastSeen!) (epoch ms)",
                inputs.lastSeen == nil ? .init(.neverHeard) : .init(.offline, at: inputs.lastSeen))
        }
        if reasons.isEmpty {
            reasons = ["no open faults, online, signals steady"]
            findings = [.init(.allClear)]
        }
        return Health(score: max(0, score), state: state, reasons: reasons, findings: findings)
    }
}

/// Whether an elevator counts as online: the one rule for health, connectivity tickets and the figures.
public enum Connectivity {
    /// Heard from within `thresholdMs`, and not offline by its last status message (a will) unless heard from
    /// since; a controller that never sends a status is online by its traffic.
    public static func isOnline(lastSeen: Int64?, statusOnline: Bool, statusAt: Int64?, now: Int64, thresholdMs: Int64) -> Bool {
        guard let lastSeen, now - lastSeen <= thresholdMs else { return false }
        if statusOnline { return true }
        guard let statusAt else { return true }
        return lastSeen > statusAt
    }
}
