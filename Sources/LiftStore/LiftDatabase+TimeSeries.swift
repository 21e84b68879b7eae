import Foundation
import GRDB
import LiftCore

/// Retention periods in days per record class; 0 keeps for ever.
public struct RetentionPolicy: Sendable, Hashable {
    public var rawTelemetryDays: Int
    /// Hour and day rollups.
    public var rollupDays: Int
    /// Minute rollups: about as large as 10 s samples themselves, so kept only for the recent charts; older
    /// minutes are computed from the raw samples.
    public var minuteRollupDays: Int
    public var eventDays: Int
    /// Dead letters, replayed or not, older than this go.
    public var deadLetterDays: Int
    /// Dead letters kept per elevator (and for unregistered senders, per topic id); the oldest beyond go.
    public var deadLettersPerElevator: Int

    public init(
        rawTelemetryDays: Int = 90, rollupDays: Int = 3_650, minuteRollupDays: Int = 2, eventDays: Int = 3_650, deadLetterDays: Int = 90,
        deadLettersPerElevator: Int = 10_000
    ) {
        self.rawTelemetryDays = rawTelemetryDays
        self.rollupDays = rollupDays
        self.minuteRollupDays = minuteRollupDays
        self.eventDays = eventDays
        self.deadLetterDays = deadLetterDays
        self.deadLettersPerElevator = deadLettersPerElevator
    }
}

/// What a compaction pass did.
public struct CompactionReport: Sendable, Hashable {
    public var chunksWritten = 0
    public var samplesMoved = 0
    public var bytesWritten = 0

    mutating func add(_ other: CompactionReport) {
        chunksWritten += other.chunksWritten
        samplesMoved += other.samplesMoved
        bytesWritten += other.bytesWritten
    }
}

/// What a retention pass dropped.
public struct RetentionReport: Sendable, Hashable {
    public var chunksDropped = 0
    public var hotSamplesDropped = 0
    public var rollupsDropped = 0
    public var eventsDropped = 0
    public var deadLettersDropped = 0
}

/// How telemetry sits on disk.
public struct StorageReport: Sendable, Hashable {
    public var hotSamples: Int
    /// Bytes of the hot table and its index (SQLite pages), when SQLite can tell.
    public var hotBytes: Int?
    public var chunks: Int
    public var chunkSamples: Int
    public var chunkBytes: Int
}

extension LiftDatabase {
    static let dayMs: Int64 = 86_400_000

    /// Raw samples of an elevator with `from <= ts < to`, from the hot table and the compressed chunks alike,
    /// in time order, each once.
    public func telemetry(_ elevatorID: String, from: Int64, to: Int64) throws -> [TelemetrySample] {
        try read { db in
            guard let key = try Self.key(of: elevatorID, in: db) else { return [] }
            return try Self.samples(elevator: key, from: from, to: to, in: db).map(\.sample)
        }
    }

    static func key(of elevatorID: String, in db: Database) throws -> Int64? {
        // Cached: the scheduler's passes ask for every elevator's key, several times each.
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM elevators WHERE elevator_id = ?"), arguments: [elevatorID])
    }

    static func samples(elevator: Int64, from: Int64, to: Int64, in db: Database) throws -> [StoredSample] {
        // Each seq once, the hot table's row winning over a chunk's (a late copy of a compacted sample).
        var rows: [StoredSample] = []
        var position: [UInt64: Int] = [:]
        func keep(_ row: StoredSample) {
            if let index = position[row.sample.seq] {
                rows[index] = row
            } else {
                position[row.sample.seq] = rows.count
                rows.append(row)
            }
        }
        let chunks = try Row.fetchAll(db, sql: """
            SELECT data FROM telemetry_chunks WHERE elevator = ? AND from_ts < ? AND to_ts >= ?
            """, arguments: [elevator, to, from])
        for chunk in chunks {
            for row in try TelemetryChunkCodec.decode([UInt8](chunk["data"] as Data)) where row.sample.ts >= from && row.sample.ts < to {
                keep(row)
            }
        }
        // A cursor reads each row in place, without copying it into a Row of its own first.
        let hot = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT received_at, \(TelemetrySample.columns) FROM telemetry WHERE elevator = ? AND ts >= ? AND ts < ?
            """), arguments: [elevator, from, to])
        while let row = try hot.next() {
            keep(StoredSample(sample: TelemetrySample(row: row, at: 1), receivedAt: row[0]))
        }
        // Chunks and the hot table each come in time order, and usually one after the other: sorting samples of
        // this size moves a lot of memory, so only when they are not in order already.
        let inOrder = zip(rows, rows.dropFirst()).allSatisfy { ($0.sample.ts, $0.sample.seq) < ($1.sample.ts, $1.sample.seq) }
        if !inOrder {
            rows.sort { ($0.sample.ts, $0.sample.seq) < ($1.sample.ts, $1.sample.seq) }
        }
        return rows
    }

    // MARK: Counters

    /// Increase of a cumulative counter (`trips`, `door_cycles`) per UTC day over `[from, to)`: the last
    /// value of each day minus the last value before it. A counter that went backwards (a controller reset)
    /// counts from zero again.
    public func counterDeltas(_ elevatorID: String, counter: String, from: Int64, to: Int64) throws -> [(day: Int64, delta: Int64)] {
        guard ["trips", "door_cycles"].contains(counter) else {
            throw StoreError(operation: "counter deltas", message: "unknown counter \(counter); trips or door_cycles")
        }
        return try read { db in
            guard let key = try Self.key(of: elevatorID, in: db) else { return [] }
            let baseline = try Int64.fetchOne(db, sql: "SELECT \(counter) FROM stats WHERE elevator = ? AND ts < ? AND \(counter) IS NOT NULL ORDER BY ts DESC LIMIT 1", arguments: [key, from])
            let rows = try Row.fetchAll(db, sql: "SELECT ts, \(counter) AS value FROM stats WHERE elevator = ? AND ts >= ? AND ts < ? AND \(counter) IS NOT NULL ORDER BY ts, seq", arguments: [key, from, to])
            var deltas: [Int64: Int64] = [:]
            var previous = baseline
            for row in rows {
                let value: Int64 = row["value"]
                let day = Rollups.floor(row["ts"], to: Rollups.day)
                let increase = previous.map { value >= $0 ? value - $0 : value } ?? 0
                deltas[day, default: 0] += increase
                previous = value
            }
            return deltas.keys.sorted().map { ($0, deltas[$0]!) }
        }
    }

    // MARK: Compaction and retention

    /// Moves hot samples with `ts < before` (whole UTC days) into compressed chunks, one per elevator and day,
    /// merging with a chunk already there, one elevator-day per transaction. Rollups still pending may be
    /// computed after: they read the samples wherever they are.
    @discardableResult
    public func compact(before: Int64, progress: ((CompactionReport) -> Void)? = nil) throws -> CompactionReport {
        var report = CompactionReport()
        for pair in try read({ db in try Self.daysToCompact(before: before, in: db) }) {
            let day = try write { db in try Self.compact(elevator: pair.elevator, day: pair.day, in: db) }
            report.add(day)
            progress?(report)
        }
        return report
    }

    /// `compact(before:)` on GRDB's writer queue, leaving the caller's thread free while it runs, one
    /// elevator-day per transaction; before each, it waits while a fault event wants the writer.
    public func compactInBackground(before: Int64) async throws -> CompactionReport {
        var report = CompactionReport()
        for pair in try await pool.read({ db in try Self.daysToCompact(before: before, in: db) }) {
            await priority.waitForTurn(atMost: .seconds(1))
            report.add(try await pool.write { db in try Self.compact(elevator: pair.elevator, day: pair.day, in: db) })
        }
        return report
    }

    /// The elevator-days with hot samples before the day that contains `before`.
    private static func daysToCompact(before: Int64, in db: Database) throws -> [(elevator: Int64, day: Int64)] {
        let cutoff = Rollups.floor(before, to: Rollups.day)
        return try Row.fetchAll(db, sql: "SELECT DISTINCT elevator, (ts / ?) AS day FROM telemetry WHERE ts < ?", arguments: [dayMs, cutoff])
            .map { (elevator: $0[0] as Int64, day: $0[1] as Int64) }
    }

    /// Merges an elevator-day's hot samples into its chunk (the chunk, if any, decoded and written again)
    /// and deletes them from the hot table. Returns what it wrote.
    private static func compact(elevator: Int64, day: Int64, in db: Database) throws -> CompactionReport {
        let from = day * dayMs
        let to = from + dayMs
        let rows = try samples(elevator: elevator, from: from, to: to, in: db)
        guard !rows.isEmpty else { return CompactionReport() }
        let data = TelemetryChunkCodec.encode(rows)
        try db.execute(sql: """
            INSERT OR REPLACE INTO telemetry_chunks(elevator, day, from_ts, to_ts, count, data) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [elevator, day, rows.first!.sample.ts, rows.last!.sample.ts, rows.count, Data(data)])
        try db.execute(sql: "DELETE FROM telemetry WHERE elevator = ? AND ts >= ? AND ts < ?", arguments: [elevator, from, to])
        return CompactionReport(chunksWritten: 1, samplesMoved: db.changesCount, bytesWritten: data.count)
    }

    /// Drops what is older than each class's retention: whole telemetry chunks (one row per elevator-day),
    /// any hot samples left of those days, events and dead letters in one transaction; then rollups, in short
    /// transactions of one elevator each. Minute rollups go after `minuteRollupDays`, or with the hours and days
    /// when it is 0.
    @discardableResult
    public func applyRetention(_ policy: RetentionPolicy, now: Int64) throws -> RetentionReport {
        var report = try write { db in
            var report = RetentionReport()
            if policy.rawTelemetryDays > 0 {
                let cutoffDay = Rollups.floor(now, to: Rollups.day) / Self.dayMs - Int64(policy.rawTelemetryDays)
                try Self.advance(.rawFrom, to: cutoffDay * Self.dayMs, in: db)
                try db.execute(sql: "DELETE FROM telemetry_chunks WHERE day < ?", arguments: [cutoffDay])
                report.chunksDropped = db.changesCount
                try db.execute(sql: "DELETE FROM telemetry WHERE ts < ?", arguments: [cutoffDay * Self.dayMs])
                report.hotSamplesDropped = db.changesCount
            }
            if policy.eventDays > 0 {
                let cutoff = Rollups.floor(now, to: Rollups.day) - Int64(policy.eventDays) * Self.dayMs
                try db.execute(sql: "DELETE FROM events WHERE ts < ?", arguments: [cutoff])
                report.eventsDropped = db.changesCount
            }
            if policy.deadLetterDays > 0 {
                try db.execute(sql: "DELETE FROM dead_letters WHERE received_at < ?", arguments: [now - Int64(policy.deadLetterDays) * Self.dayMs])
                report.deadLettersDropped += db.changesCount
            }
            // The cap per elevator: only elevators past it are looked at (one grouped scan of the index).
            for row in try Row.fetchAll(db, sql: """
                SELECT coalesce(elevator_id, '') AS elevator, count(*) AS n FROM dead_letters GROUP BY elevator_id HAVING n > ?
                """, arguments: [policy.deadLettersPerElevator]) {
                let elevator: String = row["elevator"]
                try db.execute(sql: """
                    DELETE FROM dead_letters WHERE coalesce(elevator_id, '') = ?1 AND id <= (
                        SELECT id FROM dead_letters WHERE coalesce(elevator_id, '') = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)
                    """, arguments: [elevator, policy.deadLettersPerElevator])
                report.deadLettersDropped += db.changesCount
            }
            return report
        }
        let today = Rollups.floor(now, to: Rollups.day)
        report.rollupsDropped = try dropRollups(
            minutesBefore: policy.minuteRollupDays > 0 ? today - Int64(policy.minuteRollupDays) * Self.dayMs : nil,
            hoursAndDaysBefore: policy.rollupDays > 0 ? today - Int64(policy.rollupDays) * Self.dayMs : nil)
        return report
    }

    /// Where telemetry sits now, and how big it is.
    public func storageReport() throws -> StorageReport {
        try read { db in
            let hot = try Int.fetchOne(db, sql: "SELECT count(*) FROM telemetry") ?? 0
            let hotBytes = try? Int.fetchOne(db, sql: "SELECT sum(pgsize) FROM dbstat WHERE name = 'telemetry'")
            let row = try Row.fetchOne(db, sql: "SELECT count(*) AS chunks, coalesce(sum(count), 0) AS samples, coalesce(sum(length(data)), 0) AS bytes FROM telemetry_chunks")
            return StorageReport(hotSamples: hot, hotBytes: hotBytes ?? nil, chunks: row?["chunks"] ?? 0, chunkSamples: row?["samples"] ?? 0, chunkBytes: row?["bytes"] ?? 0)
        }
    }
}
