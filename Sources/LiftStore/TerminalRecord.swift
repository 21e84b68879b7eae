/// A controller or IoT terminal fitted to an elevator. Replacing it keeps the elevator's identity and history.
public struct TerminalRecord: Sendable, Hashable, Codable {
    public var elevatorID: String
    public var terminalID: String
    public var installedAt: Int64
    public var removedAt: Int64?
    /// Added to the terminal's own `seq` numbers to place them after everything stored before it.
    public var seqOffset: Int64
    public var note: String?
}
