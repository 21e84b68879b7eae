import LiftCore

/// How much one controller can make LiftWatch keep: events per elevator, and dead letters per elevator (and for
/// unregistered senders together). Pure: time comes in as arguments.
///
/// Events: a token bucket per elevator (`eventsPerMinute` sustained, `eventBurst` at once). An event past the
/// limit is a dead letter (`rate_limited`), unless its kind, code and state were not seen from that elevator in the
/// last minute: a flood of one repeated event is cut, a new fault in the middle of it (an entrapment) still passes.
/// Dead letters: at most `deadLettersPerMinute` per elevator, and `unregisteredDeadLettersPerMinute` from all
/// unregistered senders together, are kept with their bytes; the rest are counted (`rejected`, and the
/// `liftwatch_ingest_dead_letters_dropped` metric), not kept.
///
/// Memory: one bucket and one counter per registered elevator, at most `recentSignatures` signatures each.
struct IngestLimits: Sendable {
    struct Policy: Sendable, Hashable {
        var eventsPerMinute = 120
        var eventBurst = 60
        var deadLettersPerMinute = 120
        var unregisteredDeadLettersPerMinute = 600
        /// Distinct event signatures remembered per elevator.
        var recentSignatures = 64
        init() {}

        /// No limit: for replays, which an operator starts and bounds.
        static var unlimited: Policy {
            var policy = Policy()
            policy.eventsPerMinute = .max / 2
            policy.eventBurst = .max / 2
            policy.deadLettersPerMinute = .max / 2
            policy.unregisteredDeadLettersPerMinute = .max / 2
            return policy
        }
    }

    private struct Bucket {
        var tokens: Double
        var refilledAt: Int64
        /// Signature → last time seen.
        var recent: [String: Int64] = [:]
    }

    private struct MinuteCount {
        var minute: Int64 = .min
        var count = 0
        mutating func admit(at now: Int64, limit: Int) -> Bool {
            let current = now / 60_000
            if current != minute {
                minute = current
                count = 0
            }
            count += 1
            return count <= limit
        }
    }

    let policy: Policy
    private var buckets: [Int64: Bucket] = [:]
    private var deadLetters: [Int64: MinuteCount] = [:]
    private var unregistered = MinuteCount()

    init(policy: Policy = Policy()) { self.policy = policy }

    /// Whether an event from `elevator` with this `signature` (kind, code, state) may be stored now.
    mutating func admitEvent(elevator: Int64, signature: String, at now: Int64) -> Bool {
        var bucket = buckets[elevator] ?? Bucket(tokens: Double(policy.eventBurst), refilledAt: now)
        defer { buckets[elevator] = bucket }
        let elapsed = Double(max(0, now - bucket.refilledAt))
        bucket.tokens = min(Double(policy.eventBurst), bucket.tokens + elapsed * Double(policy.eventsPerMinute) / 60_000)
        bucket.refilledAt = now
        let isNew = bucket.recent[signature].map { now - $0 > 60_000 } ?? true
        remember(signature, at: now, in: &bucket)
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            return true
        }
        return isNew
    }

    /// Valid events have at most 54 signatures (22 faults raised or cleared, 6 modes, 2 alarms, 2 visit markers), so
    /// a controller cannot cycle through enough of them to make old ones new again.
    private func remember(_ signature: String, at now: Int64, in bucket: inout Bucket) {
        bucket.recent[signature] = now
        guard bucket.recent.count > policy.recentSignatures else { return }
        bucket.recent = bucket.recent.filter { now - $0.value <= 60_000 }
        while bucket.recent.count > policy.recentSignatures,
            let oldest = bucket.recent.filter({ $0.key != signature }).min(by: { $0.value < $1.value })
        {
            bucket.recent[oldest.key] = nil
        }
    }

    /// Whether a dead letter of `elevator` (nil: an unregistered or unreadable sender) is kept with its bytes.
    mutating func admitDeadLetter(elevator: Int64?, at now: Int64) -> Bool {
        guard let elevator else { return unregistered.admit(at: now, limit: policy.unregisteredDeadLettersPerMinute) }
        return deadLetters[elevator, default: MinuteCount()].admit(at: now, limit: policy.deadLettersPerMinute)
    }

    /// Elevators tracked (for the bound's test).
    var trackedElevators: Int { max(buckets.count, deadLetters.count) }
    func rememberedSignatures(of elevator: Int64) -> Int { buckets[elevator]?.recent.count ?? 0 }
}
