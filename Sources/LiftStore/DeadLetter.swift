/// A kept message that could not be used (spec section 3).
public struct DeadLetter: Sendable, Hashable, Codable {
    public var id: Int64
    public var topic: String
    public var payload: [UInt8]
    public var receivedAt: Int64
    /// A `Rejection.Reason` raw value, such as `unregistered_elevator`.
    public var reason: String
    public var message: String
    public var elevatorID: String?
    /// When it was replayed, if it was.
    public var replayedAt: Int64?
    /// What the replay did: `stored`, `duplicate`, or `rejected: …` again.
    public var replayOutcome: String?
}
