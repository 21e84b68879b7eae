/// A period during which one contractor maintained one elevator: `[startsAt, endsAt)`.
public struct ContractRecord: Sendable, Hashable, Codable {
    public var elevatorID: String
    public var contractorID: String
    public var startsAt: Int64
    /// Nil while the contract is current.
    public var endsAt: Int64?
}
