/// The outcome of checking the audit chain: the problems found, each naming the entry concerned.
public struct AuditVerification: Sendable, Hashable, Codable {
    /// One break in the chain.
    public struct Problem: Sendable, Hashable, Codable, CustomStringConvertible {
        public enum Kind: String, Sendable, Hashable, Codable {
            /// The entry's contents no longer match its hash, or a later entry links to a different version of it.
            case altered
            /// One or more entries are missing before this one.
            case removed
            /// The entry was not part of the chain: the next entry links past it.
            case inserted
        }

        public var kind: Kind
        /// The entry named: the altered or inserted one, or the one after the removed ones.
        public var seq: Int64
        public var message: String

        public var description: String { "\(kind.rawValue) at seq \(seq): \(message)" }
    }

    public var entries: Int
    /// The last entry's hash: keep it elsewhere to detect later truncation or appended forgeries.
    public var headHash: String
    public var problems: [Problem]

    public var isIntact: Bool { problems.isEmpty }

    /// Walks `entries` in `seq` order and names every break.
    public static func verify(_ entries: [AuditEntry]) -> AuditVerification {
        var problems: [Problem] = []
        let byHash = Dictionary(entries.map { ($0.hash, $0.seq) }, uniquingKeysWith: { first, _ in first })
        var previous: AuditEntry?
        var beforePrevious: AuditEntry?
        for entry in entries {
            if !entry.isIntact {
                problems.append(Problem(kind: .altered, seq: entry.seq, message: "its contents do not match its hash"))
            }
            if entry.prevHash != (previous?.hash ?? AuditEntry.genesisHash) {
                if let previous, entry.prevHash == (beforePrevious?.hash ?? AuditEntry.genesisHash) {
                    problems.append(Problem(
                        kind: .inserted, seq: previous.seq,
                        message: "entry \(entry.seq) links past it to \(beforePrevious.map { "entry \($0.seq)" } ?? "the start of the log")"))
                } else if let previous, entry.seq != previous.seq + 1 {
                    problems.append(Problem(
                        kind: .removed, seq: entry.seq,
                        message: "entries \(previous.seq + 1)…\(entry.seq - 1) are missing before it"))
                } else if let previous {
                    let known = byHash[entry.prevHash].map { "entry \($0)" } ?? "no entry in the log"
                    problems.append(Problem(
                        kind: .altered, seq: previous.seq,
                        message: "entry \(entry.seq) links to \(known), not to it: it was rewritten with a new hash, or entries were removed and the rest renumbered"))
                } else {
                    problems.append(Problem(kind: .removed, seq: entry.seq, message: "the entries before it are missing"))
                }
            }
            beforePrevious = previous
            previous = entry
        }
        return AuditVerification(entries: entries.count, headHash: entries.last?.hash ?? AuditEntry.genesisHash, problems: problems)
    }
}
