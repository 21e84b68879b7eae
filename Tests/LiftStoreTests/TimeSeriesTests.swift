import Foundation
import LiftCore
import Testing
@testable import LiftStore

typealias SplitMix = SplitMix64

/// Random but plausible samples: every field sometimes missing, values drifting like real sensors.
func randomSamples(count: Int, start: Int64, every: Int64, seed: UInt64, firstSeq: UInt64 = 1) -> [StoredSample] {
    var generator = SplitMix(seed: seed)
    var temperature = 40.0
    var vibration = 5.0
    var seq = firstSeq
    return (0..<count).map { index in
        temperature += Double.random(in: -0.3...0.3, using: &generator)
        vibration = max(0, vibration + Double.random(in: -1...1, using: &generator))
        seq += UInt64.random(in: 1...2, using: &generator)
        func maybe<T>(_ value: T) -> T? { Int.random(in: 0..<20, using: &generator) == 0 ? nil : value }
        let ts = start + Int64(index) * every + Int64.random(in: -200...200, using: &generator)
        let sample = TelemetrySample(
            seq: seq, ts: ts,
            floor: maybe(Int.random(in: 1...7, using: &generator)), direction: maybe(Direction.allCases.randomElement(using: &generator)!),
            speed: maybe(Bool.random(using: &generator) ? 0 : (Double.random(in: 0.9...1.05, using: &generator) * 100).rounded() / 100),
            loadKg: maybe(Double(Int.random(in: 0...6, using: &generator) * 70)), door: maybe(.closed), mode: maybe(.normal),
            occupied: maybe(Bool.random(using: &generator)), motorTempC: maybe((temperature * 10).rounded() / 10), cabinTempC: maybe(22),
            vibrationMg: maybe((vibration * 10).rounded() / 10), levelErrorMm: maybe(Double(Int.random(in: -5...5, using: &generator))),
            doorCloseMs: maybe(3000 + Double(Int.random(in: -100...100, using: &generator))), power: maybe(.mains))
        return StoredSample(sample: sample, receivedAt: ts + Int64.random(in: 5...900, using: &generator))
    }
}

func identical(_ a: [StoredSample], _ b: [StoredSample]) -> Bool {
    guard a.count == b.count else { return false }
    for (x, y) in zip(a, b) {
        guard x.receivedAt == y.receivedAt, x.sample.seq == y.sample.seq, x.sample.ts == y.sample.ts else { return false }
        for column in TelemetryChunkCodec.Column.allCases where column.value(of: x.sample)?.bitPattern != column.value(of: y.sample)?.bitPattern {
            return false
        }
    }
    return true
}

@Suite("Time series: chunks, rollups, retention")
struct TimeSeriesTests {
    @Test("a chunk decodes every value bit-exact, whatever the values", arguments: [1, 2, 17, 1_000, 8_640])
    func codecRoundTrip(count: Int) throws {
        let rows = randomSamples(count: count, start: 1_795_000_000_000, every: 10_000, seed: UInt64(count))
        let encoded = TelemetryChunkCodec.encode(rows)
        #expect(identical(try TelemetryChunkCodec.decode(encoded), rows))
    }

    @Test("full-precision random values survive the codec too (the XOR path)")
    func codecFullPrecision() throws {
        var generator = SplitMix(seed: 77)
        let rows = (0..<500).map { index in
            StoredSample(sample: TelemetrySample(seq: UInt64(index), ts: Int64(index) * 1000, speed: Double.random(in: 0...20, using: &generator),
                                                 vibrationMg: Double.random(in: 0...1e6, using: &generator)), receivedAt: Int64(index) * 1000)
        }
        #expect(identical(try TelemetryChunkCodec.decode(TelemetryChunkCodec.encode(rows)), rows))
    }

    @Test("extreme values survive the codec: huge jumps, negative zero, subnormals, big seq")
    func codecExtremes() throws {
        let values: [Double] = [0, -0.0, .leastNonzeroMagnitude, 1e300, -1e300, 3.141592653589793, 0.1, 20, 19.999999999]
        let rows = values.enumerated().map { index, value in
            StoredSample(sample: TelemetrySample(seq: UInt64.max - UInt64(index * 1_000_000_007), ts: Int64(index) * 9_000_000_000_000 - 5, speed: value, motorTempC: -value), receivedAt: -Int64(index))
        }
        #expect(identical(try TelemetryChunkCodec.decode(TelemetryChunkCodec.encode(rows)), rows))
        #expect(throws: StoreError.self) { try TelemetryChunkCodec.decode([9, 9, 9]) }
        #expect(throws: StoreError.self) { try TelemetryChunkCodec.decode(Array(TelemetryChunkCodec.encode(rows).prefix(20))) }
    }

    @Test("compaction moves past days into chunks that answer raw queries exactly, and uses under 2 bytes per value")
    func compaction() throws {
        let database = try LiftDatabase(path: try temporaryPath("ts.sqlite"))
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102"), at: 0)
        let day0: Int64 = 1_795_046_400_000  // a UTC midnight
        let rows = randomSamples(count: 3 * 8_640, start: day0 + 10_000, every: 10_000, seed: 5)
        var batch = IngestBatch()
        batch.telemetry = rows.map { IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102", value: $0.sample, receivedAt: $0.receivedAt) }
        _ = try database.commit(batch)
        let before = try database.telemetry("E1", from: day0, to: day0 + 3 * 86_400_000)

        let report = try database.compact(before: day0 + 2 * 86_400_000 + 5)
        #expect(report.chunksWritten == 2)
        let storage = try database.storageReport()
        #expect(storage.chunks == 2 && storage.chunkSamples == report.samplesMoved && storage.hotSamples == rows.count - report.samplesMoved)
        let after = try database.read { db in try LiftDatabase.samples(elevator: key, from: day0, to: day0 + 4 * 86_400_000, in: db) }
        let sortedRows = rows.sorted { ($0.sample.ts, $0.sample.seq) < ($1.sample.ts, $1.sample.seq) }
        if let index = after.indices.first(where: { !identical([after[$0]], [sortedRows[$0]]) }) {
            Issue.record("first difference at \(index): \(after[index]) vs \(sortedRows[index])")
        }
        #expect(identical(after, sortedRows))
        #expect(try database.telemetry("E1", from: day0, to: day0 + 3 * 86_400_000) == before)

        let values = rows.prefix(report.samplesMoved).reduce(0) { sum, row in
            sum + TelemetryChunkCodec.Column.allCases.filter { $0.value(of: row.sample) != nil }.count
        }
        let bytesPerValue = Double(storage.chunkBytes) / Double(values)
        #expect(bytesPerValue < 2, "\(bytesPerValue) bytes per value")

        // A late sample for a compacted day lands in the hot table, is found by queries, and merges on the next pass.
        var late = IngestBatch()
        late.telemetry = [IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102", value: TelemetrySample(seq: 999_999, ts: day0 + 5, speed: 0.5), receivedAt: day0 + 3 * 86_400_000)]
        _ = try database.commit(late)
        #expect(try database.telemetry("E1", from: day0, to: day0 + 10).map(\.seq) == [999_999])
        // So does a second copy of a compacted sample: answered once, and kept once by the next pass.
        var copy = IngestBatch()
        copy.telemetry = [IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102", value: sortedRows[3].sample, receivedAt: day0 + 3 * 86_400_000)]
        _ = try database.commit(copy)
        let dayOne = rows.filter { $0.sample.ts < day0 + 86_400_000 }.count + 1
        #expect(try database.telemetry("E1", from: day0, to: day0 + 86_400_000).count == dayOne)
        #expect(try database.compact(before: day0 + 86_400_000).chunksWritten == 1)
        let merged = try database.telemetry("E1", from: day0, to: day0 + 86_400_000)
        #expect(merged.count == dayOne)
        #expect(merged.first?.seq == 999_999)
        #expect(merged.count > 1)
        #expect(zip(merged, merged.dropFirst()).allSatisfy { ($0.ts, $0.seq) < ($1.ts, $1.seq) })
    }

    @Test("rollups per minute, hour and day equal the aggregates computed from raw samples, compacted or not")
    func rollupsMatchRaw() throws {
        let database = try LiftDatabase(path: try temporaryPath("ts.sqlite"))
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102"), at: 0)
        let day0: Int64 = 1_795_046_400_000
        let rows = randomSamples(count: 2 * 8_640, start: day0, every: 10_000, seed: 9)
        var batch = IngestBatch()
        batch.telemetry = rows.map { IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102", value: $0.sample, receivedAt: $0.receivedAt) }
        _ = try database.commit(batch)
        #expect(try database.pendingRollupMinutes() > 0)
        while try database.updateRollups(maximumMinutes: 500) > 0 {}
        try database.compact(before: day0 + 86_400_000)

        for metric in Rollups.Metric.allCases {
            for step in [60_000, 300_000, 3_600_000, 86_400_000] as [Int64] {
                var expected: [Int64: Aggregate] = [:]
                for row in rows where row.sample.ts >= day0 && row.sample.ts < day0 + 2 * 86_400_000 {
                    if let value = metric.value(of: row.sample) { expected[Rollups.floor(row.sample.ts, to: step), default: Aggregate()].add(value) }
                }
                let series = try database.series("E1", metric: metric, from: day0, to: day0 + 2 * 86_400_000, step: step)
                #expect(series.map(\.start) == expected.keys.sorted())
                for point in series {
                    let raw = expected[point.start]!
                    #expect(point.min == raw.min && point.max == raw.max && point.count == raw.count)
                    #expect(abs(point.mean - raw.sum / Double(raw.count)) < 1e-9)
                }
            }
        }
        // A step under a minute comes from the raw samples.
        let fine = try database.series("E1", metric: .speed, from: day0, to: day0 + 60_000, step: 20_000)
        #expect(fine.reduce(0) { $0 + $1.count } == rows.filter { $0.sample.ts < day0 + 60_000 && $0.sample.speed != nil }.count)
    }

    @Test("trend windows read in one statement equal each metric's rollup windows and the door-fault count read one by one")
    func trendWindowsMatchSeparateReads() throws {
        let database = try LiftDatabase(path: try temporaryPath("ts.sqlite"))
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102"), at: 0)
        try database.register(ElevatorRegistration(elevatorID: "E2", region: "430102"), at: 0)
        let day: Int64 = 86_400_000
        let day0: Int64 = 1_795_046_400_000
        // 12 days, one sample every 20 minutes, signed stopping errors (the absolute metric), fields sometimes missing.
        let rows = randomSamples(count: 12 * 72, start: day0, every: 1_200_000, seed: 21)
        var batch = IngestBatch()
        batch.telemetry = rows.map { IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102", value: $0.sample, receivedAt: $0.receivedAt) }
        let faults: [(FaultKey, FaultState?)] = [(.doorObstructed, .raised), (.doorCloseFailure, nil), (.doorOpenFailure, .cleared), (.brakeFault, .raised)]
        batch.events = (0..<24).map { index in
            let (fault, state) = faults[index % faults.count]
            return IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102", value: ElevatorEvent(
                seq: UInt64(10_000 + index), ts: day0 + Int64(index) * day / 2, kind: .fault, code: fault.rawValue, fault: fault, state: state),
                receivedAt: 0)
        }
        _ = try database.commit(batch)
        while try database.updateRollups(maximumMinutes: 5_000) > 0 {}

        let absolute: Set<Rollups.Metric> = [.levelErrorMm]
        for (baselineFrom, recentFrom, to) in [(day0, day0 + 9 * day, day0 + 12 * day), (day0 + 2 * day, day0 + 5 * day, day0 + 5 * day + 1),
                                               (day0 - 30 * day, day0 - day, day0), (day0 + 11 * day, day0 + 20 * day, day0 + 21 * day)] {
            let read = try #require(try database.trendWindows(
                elevatorID: "E1", metrics: Rollups.Metric.allCases, absolute: absolute, baselineFrom: baselineFrom, recentFrom: recentFrom, to: to))
            for metric in Rollups.Metric.allCases {
                let isAbsolute = absolute.contains(metric)
                let recent = try database.rollupWindow(elevatorID: "E1", metric: metric, from: recentFrom, to: to, absolute: isAbsolute)
                let baseline = try database.rollupWindow(elevatorID: "E1", metric: metric, from: baselineFrom, to: recentFrom, absolute: isAbsolute)
                #expect(read.pair(metric).recent == recent && read.pair(metric).baseline == baseline, "\(metric) over \(baselineFrom)…\(recentFrom)…\(to)")
            }
            #expect(read.recentDoorFaults == (try database.doorFaultCount(elevatorID: "E1", from: recentFrom, to: to)))
        }
        // Within the data, every window is found, and door faults count raised and stateless ones only.
        let full = try #require(try database.trendWindows(
            elevatorID: "E1", metrics: Rollups.Metric.allCases, absolute: absolute, baselineFrom: day0, recentFrom: day0 + 6 * day, to: day0 + 12 * day))
        #expect(Rollups.Metric.allCases.allSatisfy { full.pair($0).recent != nil && full.pair($0).baseline != nil })
        #expect(full.recentDoorFaults == 6)
        let quiet = try #require(try database.trendWindows(
            elevatorID: "E2", metrics: Rollups.Metric.allCases, absolute: absolute, baselineFrom: day0, recentFrom: day0 + 6 * day, to: day0 + 12 * day))
        #expect(quiet.windows.isEmpty && quiet.recentDoorFaults == 0)
        #expect(try database.trendWindows(elevatorID: "E9", metrics: [.speed], absolute: [], baselineFrom: day0, recentFrom: day0 + day, to: day0 + 2 * day) == nil)
    }

    @Test("a minute rolled up and then given a late sample is rolled up again, also after another process rolled it up")
    func lateSamplesAfterARollupPass() throws {
        let path = try temporaryPath("ts.sqlite")
        let database = try LiftDatabase(path: path)
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102"), at: 0)
        let minute: Int64 = 1_795_046_400_000
        func commit(seq: UInt64, speed: Double, receivedAt: Int64) throws {
            var batch = IngestBatch()
            batch.telemetry = [IngestBatch.Item(
                elevator: key, elevatorID: "E1", region: "430102", value: TelemetrySample(seq: seq, ts: minute + Int64(seq) * 1_000, speed: speed),
                receivedAt: receivedAt)]
            batch.lastSeen = [key: receivedAt]
            _ = try database.commit(batch)
        }
        func speedMax() throws -> Double? {
            try database.series("E1", metric: .speed, from: minute, to: minute + 60_000, step: 60_000).first?.max
        }
        try commit(seq: 1, speed: 1.0, receivedAt: 10_000)
        try commit(seq: 2, speed: 1.5, receivedAt: 10_100)  // same minute: already marked, not written again
        #expect(try database.pendingRollupMinutes() == 1)
        #expect(try database.updateRollups() == 1)
        #expect(try speedMax() == 1.5)

        try commit(seq: 3, speed: 2.0, receivedAt: 10_200)  // after the pass: the minute is due again
        #expect(try database.pendingRollupMinutes() == 1)
        // Another process (`liftwatch store maintain`) rolls it up through its own connection.
        let other = try LiftDatabase(path: path)
        #expect(try other.updateRollups() == 1)
        try other.close()
        try commit(seq: 4, speed: 2.5, receivedAt: 10_300)  // this process must notice and mark the minute again
        #expect(try database.pendingRollupMinutes() == 1)
        #expect(try database.updateRollups() == 1)
        #expect(try speedMax() == 2.5)
        // last_seen follows arrivals to the second (written afresh at seq 4: the other process reset the memo).
        #expect(try database.elevator("E1")?.lastSeen == 10_300)
        try commit(seq: 5, speed: 1, receivedAt: 11_000)
        #expect(try database.elevator("E1")?.lastSeen == 10_300)
        try commit(seq: 6, speed: 1, receivedAt: 11_300)
        #expect(try database.elevator("E1")?.lastSeen == 11_300)
    }

    @Test("retention drops whole chunks older than the period and nothing newer")
    func retention() throws {
        let database = try LiftDatabase(path: try temporaryPath("ts.sqlite"))
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102"), at: 0)
        let day: Int64 = 86_400_000
        let today: Int64 = 1_795_046_400_000
        var batch = IngestBatch()
        batch.telemetry = (0..<10).map { ago in
            IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102", value: TelemetrySample(seq: UInt64(100 - ago), ts: today - Int64(ago) * day + 1_000, speed: 1), receivedAt: 0)
        }
        batch.events = [
            IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102", value: ElevatorEvent(seq: 1, ts: today - 9 * day, kind: .alarm, code: "alarm_test"), receivedAt: 0),
            IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102", value: ElevatorEvent(seq: 2, ts: today - 2 * day, kind: .alarm, code: "alarm_test"), receivedAt: 0),
        ]
        _ = try database.commit(batch)
        try database.updateRollups()
        try database.compact(before: today)
        #expect(try database.storageReport().chunks == 9)

        let report = try database.applyRetention(RetentionPolicy(rawTelemetryDays: 5, rollupDays: 7, eventDays: 3), now: today + 3_600_000)
        #expect(report.chunksDropped == 4)  // days 9, 8, 7, 6 ago
        #expect(try database.telemetry("E1", from: 0, to: .max).map(\.seq) == Array(95...100).map(UInt64.init))
        #expect(try database.events("E1").map(\.seq) == [2])
        let daily = try database.series("E1", metric: .speed, from: 0, to: .max, step: day)
        #expect(daily.count == 8, "rollups of the last 7 days and today are kept")
    }

    @Test("counter deltas give trips per day from cumulative counters, across a controller reset")
    func counterDeltas() throws {
        let database = try LiftDatabase(path: try temporaryPath("ts.sqlite"))
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102"), at: 0)
        let day: Int64 = 86_400_000
        let d0: Int64 = 1_795_046_400_000
        let readings: [(Int64, Int64)] = [(d0 - 1_000, 1_000), (d0 + 1_000, 1_050), (d0 + 50_000, 1_120), (d0 + day + 10, 1_200), (d0 + day + 500, 30), (d0 + 2 * day + 5, 90)]
        var batch = IngestBatch()
        batch.stats = readings.enumerated().map { index, reading in
            IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102", value: CounterStats(seq: UInt64(index + 1), ts: reading.0, trips: reading.1), receivedAt: 0)
        }
        _ = try database.commit(batch)
        let deltas = try database.counterDeltas("E1", counter: "trips", from: d0, to: d0 + 3 * day)
        #expect(deltas.map(\.day) == [d0, d0 + day, d0 + 2 * day])
        #expect(deltas.map(\.delta) == [120, 80 + 30, 60])
        #expect(throws: StoreError.self) { try database.counterDeltas("E1", counter: "x; DROP TABLE stats", from: 0, to: 1) }
    }
}
