/// How long the store's replica has been behind the store, from what a node can see of both: when the store was
/// last written and when the replica last received a file. Pure: times come in as arguments.
///
/// Each look notes the store's last write if the replica has nothing as new; the lag is the time since the look
/// that first saw the oldest write still not shipped. Shipped between two looks (Litestream syncs every second),
/// a write never counts; with Litestream stalled or unable to write, the lag grows while the store is written.
/// Good to the interval between looks (a second), which is what an alert needs.
public struct ReplicaLag: Sendable {
    /// Behind for longer than this is worth an alert (health degraded, a log line).
    public let alertAfter: Duration
    /// Writes seen and not yet shipped, oldest first: (write time, the look that saw it).
    private var unshipped: [(written: Int64, seenAt: ContinuousClock.Instant)] = []
    /// At most this many writes are remembered (an hour of looks a second apart); past it the oldest stays and
    /// the ones after it go, so the lag is never understated while the oldest is unshipped.
    public static let remembered = 3_600

    public init(alertAfter: Duration) {
        self.alertAfter = alertAfter
    }

    /// Records one look at the two folders and returns how long the replica has been behind (zero when it is not).
    /// - Parameters:
    ///   - lastWrite: the store's last write (its WAL's modification), in epoch milliseconds; nil if unknown or empty.
    ///   - lastShipped: the replica's newest file, in epoch milliseconds; nil when it holds none yet.
    public mutating func observe(lastWrite: Int64?, lastShipped: Int64?, now: ContinuousClock.Instant) -> Duration {
        let shipped = lastShipped ?? .min
        if let kept = unshipped.firstIndex(where: { $0.written > shipped }) {
            unshipped.removeFirst(kept)
        } else {
            unshipped.removeAll(keepingCapacity: true)
        }
        if let written = lastWrite, written > shipped, written > (unshipped.last?.written ?? .min) {
            if unshipped.count >= Self.remembered { unshipped.remove(at: 1) }
            unshipped.append((written, now))
        }
        return lag(now: now)
    }

    /// The lag the last look found, as of `now`.
    public func lag(now: ContinuousClock.Instant) -> Duration { unshipped.first.map { now - $0.seenAt } ?? .zero }

    /// How many unshipped writes are remembered (at most `remembered`).
    public var rememberedWrites: Int { unshipped.count }
}
