import Synchronization

/// Whether urgent work (a fault event and its ticket) wants the one writer: bulk writers give way while it does.
///
/// SQLite has one writer and GRDB serves it in arrival order, so a fault event's small transaction queued
/// behind a telemetry batch or a rollup pass waits for all of it. Urgent work announces itself for as long as
/// it needs the writer (`enter()` … `leave()`); bulk writers ask `isWanted` between small steps
/// and, when it is, end their transaction early (roll back or commit the part done) and wait
/// (`waitUntilNotWanted()`) before going on.
public final class WriterUrgency: Sendable {
    private let holders = Atomic<Int>(0)

    public init() {}

    /// True while some urgent work has entered and not left.
    public var isWanted: Bool { holders.load(ordering: .acquiring) > 0 }

    /// Announces urgent work; every `enter()` needs one `leave()`.
    public func enter() { holders.add(1, ordering: .releasing) }

    /// Ends what `enter()` announced.
    public func leave() { holders.subtract(1, ordering: .releasing) }

    /// Suspends (in 1 ms steps) until no urgent work is announced, the task is cancelled, or `limit` has passed
    /// (a bound on how long a storm of urgent work may hold the caller back).
    public func waitUntilNotWanted(atMost limit: Duration? = nil) async {
        let deadline = limit.map { ContinuousClock.now + $0 }
        while isWanted && !Task.isCancelled {
            if let deadline, ContinuousClock.now >= deadline { return }
            try? await Task.sleep(for: .milliseconds(1))
        }
    }
}
