import LiftCore
import LiftStore
import Logging
import Metrics
import ServiceLifecycle

/// Keeps the time-series store in shape while LiftWatch runs: rollups every few seconds, compaction of past
/// days into compressed chunks, and retention once a day.
public struct StoreMaintenanceService: Service {
    public struct Configuration: Sendable {
        /// How often pending rollups are computed.
        public var rollupInterval: Duration = .seconds(5)
        /// How long after a minute ends its rollup waits for late samples (a later sample still marks it again).
        public var rollupSettling: Int64 = 5_000
        /// How often committed WAL frames are copied back into the database file, off the writer. Often, so that
        /// each checkpoint's sync is short: while one runs, the writer's own writes to the WAL can stall in the
        /// kernel, and a fault event waits for that writer. At 20,000 msg/s, every 5 s put 7–8 of 300 faults over
        /// 100 ms (fault → ticket), every second 2–6, every 250 ms 0–1 (docs/benchmarks.md).
        public var checkpointInterval: Duration = .milliseconds(250)
        /// Days younger than this many whole days stay in the hot table (today is never compacted).
        public var compactAfterDays = 1
        public var retention: RetentionPolicy

        public init(rollupInterval: Duration = .seconds(5), compactAfterDays: Int = 1, retention: RetentionPolicy = .init()) {
            self.rollupInterval = rollupInterval
            self.compactAfterDays = compactAfterDays
            self.retention = retention
        }
    }

    let database: LiftDatabase
    let clock: EpochClock
    let configuration: Configuration
    let logger: Logger

    public init(database: LiftDatabase, clock: EpochClock = .system, configuration: Configuration = .init(), logger: Logger = Logger(label: "liftwatch.store")) {
        self.database = database
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.checkpoints() }
            group.addTask { await self.upkeep() }
        }
    }

    /// WAL checkpoints on a connection of their own: the writer never runs one inside a commit, where a fault
    /// event's transaction could be waiting behind it.
    private func checkpoints() async {
        // Beside the process's resident memory: how much of it is SQLite's (bounded caches) and how much LiftWatch's.
        let sqliteMemory = Gauge(label: "liftwatch_store_sqlite_memory_bytes")
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            sqliteMemory.record(LiftDatabase.sqliteMemoryUsed)
            do { try await database.checkpointInBackground() } catch {
                logger.warning("checkpoint failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: configuration.checkpointInterval)
        }
    }

    private func upkeep() async {
        var lastCompactionDay: Int64 = -1
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                // Minutes that have ended (plus `rollupSettling` for stragglers), each once: rolled up at every
                // pass while its samples arrived, a minute was computed a dozen times. In short transactions
                // that stop early while a fault event wants the writer: the one writer is shared with ingestion
                // and the ticket engine, and GRDB serves it in arrival order.
                let settled = Rollups.floor(clock.now() - configuration.rollupSettling, to: Rollups.minute)
                for _ in 0..<200 {
                    await database.priority.waitForTurn(atMost: .seconds(1))
                    if try await database.updateRollupsInBackground(maximumMinutes: 10, settledBefore: settled, givingWay: true) == 0 { break }
                }
                try await dailyPass(lastCompactionDay: &lastCompactionDay)
            } catch {
                logger.error("store maintenance failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: configuration.rollupInterval)
        }
        // Leave rollups complete on the way out.
        while (try? database.updateRollups()) ?? 0 > 0 {}
    }

    /// Once per day: compaction of past days and retention, after the past days' pending rollups.
    ///
    /// In the background and in small transactions that give way to fault events: the first pass runs at
    /// start-up, which after an outage is when the broker hands over the backlog.
    public func dailyPass(lastCompactionDay: inout Int64) async throws {
        let now = clock.now()
        let today = Rollups.floor(now, to: Rollups.day)
        guard today != lastCompactionDay else { return }
        lastCompactionDay = today
        let cutoff = today - Int64(configuration.compactAfterDays - 1) * Rollups.day
        // Retention may drop these minutes' samples: their rollups first.
        while try await database.updateRollupsInBackground(maximumMinutes: 200, settledBefore: cutoff, givingWay: true) > 0 {
            await database.priority.waitForTurn(atMost: .seconds(1))
        }
        let compaction = try await database.compactInBackground(before: cutoff)
        let retention = try database.applyRetention(configuration.retention, now: now)
        let photos = try database.purgeUnusedPhotos(now: now)
        logger.info("store maintenance", metadata: [
            "chunks_written": "\(compaction.chunksWritten)", "samples_compacted": "\(compaction.samplesMoved)",
            "chunks_dropped": "\(retention.chunksDropped)", "rollups_dropped": "\(retention.rollupsDropped)",
            "events_dropped": "\(retention.eventsDropped)", "unused_photos_dropped": "\(photos)",
        ])
    }
}
