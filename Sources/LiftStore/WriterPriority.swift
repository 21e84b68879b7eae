import Synchronization

/// Who goes first at SQLite's one writer: urgent work (fault events and their tickets) before bulk work
/// (telemetry batches, rollups, compaction, scheduler passes). The store owns it (`LiftDatabase.priority`);
/// ingestion only states its lanes.
///
/// GRDB serves the writer in arrival order, so a fault event's small transaction queued behind a telemetry batch
/// or a rollup pass would wait for all of it. So:
/// - urgent work announces itself for as long as it needs the writer (`enter()` … `leave()`), and a lane may
///   state urgent work that is waiting and not yet begun (`addPendingSource(_:)`: events in a network buffer);
/// - bulk writers ask `shouldYield` between small steps (the store's own bulk writes do: telemetry commits every
///   256 samples, rollup passes after each elevator) and, when it is true, end their transaction early and
///   `waitForTurn(atMost:)`, which a continuation wakes the moment the last urgent work leaves, bounded so that a
///   storm of urgent work cannot stall bulk work for good.
public final class WriterPriority: Sendable {
    private let holders = Atomic<Int>(0)
    private struct State {
        var sources: [@Sendable () -> Bool] = []
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    public init() {}

    /// True while urgent work has entered and not left.
    public var isUrgentWorkRunning: Bool { holders.load(ordering: .acquiring) > 0 }

    /// Whether bulk work should give way now: urgent work is running, or a lane says some is waiting.
    public var shouldYield: Bool {
        if isUrgentWorkRunning { return true }
        return state.withLock { $0.sources }.contains { $0() }
    }

    /// States a lane's urgent work that is waiting and not yet begun (checked on every `shouldYield`: keep it cheap).
    /// The work it announces must begin with `enter()`: its `leave()` is what wakes bulk work waiting on it.
    public func addPendingSource(_ source: @escaping @Sendable () -> Bool) {
        state.withLock { $0.sources.append(source) }
    }

    /// Announces urgent work; every `enter()` needs one `leave()`.
    public func enter() { holders.add(1, ordering: .acquiringAndReleasing) }

    /// Ends what `enter()` announced; the last one wakes the bulk writers waiting for their turn.
    public func leave() {
        let (_, now) = holders.subtract(1, ordering: .acquiringAndReleasing)
        guard now == 0 else { return }
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Suspends bulk work until nothing urgent is running or waiting, the task is cancelled, or `limit` has passed.
    public func waitForTurn(atMost limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while shouldYield && !Task.isCancelled {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return }
            await nextRelease(within: remaining)
        }
    }

    /// Suspends until the last urgent work leaves, or `timeout`. Waiting work that has not begun yet (a pending
    /// source) begins with an `enter()`, so its `leave()` wakes this too; `timeout` covers a source gone stale.
    private func nextRelease(within timeout: Duration) async {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                state.withLock { $0.waiters[id] = continuation }
                // A `leave()` (or the pending work's whole run) between the caller's check and the registration is
                // caught by looking again.
                if !shouldYield || Task.isCancelled { self.resume(id) }
                Task {
                    try? await Task.sleep(for: timeout)
                    self.resume(id)
                }
            }
        } onCancel: {
            resume(id)
        }
    }

    private func resume(_ id: Int) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }
}

/// Whether the store's writes succeed, for `/healthz`: the first failure since the last success, with its cause.
public final class WriteHealth: Sendable {
    /// A run of failed writes: since when, how many, and the last error.
    public struct Failure: Sendable, Hashable {
        public var since: ContinuousClock.Instant
        public var count: Int
        public var error: String
        public var resultCode: Int32?
        /// The disk's failures in this run (`StoreError.isDiskFailure`): since when, and how many.
        public var diskSince: ContinuousClock.Instant?
        public var diskFailures = 0
    }
    private let state = Mutex<Failure?>(nil)

    /// Disk failures in a row before the store counts as failing (`failingSince`): one refused write with no
    /// write after it says little.
    public static let diskFailuresToFail = 3

    public init() {}

    /// Nil while writes succeed.
    public var failure: Failure? { state.withLock { $0 } }

    /// Since when the store has refused writes for reasons of its disk (`StoreError.isDiskFailure`: full, I/O error, corrupt,
    /// read-only, gone), at least `diskFailuresToFail` times with no write succeeding in between: what a cluster
    /// node steps down on. Contention, constraint errors and LiftWatch's own mistakes do not count: the standby's
    /// store would refuse them the same way.
    public var failingSince: ContinuousClock.Instant? {
        state.withLock { failure in
            guard let failure, failure.diskFailures >= Self.diskFailuresToFail else { return nil }
            return failure.diskSince
        }
    }

    func succeeded() {
        state.withLock { if $0 != nil { $0 = nil } }
    }

    func failed(_ error: StoreError) {
        state.withLock { failure in
            var current = failure ?? Failure(since: .now, count: 0, error: "", resultCode: nil)
            current.count += 1
            current.error = error.description
            current.resultCode = error.resultCode
            if error.isDiskFailure {
                if current.diskSince == nil { current.diskSince = .now }
                current.diskFailures += 1
            }
            failure = current
        }
    }

    /// Records the outcome of a write.
    func recording<T>(_ body: () throws -> T) throws -> T {
        do {
            let value = try body()
            succeeded()
            return value
        } catch let error as StoreError {
            failed(error)
            throw error
        }
    }

    func recording<T>(_ body: () async throws -> T) async throws -> T {
        do {
            let value = try await body()
            succeeded()
            return value
        } catch let error as StoreError {
            failed(error)
            throw error
        }
    }
}
