import Crypto
import LiftCore

/// One entry of the append-only, hash-chained audit log: a change made by a person or by LiftWatch.
///
/// `hash` is SHA-256 over the entry's fields and `prevHash`, so altering, removing or inserting an entry
/// breaks the chain where it happened. `seq` is storage order and is not hashed: renumbering entries to hide a
/// removal or an insertion still leaves the links broken.
public struct AuditEntry: Sendable, Hashable, Codable {
    public var seq: Int64
    public var at: Int64
    /// Who made the change: `cli:NAME`, `api:TOKEN-ID`, `import:FILE`, `liftwatch` for LiftWatch itself.
    public var actor: String
    /// What was done, such as `elevator.register`, `stage.move`, `contract.assign`, `terminal.replace`.
    public var action: String
    /// What it was done to: a unit, elevator, ticket or token id.
    public var subject: String
    /// The change's details as a JSON object.
    public var detail: String
    public var prevHash: String
    public var hash: String

    /// The previous hash of the first entry.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// The hash these fields and `prevHash` must have.
    public static func computeHash(at: Int64, actor: String, action: String, subject: String, detail: String, prevHash: String) -> String {
        // Length-prefixed fields: no choice of field contents can make two different entries hash alike.
        var text = ""
        for field in [String(at), actor, action, subject, detail, prevHash] {
            text += "\(field.utf8.count):\(field)\n"
        }
        return SHA256.hash(data: Array(text.utf8)).hexString
    }

    /// Whether `hash` matches the entry's contents.
    public var isIntact: Bool {
        hash == Self.computeHash(at: at, actor: actor, action: action, subject: subject, detail: detail, prevHash: prevHash)
    }
}
