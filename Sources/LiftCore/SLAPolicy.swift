/// Service-level deadlines per ticket type (spec section 5), with per-region overrides.
///
/// A region is matched by its longest configured prefix (province `43`, city `4301`, district `430181`).
public struct SLAPolicy: Sendable, Hashable, Codable {
    /// Deadlines of one ticket, as epoch milliseconds.
    public struct Deadlines: Sendable, Hashable, Codable {
        public var acknowledge: Int64?
        public var onSite: Int64?
        public var resolve: Int64?
        public var due: Int64?
        public init(acknowledge: Int64? = nil, onSite: Int64? = nil, resolve: Int64? = nil, due: Int64? = nil) {
            self.acknowledge = acknowledge
            self.onSite = onSite
            self.resolve = resolve
            self.due = due
        }
    }

    /// Limits of one ticket type, in milliseconds after opening; nil where the type has no such deadline.
    public struct Limits: Sendable, Hashable, Codable {
        public var acknowledgeMs: Int64?
        public var onSiteMs: Int64?
        public var resolveMs: Int64?
        public init(acknowledgeMs: Int64? = nil, onSiteMs: Int64? = nil, resolveMs: Int64? = nil) {
            self.acknowledgeMs = acknowledgeMs
            self.onSiteMs = onSiteMs
            self.resolveMs = resolveMs
        }
    }

    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000

    /// The contract's defaults.
    public var limits: [TicketType: Limits] = [
        .rescue: Limits(acknowledgeMs: 3 * minute, onSiteMs: 30 * minute),
        .safetyRepair: Limits(acknowledgeMs: 15 * minute, onSiteMs: 2 * hour),
        .repair: Limits(onSiteMs: 24 * hour),
        .minorRepair: Limits(resolveMs: 72 * hour),
        .communication: Limits(onSiteMs: 24 * hour),
        .predictive: Limits(resolveMs: 7 * 24 * hour),
    ]
    /// Rescue on-site limit in regions configured as rural.
    public var ruralRescueOnSiteMs: Int64 = 60 * minute
    /// Region prefixes whose rescue limit is the rural one.
    public var ruralRegions: Set<String> = []
    /// Region prefix → type → the limits it sets: each deadline given replaces the one of a shorter prefix (or the
    /// default, or the rural on-site limit); a nil one leaves it as it is.
    public var regionOverrides: [String: [TicketType: Limits]] = [:]

    public init() {}

    /// Whether `region` counts as rural (some configured prefix matches).
    public func isRural(_ region: String) -> Bool {
        ruralRegions.contains { region.hasPrefix($0) }
    }

    /// The limits for a ticket type in a region.
    public func limits(for type: TicketType, region: String) -> Limits {
        var result = limits[type] ?? Limits()
        if type == .rescue && isRural(region) { result.onSiteMs = ruralRescueOnSiteMs }
        let prefixes = regionOverrides.keys.filter { region.hasPrefix($0) }.sorted { $0.count < $1.count }
        for prefix in prefixes {
            guard let override = regionOverrides[prefix]?[type] else { continue }
            if let value = override.acknowledgeMs { result.acknowledgeMs = value }
            if let value = override.onSiteMs { result.onSiteMs = value }
            if let value = override.resolveMs { result.resolveMs = value }
        }
        return result
    }

    /// The deadlines of a fault, communication or predictive ticket opened at `openedAt`. Maintenance and
    /// inspection tickets take their due date from the schedule (`due`).
    public func deadlines(for type: TicketType, region: String, openedAt: Int64, due: Int64? = nil) -> Deadlines {
        let limits = limits(for: type, region: region)
        let acknowledge = limits.acknowledgeMs.map { openedAt + $0 }
        let onSite = limits.onSiteMs.map { openedAt + $0 }
        let resolve = limits.resolveMs.map { openedAt + $0 }
        return Deadlines(acknowledge: acknowledge, onSite: onSite, resolve: resolve, due: due ?? resolve ?? onSite)
    }
}
