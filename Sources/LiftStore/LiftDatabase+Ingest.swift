import Foundation
import GRDB
import LiftCore

extension LiftDatabase {
    /// Writes a batch in one transaction. Messages already stored (same elevator and seq; for telemetry,
    /// same elevator, ts and seq) are skipped and counted as duplicates.
    public func commit(_ batch: IngestBatch) throws -> IngestCommitResult {
        do {
            return try write { db in try Self.commit(batch, in: db) }
        } catch {
            throw StoreError(operation: "commit ingest batch", underlying: error)
        }
    }

    /// `commit(_:)` on GRDB's writer queue: the calling task suspends instead of blocking its thread, so
    /// HTTP and the other services keep running while a large batch is written.
    public func commitInBackground(_ batch: IngestBatch) async throws -> IngestCommitResult {
        do {
            return try await pool.write { db in try Self.commit(batch, in: db) }
        } catch {
            throw StoreError(operation: "commit ingest batch", underlying: error)
        }
    }

    private static func commit(_ batch: IngestBatch, in db: Database) throws -> IngestCommitResult {
        var result = IngestCommitResult()
        var dirtyMinutes: Set<DirtyMinute> = []
        func duplicate(_ elevator: Int64) { result.duplicates[elevator, default: 0] += 1 }

        let insertEvent = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO events(elevator, seq, ts, received_at, kind, code, state, floor, detail, technician, occupied, fault)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for item in batch.events {
            let event = item.value
            try insertEvent.execute(arguments: [
                item.elevator, Int64(event.seq), event.ts, item.receivedAt, event.kind.rawValue, event.code,
                event.state?.rawValue, event.floor, event.detail, event.technician, event.occupied, event.fault?.rawValue,
            ])
            if db.changesCount == 1 { result.newEvents.append(item) } else { duplicate(item.elevator) }
        }

        let insertSample = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO telemetry(elevator, seq, ts, received_at, floor, direction, speed, load_kg, door, mode,
                occupied, motor_temp_c, cabin_temp_c, vibration_mg, level_error_mm, door_close_ms, power)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for item in batch.telemetry {
            let sample = item.value
            // setUncheckedArguments: the values are built here with the right count; skips a validation pass.
            insertSample.setUncheckedArguments([
                item.elevator, Int64(sample.seq), sample.ts, item.receivedAt, sample.floor, sample.direction?.rawValue,
                sample.speed, sample.loadKg, sample.door?.rawValue, sample.mode?.rawValue, sample.occupied,
                sample.motorTempC, sample.cabinTempC, sample.vibrationMg, sample.levelErrorMm, sample.doorCloseMs,
                sample.power?.rawValue,
            ])
            try insertSample.execute()
            if db.changesCount == 1 {
                result.storedTelemetry += 1
                dirtyMinutes.insert(DirtyMinute(elevator: item.elevator, minute: Rollups.floor(sample.ts, to: Rollups.minute)))
            } else {
                duplicate(item.elevator)
            }
        }
        let markDirty = try db.cachedStatement(sql: "INSERT OR IGNORE INTO rollup_dirty(elevator, minute) VALUES (?, ?)")
        for dirty in dirtyMinutes {
            try markDirty.execute(arguments: [dirty.elevator, dirty.minute])
        }

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
            try db.cachedStatement(sql: "UPDATE elevators SET online = ?, firmware = coalesce(?, firmware) WHERE id = ?")
                .execute(arguments: [status.state == .online, status.firmware, item.elevator])
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
        let bumpCounters = try db.cachedStatement(sql: """
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
            try bumpCounters.execute(arguments: [
                elevator, delta.received, result.duplicates[elevator] ?? 0, delta.rejected, delta.gaps, delta.replayed, delta.lost,
                batch.sequenceStates[elevator]?.highSeq.map(Int64.init),
            ])
        }
        let clearGaps = try db.cachedStatement(sql: "DELETE FROM seq_gaps WHERE elevator = ?")
        let saveGap = try db.cachedStatement(sql: "INSERT INTO seq_gaps(elevator, from_seq, to_seq, opened_at, last_request_at, requests) VALUES (?, ?, ?, ?, ?, ?)")
        for (elevator, state) in batch.sequenceStates where state.gapsChanged {
            try clearGaps.execute(arguments: [elevator])
            for gap in state.gaps {
                try saveGap.execute(arguments: [elevator, Int64(gap.from), Int64(gap.to), gap.openedAt, gap.lastRequestAt, gap.requests])
            }
        }
        for lost in batch.lostRanges {
            try db.execute(
                sql: "INSERT INTO lost_ranges(elevator, from_seq, to_seq, opened_at, lost_at, requests) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [lost.elevator, Int64(lost.gap.from), Int64(lost.gap.to), lost.gap.openedAt, lost.lostAt, lost.gap.requests])
        }

        let touch = try db.cachedStatement(sql: "UPDATE elevators SET last_seen = max(coalesce(last_seen, 0), ?) WHERE id = ?")
        for (elevator, seen) in batch.lastSeen {
            try touch.execute(arguments: [seen, elevator])
        }
        return result
    }

    /// The seq bookkeeping of every elevator, to resume gap detection after a restart.
    public func sequenceStates() throws -> [Int64: SequenceState] {
        try read { db in
            var states: [Int64: SequenceState] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT elevator, high_seq FROM ingest_counters WHERE high_seq IS NOT NULL") {
                states[row["elevator"]] = SequenceState(highSeq: UInt64(row["high_seq"] as Int64))
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM seq_gaps ORDER BY elevator, from_seq") {
                let gap = SequenceGap(
                    from: UInt64(row["from_seq"] as Int64), to: UInt64(row["to_seq"] as Int64), openedAt: row["opened_at"],
                    lastRequestAt: row["last_request_at"], requests: row["requests"])
                states[row["elevator"], default: SequenceState()].gaps.append(gap)
            }
            return states
        }
    }
}

struct DirtyMinute: Hashable {
    var elevator: Int64
    var minute: Int64
}
