import LiftCore

/// Which tickets to list. Nil fields do not filter. Results come in `id` order after `afterID`.
public struct TicketFilter: Sendable, Hashable {
    public var elevatorID: String?
    public var contractorID: String?
    public var regionPrefix: String?
    public var statuses: [TicketStatus]?
    public var types: [TicketType]?
    public var openedFrom: Int64?
    public var openedTo: Int64?
    public var afterID: Int64 = 0
    public var limit: Int = 100

    public init(
        elevatorID: String? = nil, contractorID: String? = nil, regionPrefix: String? = nil, statuses: [TicketStatus]? = nil,
        types: [TicketType]? = nil, openedFrom: Int64? = nil, openedTo: Int64? = nil, afterID: Int64 = 0, limit: Int = 100) {
        self.elevatorID = elevatorID
        self.contractorID = contractorID
        self.regionPrefix = regionPrefix
        self.statuses = statuses
        self.types = types
        self.openedFrom = openedFrom
        self.openedTo = openedTo
        self.afterID = afterID
        self.limit = limit
    }
}
