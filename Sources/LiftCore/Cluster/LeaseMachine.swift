/// Whether this LiftWatch node may act (take controller messages, open tickets, send anything), decided from its
/// lease in the cluster's lock service alone. Pure: instants come in as arguments, effects go out.
///
/// The lock service keeps the lease for `ttl` after each renewal it confirms. A renewal confirmed for a request
/// sent at `s` means the lease lasts at least until `s + ttl` on the service's clock, so the node stops acting at
/// `s + stepDownAfter` on its own: the gap (`ttl - stepDownAfter`) covers clock-rate drift and the time it takes
/// to stop. Another node can only acquire the lease after `s + ttl`, so two nodes never act at once.
public struct LeaseMachine: Sendable {
    public struct Policy: Sendable, Equatable {
        /// How long the lock service keeps the lease without a renewal.
        public var ttl: Duration
        /// Renew this often.
        public var renewEvery: Duration { ttl / 3 }
        /// Stop acting when the last confirmed renewal was sent this long ago.
        public var stepDownAfter: Duration { ttl * 2 / 3 }
        /// Stop acting (and so let the standby take over) when the store has refused every write for this long: a
        /// node whose disk is full or broken would otherwise hold the lease while it stores nothing.
        public var storeFailureLimit: Duration

        public init(ttl: Duration, storeFailureLimit: Duration = .seconds(30)) {
            precondition(ttl >= .seconds(2), "a lease shorter than 2 s leaves no time to renew it")
            self.ttl = ttl
            self.storeFailureLimit = storeFailureLimit
        }
    }

    public enum Phase: Sendable, Equatable {
        /// Waiting for the lease; does nothing else.
        case standby
        /// Holds the lease, confirmed for a renewal (or the grant) sent at `confirmedSentAt`.
        case active(since: ContinuousClock.Instant, confirmedSentAt: ContinuousClock.Instant)
        /// Lost the lease while active: must stop at once and never act again in this process.
        case fenced(reason: String)
    }

    public enum Effect: Sendable, Equatable {
        /// Start acting: restore the store, connect, ingest, schedule.
        case act
        /// Send a renewal now.
        case renew
        /// Stop acting at once (the process exits: anything it would still do could overlap the next active node).
        case stopActing(reason: String)
    }

    public let policy: Policy
    public private(set) var phase: Phase = .standby
    private var lastRenewalSent: ContinuousClock.Instant?

    public init(policy: Policy) {
        self.policy = policy
    }

    public var isActive: Bool {
        if case .active = phase { return true }
        return false
    }

    /// The lock service granted the lease on a request sent at `sentAt`.
    public mutating func acquired(sentAt: ContinuousClock.Instant) -> [Effect] {
        guard case .standby = phase else { return [] }
        phase = .active(since: sentAt, confirmedSentAt: sentAt)
        return [.act]
    }

    /// The lock service confirmed the lease for a renewal sent at `sentAt`. A late answer to an older request
    /// never moves the confirmation back.
    public mutating func renewed(sentAt: ContinuousClock.Instant) {
        guard case .active(let since, let confirmed) = phase else { return }
        phase = .active(since: since, confirmedSentAt: max(confirmed, sentAt))
    }

    /// The lock service says the lease is gone (expired, revoked, or held by another node).
    public mutating func lost(reason: String) -> [Effect] {
        guard case .active = phase else { return [] }
        phase = .fenced(reason: reason)
        return [.stopActing(reason: reason)]
    }

    /// Called often (every few hundred milliseconds): renew when due, stop when the lease can no longer be
    /// counted on, or when the store has refused writes since `storeFailingSince` for `storeFailureLimit` (the lease
    /// then runs out and passes to the standby).
    public mutating func tick(now: ContinuousClock.Instant, storeFailingSince: ContinuousClock.Instant? = nil) -> [Effect] {
        guard case .active(_, let confirmed) = phase else { return [] }
        if now - confirmed >= policy.stepDownAfter {
            let reason = "no renewal confirmed for \(now - confirmed) (the lease ends \(policy.ttl) after the last one)"
            phase = .fenced(reason: reason)
            return [.stopActing(reason: reason)]
        }
        if let failing = storeFailingSince, now - failing >= policy.storeFailureLimit {
            let reason = "the store has refused every write for \(now - failing): handing over to the standby"
            phase = .fenced(reason: reason)
            return [.stopActing(reason: reason)]
        }
        if let sent = lastRenewalSent, now - sent < policy.renewEvery { return [] }
        lastRenewalSent = now
        return [.renew]
    }
}
