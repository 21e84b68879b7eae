import GRDB
import Synchronization

/// What the writer connection knows it has already written, so that an ingest commit does not write the same
/// bookkeeping again for every batch.
///
/// A batch from a thousand elevators would otherwise mark a thousand minutes dirty for the rollups and touch a
/// thousand `last_seen` values, each time, though most are already marked or barely move. The memo is read
/// and changed only on the writer queue: inside write transactions and in their commit hooks, so it always
/// matches what is committed. When another connection (another process: `liftwatch store maintain`) has
/// written since, it is dropped and rebuilt from nothing, which only costs writes.
final class WriterMemo: Sendable {
    /// `last_seen` is written again once it has moved by this much (ms): the offline threshold is minutes.
    static let lastSeenResolution: Int64 = 1_000

    private struct State {
        var dataVersion: Int64?
        var dirtyMinutes: Set<DirtyMinute> = []
        var lastSeen: [Int64: Int64] = [:]
    }

    private let state = Mutex(State())

    /// Drops the memo when a connection other than the writer has committed since the memo was last checked.
    func validate(in db: Database) throws {
        let version = try Int64.fetchOne(db, sql: "PRAGMA data_version")
        state.withLock { state in
            if state.dataVersion != version {
                state = State()
                state.dataVersion = version
            }
        }
    }

    /// The minutes of `minutes` not yet known to be in `rollup_dirty`.
    func unmarked(_ minutes: Set<DirtyMinute>) -> [DirtyMinute] {
        state.withLock { state in minutes.filter { !state.dirtyMinutes.contains($0) } }
    }

    /// The elevators whose `last_seen` should be written, with the value.
    func lastSeenToWrite(_ seen: [Int64: Int64]) -> [(elevator: Int64, seen: Int64)] {
        state.withLock { state in
            seen.compactMap { elevator, at in
                if let written = state.lastSeen[elevator], at < written + Self.lastSeenResolution { return nil }
                return (elevator, at)
            }
        }
    }

    /// Remembers, once the transaction in progress commits, what it wrote.
    func afterCommit(in db: Database, marked: [DirtyMinute] = [], cleared: [DirtyMinute] = [], lastSeen: [(elevator: Int64, seen: Int64)] = []) {
        guard !marked.isEmpty || !cleared.isEmpty || !lastSeen.isEmpty else { return }
        db.afterNextTransaction { [self] _ in
            state.withLock { state in
                state.dirtyMinutes.formUnion(marked)
                state.dirtyMinutes.subtract(cleared)
                for (elevator, seen) in lastSeen { state.lastSeen[elevator] = max(state.lastSeen[elevator] ?? seen, seen) }
            }
        }
    }
}
