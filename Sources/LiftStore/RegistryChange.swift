/// What an upsert did to a registry record.
public enum RegistryChange: Sendable, Hashable {
    case created
    /// The names of the fields that changed.
    case updated([String])
    case unchanged
}
