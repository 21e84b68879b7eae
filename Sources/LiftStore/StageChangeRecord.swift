import LiftCore

/// One dated stage change of a unit's elevator project, with who made it and, when forced, why.
public struct StageChangeRecord: Sendable, Hashable, Codable {
    public var unitID: String
    public var elevatorID: String?
    /// Nil for the first stage on record.
    public var from: LifecycleStage?
    public var to: LifecycleStage
    public var at: Int64
    public var actor: String
    public var forced: Bool
    public var reason: String?
}
