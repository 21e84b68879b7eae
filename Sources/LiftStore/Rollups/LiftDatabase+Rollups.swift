import Foundation
import GRDB
import LiftCore

/// A series that would aggregate too many raw samples: its step fits no rollup level for that range.
public struct SeriesTooFine: Error, Sendable, CustomStringConvertible {
    public var description: String
}

extension LiftDatabase {
    /// The longest range a series computes from raw samples (steps under a minute, steps that are not whole
    /// minutes, minute steps before the minute rollups' horizon): 31 days, about 270,000 samples at 10 s.
    public static let maximumRawSeriesSpan: Int64 = 31 * 86_400_000

    // MARK: Computing

    /// Recomputes the rollups of minutes that received samples, and of their hours and days, from the raw
    /// samples. Returns how many minutes were processed (0 when nothing was pending).
    @discardableResult
    public func updateRollups(maximumMinutes: Int = 20_000) throws -> Int {
        try write { db in try Self.updateRollups(maximumMinutes: maximumMinutes, settledBefore: nil, priority: nil, memo: memo, in: db) }
    }

    /// `updateRollups` on GRDB's writer queue, leaving the caller's thread free while it runs.
    ///
    /// - Parameters:
    ///   - settledBefore: only minutes starting before this time (ms) are rolled up. A live service passes a
    ///     minute and a few seconds ago, so that each minute is computed once, after it ended, instead of again
    ///     at every pass while its samples arrive (a late sample marks its minute again).
    ///   - givingWay: while `priority` says urgent work waits, the pass stops after the elevator in hand and commits what it
    ///     did; the rest stays marked for the next pass.
    @discardableResult
    public func updateRollupsInBackground(maximumMinutes: Int = 2_000, settledBefore: Int64? = nil, givingWay: Bool = false) async throws -> Int {
        let priority = givingWay ? priority : nil
        return try await pool.write { [memo] db in
            try Self.updateRollups(maximumMinutes: maximumMinutes, settledBefore: settledBefore, priority: priority, memo: memo, in: db)
        }
    }

    private static func updateRollups(
        maximumMinutes: Int, settledBefore: Int64?, priority: WriterPriority?, memo: WriterMemo, in db: Database
    ) throws -> Int {
        var dirty = try Row.fetchAll(
            db, sql: "SELECT elevator, minute FROM rollup_dirty WHERE minute < ? ORDER BY elevator, minute LIMIT ?",
            arguments: [settledBefore ?? Int64.max, maximumMinutes]
        ).map { DirtyMinute(elevator: $0["elevator"], minute: $0["minute"]) }
        guard !dirty.isEmpty else { return 0 }
        let deleteMinute = try db.cachedStatement(sql: deleteBucketSQL)
        let insert = try db.cachedStatement(sql: "INSERT INTO rollups(level, elevator, metric, bucket, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        // Minutes whose raw samples retention has dropped (a resent buffer older than raw retention) keep the
        // rollups they have: recomputing them from what is left would replace hours of history by one sample.
        let rawFrom = try mark(.rawFrom, in: db) ?? Int64.min
        let minuteHorizon = try mark(.minuteRollupsFrom, in: db) ?? Int64.min
        // The marked minutes of one elevator and day share one read of the raw samples. Each hour they touch is
        // then recomputed whole: from its minute rollups while those are kept (as `serve` does every minute, an
        // hour's 60 rows rather than its samples), else from the raw samples of all its minutes.
        var index = 0
        while index < dirty.count {
            if index > 0, let priority, priority.shouldYield {
                dirty.removeSubrange(index...)
                break
            }
            var end = index
            while end + 1 < dirty.count, dirty[end + 1].elevator == dirty[index].elevator,
                Rollups.floor(dirty[end + 1].minute, to: Rollups.day) == Rollups.floor(dirty[index].minute, to: Rollups.day)
            {
                end += 1
            }
            defer { index = end + 1 }
            let elevator = dirty[index].elevator
            let dayStart = Rollups.floor(dirty[index].minute, to: Rollups.day)
            guard dayStart >= rawFrom else { continue }
            var from = Rollups.floor(dirty[index].minute, to: Rollups.hour)
            var to = Rollups.floor(dirty[end].minute, to: Rollups.hour) + Rollups.hour
            var touched = Set(dirty[index...end].map { Rollups.floor($0.minute, to: Rollups.hour) })
            var day: HourRollupDay
            var fromMinuteRows = from >= minuteHorizon
            do {
                day = try hourRollups(elevator: elevator, day: dayStart / dayMs, in: db) ?? HourRollupDay()
            } catch {
                // An unreadable blob is rebuilt whole from the raw samples rather than stopping every pass.
                day = HourRollupDay()
                from = dayStart
                to = dayStart + Rollups.day
                touched = Set((0..<24).map { dayStart + Int64($0) * Rollups.hour })
                fromMinuteRows = false
            }
            let byMinute = fromMinuteRows
                ? try minuteAggregates(elevator: elevator, from: dirty[index].minute, to: dirty[end].minute + Rollups.minute, in: db)
                : try minuteAggregates(elevator: elevator, from: from, to: to, in: db)
            for item in dirty[index...end] {
                try deleteMinute.execute(arguments: [Rollups.minute, elevator, item.minute])
                for (metric, aggregate) in byMinute[item.minute] ?? [:] where aggregate.count > 0 {
                    try insert.execute(arguments: [Rollups.minute, elevator, metric.rawValue, item.minute, aggregate.min, aggregate.max, aggregate.sum, aggregate.count])
                }
            }
            // In time order, so that the same samples give the same sums to the bit.
            var hours: [Int64: [Rollups.Metric: Aggregate]] = [:]
            if fromMinuteRows {
                let rows = try db.cachedStatement(sql: minuteRowsSQL)
                for hour in touched {
                    let cursor = try Row.fetchCursor(rows, arguments: [Rollups.minute, elevator, hour, hour + Rollups.hour])
                    while let row = try cursor.next() {
                        guard let metric = Rollups.Metric(rawValue: row[0]) else { continue }
                        hours[hour, default: [:]][metric, default: Aggregate()].merge(min: row[1], max: row[2], sum: row[3], count: row[4])
                    }
                }
            } else {
                for minute in byMinute.keys.sorted() where touched.contains(Rollups.floor(minute, to: Rollups.hour)) {
                    for (metric, a) in byMinute[minute]! where a.count > 0 {
                        hours[Rollups.floor(minute, to: Rollups.hour), default: [:]][metric, default: Aggregate()].merge(min: a.min, max: a.max, sum: a.sum, count: a.count)
                    }
                }
            }
            for hour in touched { day.hours[hour] = hours[hour] }
            try storeHours(day, elevator: elevator, dayStart: dayStart, insert: insert, in: db)
        }
        let clear = try db.cachedStatement(sql: "DELETE FROM rollup_dirty WHERE elevator = ? AND minute = ?")
        for item in dirty { try clear.execute(arguments: [item.elevator, item.minute]) }
        memo.afterCommit(in: db, cleared: dirty)
        return dirty.count
    }

    /// An hour's minute rows of every metric, each metric's in time order.
    private static let minuteRowsSQL = "SELECT metric, min, max, sum, count FROM rollups WHERE level = ? AND elevator = ? AND metric IN ("
        + Rollups.Metric.allCases.map { String($0.rawValue) }.joined(separator: ", ") + ") AND bucket >= ? AND bucket < ? ORDER BY metric, bucket"

    /// One bucket's rows: the metric is named so that each is one seek of the primary key (level, elevator,
    /// metric, bucket), not a scan of all the elevator's rows of that level.
    private static let deleteBucketSQL = "DELETE FROM rollups WHERE level = ? AND elevator = ? AND metric IN ("
        + Rollups.Metric.allCases.map { String($0.rawValue) }.joined(separator: ", ") + ") AND bucket = ?"

    /// Per-minute aggregates of every metric of one elevator over `[from, to)` (whole minutes of one day).
    /// Samples only in the hot table are aggregated by SQLite itself; a day that has a chunk (late data for a
    /// compacted day) is aggregated from the decoded samples.
    private static func minuteAggregates(elevator: Int64, from: Int64, to: Int64, in db: Database) throws -> [Int64: [Rollups.Metric: Aggregate]] {
        var result: [Int64: [Rollups.Metric: Aggregate]] = [:]
        let day = Rollups.floor(from, to: Rollups.day) / dayMs
        let chunked = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM telemetry_chunks WHERE elevator = ? AND day = ?"), arguments: [elevator, day]) ?? false
        if chunked {
            for row in try samples(elevator: elevator, from: from, to: to, in: db) {
                let minute = Rollups.floor(row.sample.ts, to: Rollups.minute)
                for metric in Rollups.Metric.allCases {
                    if let value = metric.value(of: row.sample) { result[minute, default: [:]][metric, default: Aggregate()].add(value) }
                }
            }
            return result
        }
        let columns: String = Rollups.Metric.allCases.map { (metric: Rollups.Metric) -> String in
            let c: String = metric.column
            return "min(" + c + "), max(" + c + "), total(" + c + "), count(" + c + ")"
        }.joined(separator: ", ")
        let sql: String = "SELECT (ts / 60000) * 60000 AS minute, " + columns
            + " FROM telemetry WHERE elevator = ? AND ts >= ? AND ts < ? GROUP BY minute"
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: [elevator, from, to])
        while let row = try rows.next() {
            let minute: Int64 = row[0]
            var metrics: [Rollups.Metric: Aggregate] = [:]
            for (index, metric) in Rollups.Metric.allCases.enumerated() {
                let base = 1 + index * 4
                let count: Int = row[base + 3]
                guard count > 0 else { continue }
                metrics[metric] = Aggregate(min: row[base], max: row[base + 1], sum: row[base + 2], count: count)
            }
            result[minute] = metrics
        }
        return result
    }

    /// Writes an elevator-day's packed hour rollups, then the day's rows with the aggregate of all its hours.
    private static func storeHours(_ day: HourRollupDay, elevator: Int64, dayStart: Int64, insert: Statement, in db: Database) throws {
        let dayIndex = dayStart / dayMs
        if day.hours.isEmpty {
            try db.cachedStatement(sql: "DELETE FROM rollup_hours WHERE elevator = ? AND day = ?").execute(arguments: [elevator, dayIndex])
        } else {
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO rollup_hours(elevator, day, data) VALUES (?, ?, ?)")
                .execute(arguments: [elevator, dayIndex, Data(HourRollupCodec.encode(day, dayStart: dayStart))])
        }
        try db.cachedStatement(sql: deleteBucketSQL).execute(arguments: [Rollups.day, elevator, dayStart])
        for (metric, a) in day.day where a.count > 0 {
            try insert.execute(arguments: [Rollups.day, elevator, metric.rawValue, dayStart, a.min, a.max, a.sum, a.count])
        }
    }

    static func hourRollups(elevator: Int64, day: Int64, in db: Database) throws -> HourRollupDay? {
        guard let data = try Data.fetchOne(db.cachedStatement(sql: "SELECT data FROM rollup_hours WHERE elevator = ? AND day = ?"), arguments: [elevator, day]) else {
            return nil
        }
        return try HourRollupCodec.decode([UInt8](data), dayStart: day * dayMs)
    }

    /// Rollup buckets still to compute.
    public func pendingRollupMinutes() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM rollup_dirty") ?? 0 }
    }

    /// What the store remembers of its own retention, in `store_marks`.
    enum Mark: String {
        /// Minute rollups exist only from here on (epoch ms); minute steps before are computed from raw samples.
        case minuteRollupsFrom = "minute_rollups_from"
        /// Raw samples exist only from here on (epoch ms, a UTC day's start).
        case rawFrom = "raw_from"
    }

    static func mark(_ mark: Mark, in db: Database) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM store_marks WHERE name = ?"), arguments: [mark.rawValue])
    }

    /// Moves a mark forward to `value` (never back: what was dropped does not return).
    static func advance(_ mark: Mark, to value: Int64, in db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO store_marks(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)
            """).execute(arguments: [mark.rawValue, value])
    }

    /// Since when minute rollups and raw samples are kept (epoch ms); nil while retention never dropped any.
    public func retainedFrom() throws -> (minuteRollups: Int64?, rawSamples: Int64?) {
        try read { db in (try Self.mark(.minuteRollupsFrom, in: db), try Self.mark(.rawFrom, in: db)) }
    }

    /// Drops minute rollups before `cutoff` and rollups of hours and days before `longCutoff` (nil: none).
    /// Each transaction takes one elevator and at most a week of its buckets, so that the writer is never held
    /// long, even by the first pass after an upgrade, which drops years of minute rows. Returns the rows and
    /// blobs dropped.
    func dropRollups(minutesBefore cutoff: Int64?, hoursAndDaysBefore longCutoff: Int64?) throws -> Int {
        // The mark first: a reader between two transactions computes from raw samples what is being dropped.
        if let cutoff { try write { db in try Self.advance(.minuteRollupsFrom, to: cutoff, in: db) } }
        var dropped = 0
        let window = 7 * Rollups.day
        for elevator in try read({ db in try Int64.fetchAll(db, sql: "SELECT id FROM elevators ORDER BY id") }) {
            for (level, before) in [(Rollups.minute, cutoff ?? longCutoff), (Rollups.day, longCutoff)] {
                guard let before else { continue }
                var more = true
                while more {
                    more = false
                    dropped += try write { db in
                        var count = 0
                        let oldest = try db.cachedStatement(sql: "SELECT min(bucket) FROM rollups WHERE level = ? AND elevator = ? AND metric = ?")
                        let delete = try db.cachedStatement(sql: "DELETE FROM rollups WHERE level = ? AND elevator = ? AND metric = ? AND bucket < ?")
                        for metric in Rollups.Metric.allCases {
                            guard let first = try Int64.fetchOne(oldest, arguments: [level, elevator, metric.rawValue]), first < before else { continue }
                            let end = first < before - window ? first + window : before
                            try delete.execute(arguments: [level, elevator, metric.rawValue, end])
                            count += db.changesCount
                            more = more || end < before
                        }
                        return count
                    }
                }
            }
        }
        if let longCutoff {
            dropped += try write { db in
                try db.execute(sql: "DELETE FROM rollup_hours WHERE day < ?", arguments: [longCutoff / Self.dayMs])
                return db.changesCount
            }
        }
        return dropped
    }

    /// Migration v13: the hour rows of `rollups` become one packed blob per elevator-day.
    static func packHourRollupRows(in db: Database) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT elevator, bucket, metric, min, max, sum, count FROM rollups WHERE level = ? ORDER BY elevator, bucket", arguments: [Rollups.hour])
        let insert = try db.makeStatement(sql: "INSERT OR REPLACE INTO rollup_hours(elevator, day, data) VALUES (?, ?, ?)")
        var current: (elevator: Int64, day: Int64)?
        var day = HourRollupDay()
        func flush() throws {
            if let current, !day.hours.isEmpty {
                try insert.execute(arguments: [current.elevator, current.day, Data(HourRollupCodec.encode(day, dayStart: current.day * dayMs))])
            }
            day = HourRollupDay()
        }
        while let row = try rows.next() {
            let elevator: Int64 = row[0]
            let bucket: Int64 = row[1]
            let dayIndex = Rollups.floor(bucket, to: Rollups.day) / dayMs
            if current?.elevator != elevator || current?.day != dayIndex {
                try flush()
                current = (elevator, dayIndex)
            }
            guard let metric = Rollups.Metric(rawValue: row[2]), bucket % Rollups.hour == 0 else { continue }
            day.hours[bucket, default: [:]][metric] = Aggregate(min: row[3], max: row[4], sum: row[5], count: row[6])
        }
        try flush()
        try db.execute(sql: "DELETE FROM rollups WHERE level = ?", arguments: [Rollups.hour])
    }

    // MARK: Reading

    /// An elevator's metric aggregated per `step` ms over `[from, to)`; buckets start at multiples of `step`
    /// (UTC). Reads the coarsest rollup level that divides the step: day rows, hour blobs, minute rows (kept a
    /// few days; before their horizon minutes come from the raw samples). A step under a minute, or one no
    /// level divides, is computed from the raw samples.
    ///
    /// - Throws: `SeriesTooFine` when the raw samples to aggregate would span more than `maximumRawSeriesSpan`.
    public func series(_ elevatorID: String, metric: Rollups.Metric, from: Int64, to: Int64, step: Int64) throws -> [SeriesPoint] {
        precondition(step > 0)
        guard from < to else { return [] }
        return try read { db in
            guard let key = try Self.key(of: elevatorID, in: db) else { return [] }
            var buckets: [Int64: Aggregate] = [:]
            func add(_ start: Int64, _ a: Aggregate) {
                buckets[Rollups.floor(start, to: step), default: Aggregate()].merge(min: a.min, max: a.max, sum: a.sum, count: a.count)
            }
            func addRaw(from: Int64, to: Int64) throws {
                guard from < to else { return }
                let span = to.subtractingReportingOverflow(from)
                guard !span.overflow, span.partialValue <= Self.maximumRawSeriesSpan else {
                    throw SeriesTooFine(description: "this step is computed from raw samples here, which is limited to 31 days; use a step of whole hours")
                }
                if let rawFrom = try Self.mark(.rawFrom, in: db), from < rawFrom {
                    throw SeriesTooFine(description: "raw samples before \(rawFrom) (epoch ms) are no longer kept, and this step needs them; use a step of whole hours")
                }
                // A day at a time, so that memory holds one day's samples, not the range's.
                var dayFrom = from
                while dayFrom < to {
                    let next = Rollups.floor(dayFrom, to: Rollups.day).addingReportingOverflow(Rollups.day)
                    let dayTo = next.overflow ? to : min(to, next.partialValue)
                    for row in try Self.samples(elevator: key, from: dayFrom, to: dayTo, in: db) {
                        if let value = metric.value(of: row.sample) {
                            var one = Aggregate()
                            one.add(value)
                            add(row.sample.ts, one)
                        }
                    }
                    dayFrom = dayTo
                }
            }
            func addRows(level: Int64, from: Int64, to: Int64) throws {
                guard from < to else { return }
                let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                    SELECT bucket, min, max, sum, count FROM rollups
                    WHERE level = ? AND elevator = ? AND metric = ? AND bucket >= ? AND bucket < ? ORDER BY bucket
                    """), arguments: [level, key, metric.rawValue, from, to])
                while let row = try rows.next() {
                    add(row[0], Aggregate(min: row[1], max: row[2], sum: row[3], count: row[4]))
                }
            }
            switch Rollups.levels.reversed().first(where: { step >= $0 && step % $0 == 0 }) {
            case Rollups.day?:
                try addRows(level: Rollups.day, from: from, to: to)
            case Rollups.hour?:
                let first = from / Self.dayMs - 1
                let last = (to - 1) / Self.dayMs + 1
                let blobs = try Row.fetchCursor(db.cachedStatement(sql: "SELECT day, data FROM rollup_hours WHERE elevator = ? AND day >= ? AND day <= ? ORDER BY day"), arguments: [key, first, last])
                while let row = try blobs.next() {
                    let day: Int64 = row[0]
                    for (hour, metrics) in try HourRollupCodec.decode([UInt8](row[1] as Data), dayStart: day * Self.dayMs).hours where hour >= from && hour < to {
                        if let a = metrics[metric] { add(hour, a) }
                    }
                }
            case Rollups.minute?:
                let horizon = max(from, min(to, try Self.mark(.minuteRollupsFrom, in: db) ?? from))
                try addRaw(from: from, to: horizon)
                try addRows(level: Rollups.minute, from: horizon, to: to)
            default:
                try addRaw(from: from, to: to)
            }
            return buckets.keys.sorted().map { start in
                let a = buckets[start]!
                return SeriesPoint(start: start, min: a.min, max: a.max, mean: a.sum / Double(a.count), count: a.count)
            }
        }
    }

    /// A metric per UTC day across all elevators (or those of a region prefix), from the daily rollups.
    public func fleetDaily(metric: Rollups.Metric, from: Int64, to: Int64, regionPrefix: String? = nil) throws -> [SeriesPoint] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.bucket AS start, min(r.min) AS min, max(r.max) AS max, sum(r.sum) AS sum, sum(r.count) AS count
                FROM rollups r JOIN elevators e ON e.id = r.elevator
                WHERE r.level = ? AND r.metric = ? AND r.bucket >= ? AND r.bucket < ? AND \(PlaceFilter.clause("e.place"))
                GROUP BY r.bucket ORDER BY r.bucket
                """, arguments: [Rollups.day, metric.rawValue, from, to] + PlaceFilter.arguments(regionPrefix ?? ""))
            return rows.map { row in
                let count: Int = row["count"]
                return SeriesPoint(start: row["start"], min: row["min"], max: row["max"], mean: (row["sum"] as Double) / Double(count), count: count)
            }
        }
    }
}
