import LiftCore

/// One recorded step of a ticket: who took it, when, and their note.
public struct TicketStep: Sendable, Hashable, Codable {
    public var ticketID: Int64
    public var at: Int64
    public var actor: String
    /// `open`, an action (`acknowledge` …), `occurrence`, `deadline`, `settle`.
    public var action: String
    public var fromStatus: TicketStatus?
    public var toStatus: TicketStatus
    public var note: String?
}
