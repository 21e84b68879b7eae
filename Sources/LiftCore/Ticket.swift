/// Work for an elevator's contracted maintenance company, with its deadlines and flags (spec section 5).
///
/// Encode with `keyEncodingStrategy = .convertToSnakeCase` for the contract's field names.
public struct Ticket: Sendable, Hashable, Codable {
    public var id: Int64
    public var elevatorID: String
    public var region: String
    public var unitID: String?
    /// The contractor of the elevator when the ticket opened.
    public var contractorID: String?
    public var type: TicketType
    public var priority: Int
    public var status: TicketStatus
    /// LiftWatch's clock when the cause arrived: every deadline runs from here (v1.1 §11.1).
    public var openedAt: Int64
    /// For fault tickets: the controller's own time of the fault (its `ts`); `opened_at − fault_at` is how late
    /// it arrived.
    public var faultAt: Int64?
    public var ackDueAt: Int64?
    public var onSiteDueAt: Int64?
    public var resolveDueAt: Int64?
    /// The last deadline that applies: done by then.
    public var dueAt: Int64?
    public var acknowledgedAt: Int64?
    public var onSiteAt: Int64?
    public var resolvedAt: Int64?
    public var closedAt: Int64?
    public var cancelledAt: Int64?
    /// The fault key that caused it, for fault tickets.
    public var fault: FaultKey?
    /// The maintenance level (`half_month` … `annual`), or `periodic_inspection` / `self_test`.
    public var level: String?
    public var occurrences: Int
    public var overdue: Bool
    public var escalated: Bool
    public var `repeat`: Bool
    /// For `predictive` tickets: the health signal that degraded (`door_close_time`, …); for `minor_repair`
    /// tickets opened from the residents' page: `resident_report` (its reason and steps carry residents' words).
    public var signal: String?
    public var callback: Bool
    public var unverified: Bool
    /// Why it opened, in words: the fault, the schedule and its interval, the signal that degraded.
    public var reason: String
    public var cancelReason: String?
    /// Rescue tickets: the dispatch record (each step's time, escalation, passengers, cause); nil on other types.
    public var rescue: RescueRecord?
    /// The deadlines already missed (`acknowledge`, `on_site`, `resolve`, `due`), each alerted once.
    public var breaches: [String]
    /// 1 when opened, one more with every stored change. Delivery is at least once and a retry can come late: a
    /// receiver keeps, per `id`, the ticket with the highest revision it has seen. Set by the store.
    public var revision: Int64 = 1
    /// Where its elevator is, as precisely as known: its unit's area code (street or community), else its region.
    /// Scopes of every level match on it. Set by the store; not part of the published ticket.
    public var place: String?

    public init(
        id: Int64 = 0, elevatorID: String, region: String, unitID: String? = nil, contractorID: String? = nil, type: TicketType,
        openedAt: Int64, deadlines: SLAPolicy.Deadlines = .init(), fault: FaultKey? = nil, level: String? = nil, reason: String
    ) {
        self.id = id
        self.elevatorID = elevatorID
        self.region = region
        self.unitID = unitID
        self.contractorID = contractorID
        self.type = type
        self.priority = type.priority
        self.status = .open
        self.openedAt = openedAt
        self.ackDueAt = deadlines.acknowledge
        self.onSiteDueAt = deadlines.onSite
        self.resolveDueAt = deadlines.resolve
        self.dueAt = deadlines.due
        self.fault = fault
        self.level = level
        self.occurrences = 1
        self.overdue = false
        self.escalated = false
        self.repeat = false
        self.callback = false
        self.unverified = false
        self.reason = reason
        self.breaches = []
    }

    /// The contract's field names; encoding writes every one, null until reached.
    enum CodingKeys: String, CodingKey {
        case id, elevatorID = "elevator_id", region, unitID = "unit_id", contractorID = "contractor_id", type, priority, status
        case openedAt = "opened_at", faultAt = "fault_at", ackDueAt = "ack_due_at", onSiteDueAt = "on_site_due_at", resolveDueAt = "resolve_due_at", dueAt = "due_at"
        case acknowledgedAt = "acknowledged_at", onSiteAt = "on_site_at", resolvedAt = "resolved_at", closedAt = "closed_at"
        case cancelledAt = "cancelled_at", fault, level, signal, occurrences, overdue, escalated, `repeat`, callback, unverified, reason
        case cancelReason = "cancel_reason", breaches, revision, rescue
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(elevatorID, forKey: .elevatorID)
        try c.encode(region, forKey: .region)
        try c.encode(unitID, forKey: .unitID)
        try c.encode(contractorID, forKey: .contractorID)
        try c.encode(type, forKey: .type)
        try c.encode(priority, forKey: .priority)
        try c.encode(status, forKey: .status)
        try c.encode(openedAt, forKey: .openedAt)
        try c.encode(faultAt, forKey: .faultAt)
        try c.encode(ackDueAt, forKey: .ackDueAt)
        try c.encode(onSiteDueAt, forKey: .onSiteDueAt)
        try c.encode(resolveDueAt, forKey: .resolveDueAt)
        try c.encode(dueAt, forKey: .dueAt)
        try c.encode(acknowledgedAt, forKey: .acknowledgedAt)
        try c.encode(onSiteAt, forKey: .onSiteAt)
        try c.encode(resolvedAt, forKey: .resolvedAt)
        try c.encode(closedAt, forKey: .closedAt)
        try c.encode(cancelledAt, forKey: .cancelledAt)
        try c.encode(fault, forKey: .fault)
        try c.encode(level, forKey: .level)
        try c.encode(signal, forKey: .signal)
        try c.encode(occurrences, forKey: .occurrences)
        try c.encode(overdue, forKey: .overdue)
        try c.encode(escalated, forKey: .escalated)
        try c.encode(self.repeat, forKey: .repeat)
        try c.encode(callback, forKey: .callback)
        try c.encode(unverified, forKey: .unverified)
        try c.encode(reason, forKey: .reason)
        try c.encode(cancelReason, forKey: .cancelReason)
        try c.encode(breaches, forKey: .breaches)
        try c.encode(revision, forKey: .revision)
        try c.encode(rescue, forKey: .rescue)
    }
}
