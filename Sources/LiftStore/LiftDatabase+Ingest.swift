import Foundation
import GRDB
import LiftCore

extension LiftDatabase {
    /// Writes a batch in one transaction. Messages already stored (same elevator and seq; for telemetry,
    /// same elevator, ts and seq) are skipped and counted as duplicates.
    public func commit(_ batch: IngestBatch) throws -> IngestCommitResult {
        try writeHealth.recording {
            do {
                return try write { db in try Self.commit(batch, memo: memo, in: db) }
            } catch {
                throw StoreError(operation: "commit ingest batch", underlying: error)
            }
        }
    }

    /// `commit(_:)` on GRDB's writer queue: the calling task suspends instead of blocking its thread, so
    /// HTTP and the other services keep running while a large batch is written.
    public func commitInBackground(_ batch: IngestBatch) async throws -> IngestCommitResult {
        try await writeHealth.recording {
            do {
                return try await pool.write { [memo] db in try Self.commit(batch, memo: memo, in: db) }
            } catch {
                throw StoreError(operation: "commit ingest batch", underlying: error)
            }
        }
    }

    /// `commitInBackground(_:)` for a large batch, as bulk work: it gives way to urgent work (`priority`).
    ///
    /// Every `yieldCheckInterval` samples, and once more before the bookkeeping and the COMMIT (only with
    /// `discardOnYield`), it asks `priority.shouldYield`. When that is true:
    /// - with `discardOnYield`, the transaction is rolled back (cheap: nothing reached the WAL) and the whole
    ///   batch comes back in `.yielded`: the urgent writer waits only for the check, not for a commit that
    ///   would write a page per elevator;
    /// - otherwise the samples written so far are committed at once (with their rollup marks and duplicate
    ///   counts) and the rest comes back, to be committed later with all of the batch's bookkeeping
    ///   (counters, seq states, `last_seen`, …). The bookkeeping never runs ahead of the samples: a crash
    ///   between the two parts leaves samples stored that a replay will find as duplicates.
    /// A caller should discard only a few times per batch, so that a stream of urgent work cannot starve telemetry,
    /// and wait for its turn (`priority.waitForTurn(atMost:)`) before going on.
    public func commitGivingWay(_ batch: IngestBatch, discardOnYield: Bool) async throws -> IngestCommitProgress {
        let priority = self.priority
        return try await writeHealth.recording {
            do {
                return try await pool.write { [memo] db in
                    try Self.commit(batch, memo: memo, in: db, shouldYield: { priority.shouldYield }, discardOnYield: discardOnYield)
                }
            } catch is YieldRequest {
                return .yielded(stored: IngestCommitResult(), remaining: batch)
            } catch {
                throw StoreError(operation: "commit ingest batch", underlying: error)
            }
        }
    }

    /// Thrown inside a yielding commit to roll it back.
    private struct YieldRequest: Error {}

    /// How many samples are written between two `shouldYield` checks.
    static let yieldCheckInterval = 256

    private static func commit(_ batch: IngestBatch, memo: WriterMemo, in db: Database) throws -> IngestCommitResult {
        // Without `shouldYield` the whole batch is always committed.
        guard case .committed(let result) = try commit(batch, memo: memo, in: db, shouldYield: nil, discardOnYield: false) else {
            preconditionFailure("a commit that may not yield yielded")
        }
        return result
    }

    /// Writes `batch`; with `shouldYield`, may stop after part of the telemetry (see
    /// `commitInBackground(_:yieldingWhen:discardOnYield:)`).
    private static func commit(
        _ batch: IngestBatch, memo: WriterMemo, in db: Database, shouldYield: (@Sendable () -> Bool)?, discardOnYield: Bool
    ) throws -> IngestCommitProgress {
        try memo.validate(in: db)
        var result = IngestCommitResult()
        var dirtyMinutes: Set<DirtyMinute> = []
        func duplicate(_ elevator: Int64) { result.duplicates[elevator, default: 0] += 1 }

        let insertEvent = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO events(elevator, seq, ts, received_at, kind, code, state, floor, detail, technician, occupied, fault,
                speed, fault_class, class_basis)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for item in batch.events {
            let event = item.value
            try insertEvent.execute(arguments: [
                item.elevator, Int64(event.seq), event.ts, item.receivedAt, event.kind.rawValue, event.code,
                event.state?.rawValue, event.floor, event.detail, event.technician, event.occupied, event.fault?.rawValue,
                event.speed, event.assessment?.faultClass.rawValue, event.assessment?.basis,
            ])
            if db.changesCount == 1 { result.newEvents.append(item) } else { duplicate(item.elevator) }
        }

        if !batch.reassessed.isEmpty {
            let revise = try db.cachedStatement(sql: "UPDATE events SET fault_class = ?, class_basis = ? WHERE elevator = ? AND seq = ?")
            for item in batch.reassessed {
                try revise.execute(arguments: [item.value.assessment?.faultClass.rawValue, item.value.assessment?.basis, item.elevator, Int64(item.value.seq)])
            }
            result.reassessed = batch.reassessed
        }

        let insertSample = try RawStatement(db, sql: """
            INSERT OR IGNORE INTO telemetry(elevator, seq, ts, received_at, floor, direction, speed, load_kg, door, mode,
                occupied, motor_temp_c, cabin_temp_c, vibration_mg, level_error_mm, door_close_ms, power)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (index, item) in batch.telemetry.enumerated() {
            if let shouldYield, index > 0, index % Self.yieldCheckInterval == 0, shouldYield() {
                if discardOnYield { throw YieldRequest() }
                try commitPart(dirtyMinutes: dirtyMinutes, duplicates: result.duplicates, memo: memo, in: db)
                var remaining = batch
                remaining.telemetry = Array(batch.telemetry[index...])
                remaining.events = []
                return .yielded(stored: result, remaining: remaining)
            }
            let sample = item.value
            insertSample.bind(1, item.elevator)
            insertSample.bind(2, Int64(sample.seq))
            insertSample.bind(3, sample.ts)
            insertSample.bind(4, item.receivedAt)
            insertSample.bind(5, sample.floor)
            insertSample.bind(6, sample.direction?.rawValue)
            insertSample.bind(7, sample.speed)
            insertSample.bind(8, sample.loadKg)
            insertSample.bind(9, sample.door?.rawValue)
            insertSample.bind(10, sample.mode?.rawValue)
            insertSample.bind(11, sample.occupied)
            insertSample.bind(12, sample.motorTempC)
            insertSample.bind(13, sample.cabinTempC)
            insertSample.bind(14, sample.vibrationMg)
            insertSample.bind(15, sample.levelErrorMm)
            insertSample.bind(16, sample.doorCloseMs)
            insertSample.bind(17, sample.power?.rawValue)
            if try insertSample.execute() == 1 {
                result.storedTelemetry += 1
                dirtyMinutes.insert(DirtyMinute(elevator: item.elevator, minute: Rollups.floor(sample.ts, to: Rollups.minute)))
            } else {
                duplicate(item.elevator)
            }
        }
        // A last look before the bookkeeping and the COMMIT, which cannot give way: an urgent writer that came in
        // after the last check would otherwise wait for both.
        if let shouldYield, discardOnYield, !batch.telemetry.isEmpty, shouldYield() { throw YieldRequest() }
        let marked = try markForRollups(dirtyMinutes, memo: memo, in: db)

        let insertStats = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO stats(elevator, seq, ts, received_at, trips, door_cycles, run_hours) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for item in batch.stats {
            let stats = item.value
            try insertStats.execute(arguments: [
                item.elevator, Int64(stats.seq), stats.ts, item.receivedAt, stats.trips, stats.doorCycles, stats.runHours,
            ])
            if db.changesCount != 1 { duplicate(item.elevator) }
        }

        for item in batch.statuses {
            let status = item.value
            if let seq = status.seq,
                try Bool.fetchOne(db, sql: "SELECT 1 FROM status_reports WHERE elevator = ? AND seq = ?", arguments: [item.elevator, Int64(seq)]) == true
            {
                duplicate(item.elevator)
                continue
            }
            try db.cachedStatement(sql: "INSERT INTO status_reports(elevator, received_at, seq, ts, state, firmware) VALUES (?, ?, ?, ?, ?, ?)")
                .execute(arguments: [item.elevator, item.receivedAt, status.seq.map(Int64.init), status.ts, status.state.rawValue, status.firmware])
            try db.cachedStatement(sql: "UPDATE elevators SET online = ?, firmware = coalesce(?, firmware), status_at = ? WHERE id = ?")
                .execute(arguments: [status.state == .online, status.firmware, item.receivedAt, item.elevator])
        }

        for letter in batch.deadLetters {
            try db.execute(
                sql: "INSERT INTO dead_letters(topic, payload, received_at, reason, message, elevator_id) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [letter.topic, Data(letter.payload), letter.receivedAt, letter.rejection.reason.rawValue,
                            letter.rejection.message, letter.elevatorID])
        }
        for (id, outcome, at) in batch.replayedDeadLetters {
            try db.execute(
                sql: "UPDATE dead_letters SET replayed_at = ?, replay_outcome = ? WHERE id = ?",
                arguments: [at, outcome, id])
        }

        // One statement per elevator for its counters and highest seq: a batch from a thousand elevators
        // makes a thousand of these, so they are the commit's main fixed cost.
        let bumpCounters = try RawStatement(db, sql: """
            INSERT INTO ingest_counters(elevator, received, duplicates, rejected, gaps, replayed, lost, high_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(elevator) DO UPDATE SET
                received = received + excluded.received, duplicates = duplicates + excluded.duplicates,
                rejected = rejected + excluded.rejected, gaps = gaps + excluded.gaps,
                replayed = replayed + excluded.replayed, lost = lost + excluded.lost,
                high_seq = coalesce(excluded.high_seq, high_seq)
            """)
        for elevator in Set(batch.counters.keys).union(result.duplicates.keys).union(batch.sequenceStates.keys) {
            let delta = batch.counters[elevator] ?? CounterDelta()
            bumpCounters.bind(1, elevator)
            bumpCounters.bind(2, delta.received)
            bumpCounters.bind(3, result.duplicates[elevator] ?? 0)
            bumpCounters.bind(4, delta.rejected)
            bumpCounters.bind(5, delta.gaps)
            bumpCounters.bind(6, delta.replayed)
            bumpCounters.bind(7, delta.lost)
            bumpCounters.bind(8, batch.sequenceStates[elevator]?.highSeq.map(Int64.init))
            try bumpCounters.execute()
        }
        let clearGaps = try db.cachedStatement(sql: "DELETE FROM seq_gaps WHERE elevator = ?")
        let saveGap = try db.cachedStatement(sql: "INSERT INTO seq_gaps(elevator, from_seq, to_seq, opened_at, last_request_at, requests) VALUES (?, ?, ?, ?, ?, ?)")
        for (elevator, state) in batch.sequenceStates where state.gapsChanged {
            try clearGaps.execute(arguments: [elevator])
            if state.isReset && state.highSeq == nil {
                try db.execute(sql: "UPDATE ingest_counters SET high_seq = NULL WHERE elevator = ?", arguments: [elevator])
            }
            for gap in state.gaps {
                try saveGap.execute(arguments: [elevator, Int64(gap.from), Int64(gap.to), gap.openedAt, gap.lastRequestAt, gap.requests])
            }
        }
        for lost in batch.lostRanges {
            try db.execute(
                sql: "INSERT INTO lost_ranges(elevator, from_seq, to_seq, opened_at, lost_at, requests) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [lost.elevator, Int64(lost.gap.from), Int64(lost.gap.to), lost.gap.openedAt, lost.lostAt, lost.gap.requests])
        }

        // `last_seen` moves with every message; written when it has moved by a second (WriterMemo).
        let touched = memo.lastSeenToWrite(batch.lastSeen)
        let touch = try db.cachedStatement(sql: "UPDATE elevators SET last_seen = max(coalesce(last_seen, 0), ?) WHERE id = ?")
        for (elevator, seen) in touched {
            try touch.execute(arguments: [seen, elevator])
        }
        memo.afterCommit(in: db, marked: marked, lastSeen: touched)
        return .committed(result)
    }

    /// Marks the minutes not already waiting for the rollups (most of a batch's are). Returns those marked.
    private static func markForRollups(_ minutes: Set<DirtyMinute>, memo: WriterMemo, in db: Database) throws -> [DirtyMinute] {
        let marked = memo.unmarked(minutes)
        let markDirty = try db.cachedStatement(sql: "INSERT OR IGNORE INTO rollup_dirty(elevator, minute) VALUES (?, ?)")
        for dirty in marked {
            try markDirty.execute(arguments: [dirty.elevator, dirty.minute])
        }
        return marked
    }

    /// Ends a yielded commit's first part: the samples' rollup marks and duplicate counts, nothing else.
    private static func commitPart(dirtyMinutes: Set<DirtyMinute>, duplicates: [Int64: Int], memo: WriterMemo, in db: Database) throws {
        let marked = try markForRollups(dirtyMinutes, memo: memo, in: db)
        let countDuplicates = try db.cachedStatement(sql: """
            INSERT INTO ingest_counters(elevator, duplicates) VALUES (?, ?)
            ON CONFLICT(elevator) DO UPDATE SET duplicates = duplicates + excluded.duplicates
            """)
        for (elevator, count) in duplicates {
            try countDuplicates.execute(arguments: [elevator, count])
        }
        memo.afterCommit(in: db, marked: marked)
    }

    /// The seq bookkeeping of every elevator, to resume gap detection after a restart.
    public func sequenceStates() throws -> [Int64: SequenceState] {
        try read { db in
            var states: [Int64: SequenceState] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT elevator, high_seq FROM ingest_counters WHERE high_seq IS NOT NULL") {
                states[row["elevator"]] = SequenceState(highSeq: UInt64(clamping: row["high_seq"] as Int64))
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM seq_gaps ORDER BY elevator, from_seq") {
                let gap = SequenceGap(
                    from: UInt64(clamping: row["from_seq"] as Int64), to: UInt64(clamping: row["to_seq"] as Int64), openedAt: row["opened_at"],
                    lastRequestAt: row["last_request_at"], requests: row["requests"])
                states[row["elevator"], default: SequenceState()].gaps.append(gap)
            }
            return states
        }
    }
}

/// How far a yielding commit went.
public enum IngestCommitProgress: Sendable {
    /// The whole batch is committed.
    case committed(IngestCommitResult)
    /// Part of the telemetry is committed (`stored` says what); `remaining` is to be committed next, in order,
    /// before any later batch: it carries the batch's bookkeeping.
    case yielded(stored: IngestCommitResult, remaining: IngestBatch)
}

struct DirtyMinute: Hashable {
    var elevator: Int64
    var minute: Int64
}
