/// A registry request that cannot be carried out, with what was wrong. The API maps `kind` to a status.
public struct RegistryError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The unit, elevator or contractor named does not exist.
        case notFound = "not_found"
        /// A field's value is malformed or out of range.
        case invalid
        /// The request is well formed but the registry's rules refuse it (an impossible stage move).
        case refused
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
