import LiftCore
import LiftStore

/// Feeds kept dead letters through ingestion again, after their cause is fixed (an elevator registered, a
/// fault-code map added).
///
/// A letter that passes is handled as if it arrived now (v1.1 §11.1): stored (once: what was stored already
/// counts as a duplicate) with the replay's time as its arrival, its fault class decided then, and marked replayed;
/// the fault events it stores come back for the ticket engine (and any the caller does not hand on are ticketed
/// by the scheduler's sweep). One that fails again stays pending, with the new reason as its replay outcome.
/// Replays do not move `seq` gap tracking, which follows live traffic, nor the elevator's `last_seen`: an old
/// message says nothing of whether the elevator is online now.
public struct DeadLetterReplayer: Sendable {
    let database: LiftDatabase
    let clock: EpochClock
    let faultCodeMaps: [String: FaultCodeMap]
    /// Region prefix → platform, as live ingestion uses it (`IngestService.Configuration.regionPlatforms`).
    let regionPlatforms: [String: String]

    public init(
        database: LiftDatabase, clock: EpochClock = .system, faultCodeMaps: [String: FaultCodeMap] = ["default": .standard],
        regionPlatforms: [String: String] = [:]
    ) {
        self.database = database
        self.clock = clock
        self.faultCodeMaps = faultCodeMaps
        self.regionPlatforms = regionPlatforms
    }

    /// What a replay did.
    public struct Summary: Sendable, Hashable, Codable {
        public var replayed = 0
        public var accepted = 0
        public var rejectedAgain = 0
        public var rejectedReasons: [String: Int] = [:]
    }

    /// Replays pending dead letters: those with the given ids, or else all (optionally of one reason).
    /// Newly stored events are returned so the caller can hand them on.
    public func replay(ids: [Int64]? = nil, reason: String? = nil, progress: ((Int) -> Void)? = nil) throws -> (Summary, IngestCommitResult) {
        let now = clock.now()
        var processor = MessageProcessor(
            database: database, faultCodeMaps: faultCodeMaps, directory: ElevatorDirectory(regionPlatforms: regionPlatforms),
            tracker: SequenceTracker(), trackSequence: false, limits: IngestLimits(policy: .unlimited))
        try processor.directory.reload(from: database, now: now)
        var summary = Summary()
        var total = IngestCommitResult()
        var after: Int64 = 0
        let wanted = ids.map(Set.init)
        while true {
            let letters = try database.deadLetters(afterID: after, limit: 500, pendingOnly: true, reason: reason)
            guard let last = letters.last else { break }
            after = last.id
            var batch = IngestBatch()
            for letter in letters where wanted?.contains(letter.id) ?? true {
                summary.replayed += 1
                var attempt = IngestBatch()
                if let rejection = processor.process(topic: letter.topic, payload: letter.payload, receivedAt: now, into: &attempt) {
                    summary.rejectedAgain += 1
                    summary.rejectedReasons[rejection.reason.rawValue, default: 0] += 1
                    batch.replayedDeadLetters.append((letter.id, "rejected again: \(rejection)", nil))
                    continue
                }
                summary.accepted += 1
                batch.telemetry += attempt.telemetry
                batch.events += attempt.events
                batch.stats += attempt.stats
                // A status from the past says nothing of the elevator now: not applied (as `last_seen`).
                batch.counters.merge(attempt.counters) { old, new in
                    var sum = old
                    sum.received += new.received
                    return sum
                }
                batch.replayedDeadLetters.append((letter.id, "stored", now))
            }
            let result = try database.commit(batch)
            total.newEvents += result.newEvents
            total.storedTelemetry += result.storedTelemetry
            total.duplicates.merge(result.duplicates, uniquingKeysWith: +)
            progress?(summary.replayed)
        }
        return (summary, total)
    }
}
