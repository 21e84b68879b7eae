/// An elevator's ingestion counters since it was first heard from.
public struct IngestCounters: Sendable, Hashable, Codable {
    public var elevatorID: String
    public var received: Int
    public var duplicates: Int
    public var rejected: Int
    /// Gaps detected (each missing range counts once).
    public var gaps: Int
    /// Messages that arrived to fill a gap after a replay request.
    public var replayed: Int
    /// Messages given up on: gaps still open after the gap timeout.
    public var lost: Int
    public var highSeq: UInt64?
    /// Missing ranges not yet filled nor given up on.
    public var openGaps: [SequenceGap]
}
