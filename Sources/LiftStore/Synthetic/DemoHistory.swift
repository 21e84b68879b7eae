import GRDB
import LiftCore

/// Made-up history for demos and benchmarks: a year of faults with their tickets and steps (rescues acknowledged,
/// reached, released and closed, some late), half-monthly maintenance with its visits, annual inspections, trip
/// counters, daily health signals (a few elevators wearing out), and one storm that traps people across a city.
/// Not for real databases: it writes no audit entries, and its events carry negative `seq` so that they never meet a
/// controller's own numbering.
public struct DemoHistory: Sendable {
    public var days: Int
    public var seed: UInt64
    /// The history ends here (epoch ms).
    public var now: Int64
    /// Daily rollups of the health signals for the dossier's and the elevator page's charts (the largest part):
    /// for the elevators whose place starts with this prefix ("" for all, nil for none).
    public var rollupsPlace: String?

    public init(days: Int = 365, seed: UInt64 = 1, now: Int64, rollupsPlace: String? = "") {
        self.days = days
        self.seed = seed
        self.now = now
        self.rollupsPlace = rollupsPlace
    }

    public struct Summary: Sendable, Hashable, Codable {
        public var elevators = 0, faults = 0, tickets = 0, rescues = 0, maintenance = 0, inspections = 0, rollupRows = 0
        public var storm: String?
    }

    static let minute: Int64 = 60_000, hour: Int64 = 3_600_000, day: Int64 = 86_400_000

    /// Fills the history of the elevators in service (or registered) of the database, in batches of 100 elevators.
    /// - Throws: `RegistryError` when the database holds any ticket or event already: made-up history goes only into
    ///   a new demo or benchmark database, never beside real records (nor twice).
    public func fill(_ database: LiftDatabase, progress: ((Summary) -> Void)? = nil) throws -> Summary {
        let existing = try database.read { db in try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM events)") ?? 0 }
        guard existing == 0 else {
            throw RegistryError(.refused, "the database holds \(existing) tickets and events already: made-up history goes only into a new demo or benchmark database")
        }
        let elevators = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, elevator_id, region, unit_id, contractor_id, place FROM elevators WHERE stage IN ('in_service', 'registered') ORDER BY id")
        }
        var summary = Summary()
        let start = Rollups.floor(now, to: Self.day) - Int64(days) * Self.day
        // The storm: a summer afternoon in the city with the most elevators, mains lost across a fifth of them.
        var cities: [String: Int] = [:]
        for row in elevators { cities[String((row["place"] as String).prefix(4)), default: 0] += 1 }
        let stormCity = cities.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
        let stormDay = start + Int64(days * 6 / 10) * Self.day + 14 * Self.hour
        summary.storm = stormCity.map { "\($0) on \(CivilDate(epochMs: stormDay))" }
        var random = SplitMix64(seed: seed)
        var ticketSeq: Int64 = 0
        for chunk in stride(from: 0, to: elevators.count, by: 100) {
            try database.write { db in
                for row in elevators[chunk..<min(chunk + 100, elevators.count)] {
                    try fillElevator(row, db: db, start: start, storm: stormCity.map { (row["place"] as String).hasPrefix($0) } == true ? stormDay : nil,
                                     random: &random, ticketSeq: &ticketSeq, summary: &summary)
                }
            }
            progress?(summary)
        }
        return summary
    }

    private func uniform(_ random: inout SplitMix64) -> Double { Double(random.next() >> 11) / Double(1 << 53) }

    private func fillElevator(
        _ row: Row, db: Database, start: Int64, storm: Int64?, random: inout SplitMix64, ticketSeq: inout Int64, summary: inout Summary
    ) throws {
        let key: Int64 = row["id"], elevatorID: String = row["elevator_id"], region: String = row["region"]
        let unitID: String? = row["unit_id"], contractor: String? = row["contractor_id"]
        summary.elevators += 1
        var seq: Int64 = -1
        let technician = "T-\(contractor ?? "X")-\(1 + random.next() % 9)"
        // A few elevators fail far more often: the hot spots.
        let hot = uniform(&random) < 0.03 ? 8.0 : 1.0
        let insertEvent = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO events(elevator, seq, ts, received_at, kind, code, state, floor, detail, technician, occupied, fault, fault_class, class_basis, ticket_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, 'demo history', ?)
            """)
        let insertTicket = try db.cachedStatement(sql: """
            INSERT INTO tickets(elevator_id, region, unit_id, contractor_id, type, priority, status, opened_at, ack_due_at, on_site_due_at, resolve_due_at,
                due_at, acknowledged_at, on_site_at, resolved_at, closed_at, fault, level, occurrences, overdue, escalated, repeat, callback, unverified,
                reason, breaches, updated_at, fault_at, place)
            VALUES (?, ?, ?, ?, ?, ?, 'closed', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, 0, 0, 0, ?, ?, ?, ?, ?)
            """)
        let insertStep = try db.cachedStatement(sql: "INSERT INTO ticket_steps(ticket_id, at, actor, action, from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?, ?)")
        let place: String = row["place"]

        /// A closed ticket with its steps; returns its id.
        func ticket(_ type: TicketType, fault: FaultKey?, level: String?, opened: Int64, due: Int64?, deadlines: (ack: Int64, site: Int64, resolve: Int64)?,
                    times: (ack: Int64, site: Int64, resolved: Int64, closed: Int64), reason: String) throws -> Int64 {
            var breaches: [String] = []
            if let d = deadlines {
                if times.ack > opened + d.ack { breaches.append("acknowledge") }
                if times.site > opened + d.site { breaches.append("on_site") }
                if times.resolved > opened + d.resolve { breaches.append("resolve") }
            }
            if let due, times.resolved > due { breaches.append("due") }
            let late = !breaches.isEmpty
            try insertTicket.execute(arguments: [
                elevatorID, region, unitID, contractor, type.rawValue, type.priority, opened, deadlines.map { opened + $0.ack }, deadlines.map { opened + $0.site },
                deadlines.map { opened + $0.resolve }, due, times.ack, times.site, times.resolved, times.closed, fault?.rawValue, level, late, late, reason,
                breaches.joined(separator: ","), times.closed, fault == nil ? nil : opened, place,
            ])
            let id = db.lastInsertedRowID
            let actor = contractor ?? "contractor"
            for (at, action, from, to) in [
                (opened, "open", nil, "open"), (times.ack, "acknowledge", "open", "acknowledged"), (times.site, "arrive", "acknowledged", "on_site"),
                (times.resolved, "resolve", "on_site", "resolved"), (times.closed, "close", "resolved", "closed"),
            ] as [(Int64, String, String?, String)] {
                try insertStep.execute(arguments: [id, at, action == "open" ? "liftwatch" : actor, action, from, to, action == "open" ? reason : nil])
            }
            summary.tickets += 1
            return id
        }

        func fault(_ code: FaultKey, at ts: Int64, occupied: Bool) throws {
            let faultClass: FaultClass = occupied && code.baseClass != .safety ? .rescue : code.baseClass
            let type: TicketType = faultClass == .rescue ? .rescue : faultClass == .safety ? .safetyRepair : faultClass == .repair ? .repair : .minorRepair
            let (ackDue, siteDue, resolveDue): (Int64, Int64, Int64) =
                switch type {
                case .rescue: (5 * Self.minute, 30 * Self.minute, 2 * Self.hour)
                case .safetyRepair: (15 * Self.minute, 2 * Self.hour, 24 * Self.hour)
                case .repair: (Self.hour, 24 * Self.hour, 48 * Self.hour)
                default: (4 * Self.hour, 72 * Self.hour, 7 * Self.day)
                }
            let ack = ts + Int64(Double(ackDue) * (0.2 + 1.0 * uniform(&random)))
            // Rescues: most reached in 10–28 minutes, one in ten later than 30.
            let site = type == .rescue
                ? ts + Int64((uniform(&random) < 0.1 ? 31 + 25 * uniform(&random) : 10 + 18 * uniform(&random)) * Double(Self.minute))
                : ack + Int64(Double(siteDue) * 0.6 * uniform(&random))
            let resolved = site + Int64((5 + 40 * uniform(&random)) * Double(Self.minute))
            let closed = resolved + Int64((10 + 50 * uniform(&random)) * Double(Self.minute))
            let id = try ticket(type, fault: code, level: nil, opened: ts, due: nil, deadlines: (ackDue, siteDue, resolveDue),
                                times: (ack, site, resolved, closed), reason: "\(code.rawValue) raised")
            try insertEvent.execute(arguments: [key, seq, ts, ts, "fault", code.rawValue, "raised", 1 + Int(random.next() % 7), nil, occupied, code.rawValue, faultClass.rawValue, id])
            seq -= 1
            summary.faults += 1
            if type == .rescue { summary.rescues += 1 }
        }
        let repairs: [FaultKey] = [.doorCloseFailure, .doorOpenFailure, .speedAbnormal, .floorPositionLost, .stoppedOutsideDoorZone]
        let minors: [FaultKey] = [.buttonStuck, .doorObstructed, .batteryLow, .temperatureSensorFault]
        let safeties: [FaultKey] = [.brakeFault, .overspeed, .doorLockCircuitOpen]
        for dayIndex in 0..<days {
            let dayStart = start + Int64(dayIndex) * Self.day
            func at() -> Int64 { dayStart + Int64(6 * Self.hour) + Int64(uniform(&random) * Double(16 * Self.hour)) }
            if uniform(&random) < 0.0015 * hot { try fault(minors[Int(random.next() % UInt64(minors.count))], at: at(), occupied: false) }
            if uniform(&random) < 0.0020 * hot { try fault(repairs[Int(random.next() % UInt64(repairs.count))], at: at(), occupied: false) }
            if uniform(&random) < 0.0004 * hot {
                try fault(uniform(&random) < 0.7 ? .entrapmentAtFloor : .entrapmentBetweenFloors, at: at(), occupied: true)
            }
            if uniform(&random) < 0.00005 * hot { try fault(safeties[Int(random.next() % UInt64(safeties.count))], at: at(), occupied: false) }
        }
        if let storm, storm < now, uniform(&random) < 0.2 {
            let ts = storm + Int64(uniform(&random) * Double(3 * Self.hour))
            try fault(.powerFailure, at: ts, occupied: uniform(&random) < 0.4)
        }
        // Half-monthly maintenance: done before it is due, one visit in 25 late; each visit leaves its marks.
        var due = start + Int64(random.next() % 15) * Self.day + 17 * Self.hour
        var visits = 0
        while due < now - Self.day {
            visits += 1
            let level = visits % 24 == 0 ? "annual" : visits % 12 == 0 ? "half_year" : visits % 6 == 0 ? "quarter" : "half_month"
            let late = uniform(&random) < 0.04
            let done = late ? due + Int64(1 + random.next() % 3) * Self.day : due - Int64(uniform(&random) * Double(3 * Self.day))
            let begin = done - Int64((35 + 50 * uniform(&random)) * Double(Self.minute))
            _ = try ticket(.maintenance, fault: nil, level: level, opened: due - 3 * Self.day, due: due, deadlines: nil,
                           times: (due - 3 * Self.day + Self.hour, begin, done, done + Self.hour), reason: "\(level) maintenance due \(CivilDate(epochMs: due))")
            for (ts, code) in [(begin, "visit_start"), (done, "visit_end")] {
                try insertEvent.execute(arguments: [key, seq, ts, ts, "maintenance", code, nil, nil, technician, nil, nil, nil, nil])
                seq -= 1
            }
            summary.maintenance += 1
            due += 15 * Self.day
        }
        // One periodic inspection, passed.
        let inspected = start + Int64(random.next() % UInt64(max(1, days - 30))) * Self.day + 10 * Self.hour
        _ = try ticket(.inspection, fault: nil, level: "periodic_inspection", opened: inspected - 30 * Self.day, due: inspected, deadlines: nil,
                       times: (inspected - 20 * Self.day, inspected - Self.hour, inspected, inspected + Self.day), reason: "periodic inspection")
        summary.inspections += 1
        // Weekly trip counters.
        let insertStats = try db.cachedStatement(sql: "INSERT OR IGNORE INTO stats(elevator, seq, ts, received_at, trips) VALUES (?, ?, ?, ?, ?)")
        var trips = Int64(random.next() % 50_000)
        var statsSeq: Int64 = -1
        for week in 0...(days / 7) {
            let ts = start + Int64(week) * 7 * Self.day
            trips += 1_400 + Int64(random.next() % 1_400)
            try insertStats.execute(arguments: [key, statsSeq, ts, ts, trips])
            statsSeq -= 1
        }
        guard let rollupsPlace, place.hasPrefix(rollupsPlace) else { return }
        // Daily health signals; one elevator in twenty wears out over its last three weeks (door-closing time rising).
        let insertRollup = try db.cachedStatement(sql: "INSERT OR REPLACE INTO rollups(level, elevator, metric, bucket, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        let wearing = uniform(&random) < 0.05
        let base: [(Rollups.Metric, Double, Double)] = [(.doorCloseMs, 2_800, 120), (.levelErrorMm, 2, 1.2), (.motorTempC, 42, 3), (.vibrationMg, 18, 3)]
        for dayIndex in 0..<days {
            let bucket = start + Int64(dayIndex) * Self.day
            let wear = wearing && dayIndex > days - 21 ? Double(dayIndex - (days - 21)) / 21 : 0
            let samples = 2_000 + Int(random.next() % 500)
            for (metric, mean, spread) in base {
                let value = mean * (1 + (metric == .doorCloseMs ? 0.4 * wear : 0)) + spread * (uniform(&random) - 0.5)
                try insertRollup.execute(arguments: [Rollups.day, key, metric.rawValue, bucket, value - spread, value + spread, value * Double(samples), samples])
                summary.rollupRows += 1
            }
        }
    }
}
