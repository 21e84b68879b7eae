import Foundation
import GRDB
import LiftCore

extension LiftDatabase {
    /// Dead letters, oldest first, after `afterID`, optionally only those not yet replayed or of one reason.
    public func deadLetters(afterID: Int64 = 0, limit: Int = 100, pendingOnly: Bool = false, reason: String? = nil) throws -> [DeadLetter] {
        try read { db in
            var sql = "SELECT * FROM dead_letters WHERE id > ?"
            var arguments: StatementArguments = [afterID]
            if pendingOnly { sql += " AND replayed_at IS NULL" }
            if let reason {
                sql += " AND reason = ?"
                arguments += [reason]
            }
            sql += " ORDER BY id LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                DeadLetter(
                    id: row["id"], topic: row["topic"], payload: [UInt8](row["payload"] as Data), receivedAt: row["received_at"],
                    reason: row["reason"], message: row["message"], elevatorID: row["elevator_id"],
                    replayedAt: row["replayed_at"], replayOutcome: row["replay_outcome"])
            }
        }
    }

    /// The ingestion counters of one elevator; nil when it is not registered.
    public func ingestCounters(_ elevatorID: String) throws -> IngestCounters? {
        try read { db in
            guard let key = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM elevators WHERE elevator_id = ?"), arguments: [elevatorID]) else {
                return nil
            }
            let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM ingest_counters WHERE elevator = ?"), arguments: [key])
            let gaps = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM seq_gaps WHERE elevator = ? ORDER BY from_seq"), arguments: [key]).map {
                SequenceGap(from: UInt64($0["from_seq"] as Int64), to: UInt64($0["to_seq"] as Int64), openedAt: $0["opened_at"],
                            lastRequestAt: $0["last_request_at"], requests: $0["requests"])
            }
            return IngestCounters(
                elevatorID: elevatorID, received: row?["received"] ?? 0, duplicates: row?["duplicates"] ?? 0,
                rejected: row?["rejected"] ?? 0, gaps: row?["gaps"] ?? 0, replayed: row?["replayed"] ?? 0, lost: row?["lost"] ?? 0,
                highSeq: (row?["high_seq"] as Int64?).map(UInt64.init), openGaps: gaps)
        }
    }

    /// The most recent telemetry sample of each elevator that has one.
    public func latestTelemetry() throws -> [String: TelemetrySample] {
        try read { db in
            var latest: [String: TelemetrySample] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT e.elevator_id, \(TelemetrySample.columns.split(separator: ", ").map { "t.\($0)" }.joined(separator: ", "))
                FROM elevators e JOIN telemetry t ON t.elevator = e.id
                 AND t.ts = (SELECT max(ts) FROM telemetry WHERE elevator = e.id)
                """)
            for row in rows { latest[row[0]] = TelemetrySample(row: row, at: 1) }
            return latest
        }
    }

    /// The occupancy and motion of an elevator's latest stored sample that says anything of them, or nil.
    public func latestCarState(elevator key: Int64) throws -> CarState? {
        try read { db in
            // The last 50 samples that say anything of the car, merged in order of arrival.
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT occupied, speed, direction, received_at FROM telemetry
                WHERE elevator = ? AND (occupied IS NOT NULL OR speed IS NOT NULL OR direction IS NOT NULL)
                ORDER BY ts DESC LIMIT 50
                """), arguments: [key])
            guard !rows.isEmpty else { return nil }
            var state = CarState()
            for row in rows.sorted(by: { ($0["received_at"] as Int64) < ($1["received_at"] as Int64) }) {
                state.merge(TelemetrySample(seq: 1, ts: 0, direction: (row["direction"] as String?).flatMap(Direction.init), speed: row["speed"],
                                            occupied: row["occupied"]), receivedAt: row["received_at"])
            }
            return state
        }
    }

    /// Events of an elevator with `from <= ts < to`, in time order.
    public func events(_ elevatorID: String, from: Int64 = 0, to: Int64 = .max) throws -> [ElevatorEvent] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT v.* FROM events v JOIN elevators e ON e.id = v.elevator
                WHERE e.elevator_id = ? AND v.ts >= ? AND v.ts < ? ORDER BY v.ts, v.seq
                """, arguments: [elevatorID, from, to]).map(ElevatorEvent.init(row:))
        }
    }

    /// Row counts per table, for status output and tests.
    public func tableCounts() throws -> [String: Int] {
        try read { db in
            var counts: [String: Int] = [:]
            for table in ["elevators", "telemetry", "events", "stats", "status_reports", "dead_letters", "seq_gaps", "lost_ranges"] {
                counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
            }
            return counts
        }
    }
}

extension ElevatorEvent {
    /// An `events` row.
    init(row: Row) {
        let kind = EventKind(rawValue: row["kind"]) ?? .fault
        let code: String = row["code"]
        self.init(
            seq: UInt64(clamping: row["seq"] as Int64), ts: row["ts"], kind: kind, code: code,
            fault: (row["fault"] as String?).flatMap(FaultKey.init(rawValue:)) ?? (kind == .fault ? FaultKey(rawValue: code) : nil),
            state: (row["state"] as String?).flatMap(FaultState.init),
            floor: row["floor"], detail: row["detail"], technician: row["technician"], occupied: row["occupied"], speed: row["speed"])
        if let faultClass = (row["fault_class"] as String?).flatMap(FaultClass.init(rawValue:)) {
            assessment = FaultAssessment(faultClass: faultClass, basis: row["class_basis"])
            assessment?.occupied = occupied
        }
    }
}

extension TelemetrySample {
    /// The telemetry table's sample columns, in the order `init(row:at:)` reads them.
    static let columns = "seq, ts, floor, direction, speed, load_kg, door, mode, occupied, motor_temp_c, cabin_temp_c, vibration_mg, level_error_mm, door_close_ms, power"

    /// Decodes the sample whose `columns` start at index `i` of `row`.
    ///
    /// By position: GRDB finds a column by name with a case-insensitive search that lowercases the name at
    /// every access, which took half of compaction's time.
    init(row: Row, at i: Int = 0) {
        self.init(
            seq: UInt64(row[i] as Int64), ts: row[i + 1], floor: row[i + 2],
            direction: (row[i + 3] as String?).flatMap(Direction.init), speed: row[i + 4], loadKg: row[i + 5],
            door: (row[i + 6] as String?).flatMap(DoorState.init), mode: (row[i + 7] as String?).flatMap(ServiceMode.init),
            occupied: row[i + 8], motorTempC: row[i + 9], cabinTempC: row[i + 10],
            vibrationMg: row[i + 11], levelErrorMm: row[i + 12], doorCloseMs: row[i + 13],
            power: (row[i + 14] as String?).flatMap(PowerSource.init))
    }
}

extension LiftDatabase {
    /// The filters a broker session (by client id) was last configured with.
    public func brokerSubscriptions(clientID: String) throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT filter FROM broker_subscriptions WHERE client_id = ? ORDER BY filter", arguments: [clientID]) }
    }

    /// Records the filters a broker session is now configured with.
    public func setBrokerSubscriptions(_ filters: [String], clientID: String) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM broker_subscriptions WHERE client_id = ?", arguments: [clientID])
            for filter in Set(filters) {
                try db.execute(sql: "INSERT INTO broker_subscriptions(client_id, filter) VALUES (?, ?)", arguments: [clientID, filter])
            }
        }
    }
}
