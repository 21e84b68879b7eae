import Foundation
import GRDB
import LiftCore
import Testing
@testable import LiftStore

@Suite("Rollups for years: minute rollups short, hours packed per day")
struct RollupRetentionTests {
    static let day: Int64 = 86_400_000
    static let day0: Int64 = 1_795_046_400_000

    /// A store with `days` days of 10 s samples of elevator E1 from `day0`, rolled up and compacted.
    static func store(days: Int, seed: UInt64 = 3) throws -> (LiftDatabase, [StoredSample], Int64) {
        let database = try LiftDatabase(path: try temporaryPath("rollups.sqlite"))
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102"), at: 0)
        // A second in, so that no jittered timestamp falls before `day0`.
        let rows = randomSamples(count: days * 8_640, start: day0 + 1_000, every: 10_000, seed: seed)
        var batch = IngestBatch()
        batch.telemetry = rows.map { IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102", value: $0.sample, receivedAt: $0.receivedAt) }
        _ = try database.commit(batch)
        while try database.updateRollups() > 0 {}
        try database.compact(before: day0 + Int64(days - 1) * day)
        return (database, rows, key)
    }

    static func expectSame(_ a: [SeriesPoint], _ b: [SeriesPoint]) {
        #expect(a.map(\.start) == b.map(\.start))
        for (x, y) in zip(a, b) {
            #expect(x.min == y.min && x.max == y.max && x.count == y.count)
            #expect(abs(x.mean - y.mean) < 1e-9)
        }
    }

    @Test("minute rollups past their days are dropped, and minute steps before then come from the raw samples, unchanged")
    func minuteRollupsShort() throws {
        let (database, rows, _) = try Self.store(days: 5)
        let end = Self.day0 + 5 * Self.day
        let before = try Rollups.Metric.allCases.map { try database.series("E1", metric: $0, from: Self.day0, to: end, step: 300_000) }
        let hoursBefore = try database.series("E1", metric: .motorTempC, from: Self.day0, to: end, step: Rollups.hour)
        let minuteRows = try database.footprint().rollupRows[Rollups.minute] ?? 0
        #expect(minuteRows == 5 * 1_440 * Rollups.Metric.allCases.count)

        let now = end - Self.day + 3_600_000  // an hour into the fifth day: keep that day and the two before
        let report = try database.applyRetention(RetentionPolicy(rawTelemetryDays: 0, rollupDays: 0, minuteRollupDays: 2), now: now)
        #expect(report.rollupsDropped == 2 * 1_440 * Rollups.Metric.allCases.count)
        let oldest = try database.read { db in try Int64.fetchOne(db, sql: "SELECT min(bucket) FROM rollups WHERE level = ?", arguments: [Rollups.minute]) }
        #expect(oldest == Self.day0 + 2 * Self.day)

        for (index, metric) in Rollups.Metric.allCases.enumerated() {
            Self.expectSame(try database.series("E1", metric: metric, from: Self.day0, to: end, step: 300_000), before[index])
        }
        Self.expectSame(try database.series("E1", metric: .motorTempC, from: Self.day0, to: end, step: Rollups.hour), hoursBefore)
        // A 7-minute bucket across the horizon takes raw samples before it and minute rollups after it.
        let horizon = Self.day0 + 2 * Self.day
        let across = try database.series("E1", metric: .speed, from: horizon - 420_000, to: horizon + 420_000, step: 420_000)
        var expected: [Int64: Aggregate] = [:]
        for row in rows where row.sample.ts >= horizon - 420_000 && row.sample.ts < horizon + 420_000 {
            if let speed = row.sample.speed { expected[Rollups.floor(row.sample.ts, to: 420_000), default: Aggregate()].add(speed) }
        }
        #expect(Rollups.floor(horizon, to: 420_000) != horizon, "the bucket straddles the horizon")
        #expect(across.map(\.start) == expected.keys.sorted())
        for point in across {
            #expect(point.count == expected[point.start]?.count)
            #expect(point.min == expected[point.start]?.min && point.max == expected[point.start]?.max)
        }
    }

    @Test("hour rollups are one packed blob per elevator and day, a tenth of rows' size, decoded bit-exact")
    func hourBlobs() throws {
        var random = SplitMix64(seed: 5)
        var day = HourRollupDay()
        for hour in 0..<24 where random.next() % 5 != 0 {
            for metric in Rollups.Metric.allCases where random.next() % 7 != 0 {
                let values = (0..<360).map { _ in Double(Int(random.next() % 4_000)) / 10 }
                day.hours[Self.day0 + Int64(hour) * Rollups.hour, default: [:]][metric] = Aggregate(
                    min: values.min()!, max: values.max()!, sum: values.reduce(0, +), count: values.count)
            }
        }
        #expect(!day.hours.isEmpty)
        let bytes = HourRollupCodec.encode(day, dayStart: Self.day0)
        let decoded = try HourRollupCodec.decode(bytes, dayStart: Self.day0)
        #expect(decoded.hours.keys.sorted() == day.hours.keys.sorted())
        for (hour, metrics) in day.hours {
            #expect(decoded.hours[hour]?.keys.sorted { $0.rawValue < $1.rawValue } == metrics.keys.sorted { $0.rawValue < $1.rawValue })
            for (metric, a) in metrics {
                let b = decoded.hours[hour]?[metric]
                #expect(b?.min == a.min && b?.max == a.max && b?.count == a.count)
                #expect(abs((b?.sum ?? .infinity) - a.sum) <= abs(a.sum) * 1e-12)
            }
        }
        // Full-precision sums (no fixed resolution) come back bit-exact.
        var precise = HourRollupDay()
        precise.hours[Self.day0] = [.speed: Aggregate(min: 0.1, max: .pi, sum: 1 / 3, count: 3)]
        #expect(try HourRollupCodec.decode(HourRollupCodec.encode(precise, dayStart: Self.day0), dayStart: Self.day0) == precise)
        let aggregates = day.hours.values.reduce(0) { $0 + $1.count }
        #expect(bytes.count < aggregates * 12, "about 45 bytes as a row each")
        #expect(throws: StoreError.self) { try HourRollupCodec.decode(Array(bytes.prefix(bytes.count / 2)), dayStart: Self.day0) }

        let (database, _, _) = try Self.store(days: 2)
        #expect(try database.footprint().hourRollupDays == 2)
        #expect(try database.footprint().rollupRows[Rollups.hour] == nil, "no hour rows")
    }

    @Test("a late sample for a day whose minute rollups are gone recomputes its hour and day from all the raw samples")
    func lateSampleAfterMinutesDropped() throws {
        let (database, _, key) = try Self.store(days: 4)
        try database.applyRetention(RetentionPolicy(rawTelemetryDays: 0, rollupDays: 0, minuteRollupDays: 1), now: Self.day0 + 3 * Self.day + 1)
        let hour = Self.day0 + 5 * Rollups.hour
        var batch = IngestBatch()
        batch.telemetry = [IngestBatch.Item(
            elevator: key, elevatorID: "E1", region: "430102", value: TelemetrySample(seq: 9_999_999, ts: hour + 1_234, motorTempC: 99.5), receivedAt: 0)]
        _ = try database.commit(batch)
        while try database.updateRollups() > 0 {}

        var expectedHour = Aggregate()
        var expectedDay = Aggregate()
        for row in try database.telemetry("E1", from: Self.day0, to: Self.day0 + Self.day) {
            guard let value = row.motorTempC else { continue }
            expectedDay.add(value)
            if row.ts >= hour && row.ts < hour + Rollups.hour { expectedHour.add(value) }
        }
        let hours = try database.series("E1", metric: .motorTempC, from: hour, to: hour + Rollups.hour, step: Rollups.hour)
        #expect(hours.count == 1)
        #expect(hours.first?.max == 99.5)
        #expect(hours.first?.count == expectedHour.count)
        #expect(hours.first?.min == expectedHour.min)
        let days = try database.series("E1", metric: .motorTempC, from: Self.day0, to: Self.day0 + Self.day, step: Self.day)
        #expect(days.first?.count == expectedDay.count)
        #expect(abs((days.first?.mean ?? 0) - expectedDay.sum / Double(expectedDay.count)) < 1e-9)
    }

    @Test("a series that would read more than 31 days of raw samples is refused before reading")
    func rawSpanBound() throws {
        let (database, _, _) = try Self.store(days: 2)
        let from = Self.day0 - 40 * Self.day
        #expect(throws: SeriesTooFine.self) { try database.series("E1", metric: .speed, from: from, to: Self.day0 + Self.day, step: 61_000) }
        #expect(throws: SeriesTooFine.self) { try database.series("E1", metric: .speed, from: .min, to: .max, step: 61_000) }
        // At the bound it answers.
        let atBound = try database.series("E1", metric: .speed, from: Self.day0 + 2 * Self.day - LiftDatabase.maximumRawSeriesSpan, to: Self.day0 + 2 * Self.day, step: 61_000)
        #expect(atBound.reduce(0) { $0 + $1.count } > 8_640)
        // Whole minutes past the minute rollups' horizon are raw too.
        try database.applyRetention(RetentionPolicy(rawTelemetryDays: 0, rollupDays: 0, minuteRollupDays: 1), now: Self.day0 + 60 * Self.day)
        #expect(throws: SeriesTooFine.self) { try database.series("E1", metric: .speed, from: from, to: Self.day0 + 2 * Self.day, step: 300_000) }
        #expect(try database.series("E1", metric: .speed, from: from, to: Self.day0 + 2 * Self.day, step: Rollups.hour).count == 48)
    }

    @Test("the migration packs existing hour rows into blobs that answer the same series")
    func migrationPacksHourRows() throws {
        let (database, _, key) = try Self.store(days: 2)
        let before = try database.series("E1", metric: .vibrationMg, from: Self.day0, to: Self.day0 + 2 * Self.day, step: Rollups.hour)
        #expect(before.count == 48)
        // Back to v12's layout: hour rows from the blobs, no blobs.
        try database.write { db in
            for dayIndex in [Self.day0 / Self.day, Self.day0 / Self.day + 1] {
                let hours = try LiftDatabase.hourRollups(elevator: key, day: dayIndex, in: db)!
                for (hour, metrics) in hours.hours {
                    for (metric, a) in metrics {
                        try db.execute(sql: "INSERT INTO rollups(level, elevator, metric, bucket, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                       arguments: [Rollups.hour, key, metric.rawValue, hour, a.min, a.max, a.sum, a.count])
                    }
                }
            }
            try db.execute(sql: "DELETE FROM rollup_hours")
            try LiftDatabase.packHourRollupRows(in: db)
        }
        #expect(try database.footprint().rollupRows[Rollups.hour] == nil)
        Self.expectSame(try database.series("E1", metric: .vibrationMg, from: Self.day0, to: Self.day0 + 2 * Self.day, step: Rollups.hour), before)
    }

    @Test("a resent sample older than raw retention leaves that hour's and day's rollups as they were")
    func resentSampleOlderThanRawRetention() throws {
        let (database, _, key) = try Self.store(days: 4)
        let hour = Self.day0 + 5 * Rollups.hour
        let hourBefore = try database.series("E1", metric: .motorTempC, from: hour, to: hour + Rollups.hour, step: Rollups.hour)
        let dayBefore = try database.series("E1", metric: .motorTempC, from: Self.day0, to: Self.day0 + Self.day, step: Self.day)
        #expect(hourBefore.first?.count ?? 0 > 300)
        try database.applyRetention(RetentionPolicy(rawTelemetryDays: 2, rollupDays: 0, minuteRollupDays: 1), now: Self.day0 + 4 * Self.day + 3_600_000)
        #expect(try database.retainedFrom().rawSamples == Self.day0 + 2 * Self.day)
        var batch = IngestBatch()
        batch.telemetry = [IngestBatch.Item(
            elevator: key, elevatorID: "E1", region: "430102", value: TelemetrySample(seq: 9_999_999, ts: hour + 1_234, motorTempC: 99.5), receivedAt: 0)]
        _ = try database.commit(batch)
        #expect(try database.pendingRollupMinutes() == 1)
        while try database.updateRollups() > 0 {}
        #expect(try database.pendingRollupMinutes() == 0)
        Self.expectSame(try database.series("E1", metric: .motorTempC, from: hour, to: hour + Rollups.hour, step: Rollups.hour), hourBefore)
        Self.expectSame(try database.series("E1", metric: .motorTempC, from: Self.day0, to: Self.day0 + Self.day, step: Self.day), dayBefore)
        // Minute steps there would need the dropped samples: refused, not answered empty.
        #expect(throws: SeriesTooFine.self) { try database.series("E1", metric: .motorTempC, from: Self.day0, to: Self.day0 + Self.day, step: 300_000) }
    }

    @Test("an unreadable hour blob is rebuilt from the raw samples instead of stopping the rollups")
    func damagedBlobRebuilt() throws {
        let (database, rows, key) = try Self.store(days: 2)
        let dayIndex = Self.day0 / Self.day
        try database.write { db in
            try db.execute(sql: "UPDATE rollup_hours SET data = ? WHERE elevator = ? AND day = ?", arguments: [Data([1, 0xFF, 0xFF]), key, dayIndex])
        }
        var batch = IngestBatch()
        batch.telemetry = [IngestBatch.Item(
            elevator: key, elevatorID: "E1", region: "430102", value: TelemetrySample(seq: 9_999_999, ts: Self.day0 + 7_777, speed: 0.5), receivedAt: 0)]
        _ = try database.commit(batch)
        while try database.updateRollups() > 0 {}
        var expected: [Int64: Aggregate] = [:]
        for row in rows + [StoredSample(sample: TelemetrySample(seq: 9_999_999, ts: Self.day0 + 7_777, speed: 0.5), receivedAt: 0)]
        where row.sample.ts < Self.day0 + Self.day {
            if let speed = row.sample.speed { expected[Rollups.floor(row.sample.ts, to: Rollups.hour), default: Aggregate()].add(speed) }
        }
        let hours = try database.series("E1", metric: .speed, from: Self.day0, to: Self.day0 + Self.day, step: Rollups.hour)
        #expect(hours.map(\.start) == expected.keys.sorted())
        #expect(hours.count == 24)
        for point in hours {
            #expect(point.count == expected[point.start]?.count && point.min == expected[point.start]?.min && point.max == expected[point.start]?.max)
        }
    }

    @Test("a first pass with weeks of minute rollups drops them a week per transaction, down to the cutoff exactly; the mark never moves back")
    func backlogDroppedInWeeks() throws {
        let (database, _, _) = try Self.store(days: 10)
        let metrics = Rollups.Metric.allCases.count
        #expect(try database.footprint().rollupRows[Rollups.minute] == 10 * 1_440 * metrics)
        let now = Self.day0 + 10 * Self.day + 60_000
        let report = try database.applyRetention(RetentionPolicy(rawTelemetryDays: 0, rollupDays: 0, minuteRollupDays: 1), now: now)
        #expect(report.rollupsDropped == 9 * 1_440 * metrics)
        #expect(try database.footprint().rollupRows[Rollups.minute] == 1_440 * metrics)
        #expect(try database.retainedFrom().minuteRollups == Self.day0 + 9 * Self.day)
        // Keeping more days later does not bring back what went: the mark stays.
        try database.applyRetention(RetentionPolicy(rawTelemetryDays: 0, rollupDays: 0, minuteRollupDays: 5), now: now)
        #expect(try database.retainedFrom().minuteRollups == Self.day0 + 9 * Self.day)
        // Day rows and hour blobs before the rollups' cutoff go; the day at the cutoff stays.
        try database.applyRetention(RetentionPolicy(rawTelemetryDays: 0, rollupDays: 7, minuteRollupDays: 1), now: now)
        #expect(try database.footprint().hourRollupDays == 7)
        #expect(try database.series("E1", metric: .speed, from: 0, to: .max, step: Self.day).map(\.start).first == Self.day0 + 3 * Self.day)
    }

    @Test("a series asked without a step gets about 200 points, in whole hours before the minute rollups kept")
    func defaultStep() {
        let hour = Rollups.hour
        #expect(Rollups.defaultStep(from: Self.day0, to: Self.day0 + Self.day, minuteRollupsFrom: nil) == 420_000)
        #expect(Rollups.defaultStep(from: Self.day0, to: Self.day0 + Self.day, minuteRollupsFrom: Self.day0 + 1) == hour)
        #expect(Rollups.defaultStep(from: Self.day0, to: Self.day0 + Self.day, minuteRollupsFrom: Self.day0) == 420_000)
        #expect(Rollups.defaultStep(from: Self.day0, to: Self.day0 + 30 * Self.day, minuteRollupsFrom: nil) == 3 * hour)
        #expect(Rollups.defaultStep(from: 0, to: 60_000, minuteRollupsFrom: nil) == 60_000)
        #expect(Rollups.defaultStep(from: .min, to: .max, minuteRollupsFrom: nil) == Self.day)
    }
}
