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

    public var score: Int
    public var state: State
    public var reasons: [String]

    public init(score: Int, state: State, reasons: [String]) {
        self.score = score
        self.state = state
        self.reasons = reasons
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
        func finding(_ penalty: Int, _ worst: Health.State, _ reason: String) {
            score -= penalty
            state = max(state, worst)
            reasons.append(reason)
        }
        for ticket in inputs.activeTickets.sorted(by: { $0.priority < $1.priority }) {
            let what = ticket.fault.map { " (\($0.rawValue))" } ?? ticket.signal.map { " (\($0))" } ?? ""
            switch ticket.type {
            case .rescue: finding(60, .outOfService, "rescue ticket \(ticket.id) open\(what)")
            case .safetyRepair: finding(50, .outOfService, "safety fault: ticket \(ticket.id) open\(what), out of service until resolved")
            case .repair: finding(25, .degraded, "repair ticket \(ticket.id) open\(what)")
            case .minorRepair: finding(5, .watch, "minor fault: ticket \(ticket.id) open\(what)")
            case .predictive: finding(10, .watch, "degrading signal: ticket \(ticket.id) open\(what)")
            case .maintenance, .inspection, .communication: break
            }
            if ticket.repeat { finding(10, .watch, "repeat fault \(ticket.fault?.rawValue ?? "")") }
        }
        if let mode = inputs.mode, mode != "normal" {
            finding(mode == "out_of_service" ? 40 : 10, mode == "out_of_service" || mode == "fire" ? .outOfService : .watch, "controller in \(mode) mode")
        }
        for trend in inputs.trends where !inputs.activeTickets.contains(where: { $0.signal == trend.signal.rawValue }) {
            finding(10, .watch, trend.description)
        }
        if !inputs.online {
            finding(30, .offline, inputs.lastSeen == nil ? "never heard from" : "offline: no message since \(inputs.lastSeen!) (epoch ms)")
        }
        if reasons.isEmpty { reasons = ["no open faults, online, signals steady"] }
        return Health(score: max(0, score), state: state, reasons: reasons)
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
