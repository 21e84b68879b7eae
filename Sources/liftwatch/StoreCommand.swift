import ArgumentParser
import Foundation
import LiftCore
import LiftStore

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Maintain the time-series store: rollups, compaction, retention, size report.",
        subcommands: [Maintain.self, Report.self, Vacuum.self, QueryBenchmark.self, StorageBenchmark.self, Backfill.self])

    struct Maintain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "maintain",
            abstract: "Run one maintenance pass now: pending rollups, compaction of past days, retention.",
            discussion: "`serve` does this by itself (rollups every few seconds, compaction and retention daily).")

        @OptionGroup var options: ConfigurationOptions

        @Flag(help: "Compact today too (every sample, not only past days), e.g. to measure the compressed size.")
        var includeToday = false

        func run() async throws {
            let configuration = try await options.load()
            let database = try LiftDatabase(path: configuration.database.path)
            var rolled = 0
            while case let count = try database.updateRollups(), count > 0 {
                rolled += count
                FileHandle.standardError.write(Data("rollups: \(rolled) minutes\n".utf8))
            }
            let now = EpochClock.system.now()
            let cutoff = includeToday ? Rollups.floor(now, to: Rollups.day) + Rollups.day : Rollups.floor(now, to: Rollups.day)
            let compaction = try database.compact(before: cutoff) { report in
                if report.chunksWritten % 200 == 0 {
                    FileHandle.standardError.write(Data("compaction: \(report.chunksWritten) chunks, \(report.samplesMoved) samples\n".utf8))
                }
            }
            let retention = try database.applyRetention(configuration.retentionPolicy, now: now)
            print("rolled up \(rolled) minutes; compacted \(compaction.samplesMoved) samples into \(compaction.chunksWritten) chunks (\(compaction.bytesWritten) bytes); dropped \(retention.chunksDropped) chunks, \(retention.rollupsDropped) rollup rows, \(retention.eventsDropped) events")
        }
    }

    struct Vacuum: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give the free pages back to the disk: rewrite the database file without them.",
            discussion: """
                SQLite keeps the pages of deleted rows for reuse, so a file does not shrink by itself. After a pass that \
                dropped much (the first retention after an upgrade drops years of minute rollups), this rewrites the file. \
                It needs free disk the size of the file and holds the writer until done: stop `serve` first.
                """)

        @OptionGroup var options: ConfigurationOptions

        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            let before = try database.footprint()
            try database.vacuum()
            let after = try database.footprint()
            print("\(before.fileBytes) bytes before, \(after.fileBytes) after (\(before.freeBytes) bytes of free pages given back)")
        }
    }

    struct Backfill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backfill",
            abstract: "Fill a demo or benchmark database with a made-up year of history. Never on a real database.",
            discussion: """
                For the elevators in service: faults with their tickets and every step (rescues acknowledged, reached, \
                released and closed, some late), half-monthly maintenance with its visits, an annual inspection, weekly trip \
                counters, daily health signals with a few elevators wearing out, and a storm that traps people across the \
                city with the most elevators. Writes no audit entries; its events carry negative seq numbers, apart from \
                any controller's. scripts/demo.sh runs it once on a new demo database.
                """)

        @OptionGroup var options: ConfigurationOptions
        @Option(help: "Days of history, ending now.") var days = 365
        @Option(help: "Random seed: the same seed gives the same history.") var seed: UInt64 = 1
        @Flag(help: "Leave out the daily health signals (the largest part).") var noRollups = false
        @Option(help: ArgumentHelp("Daily health signals only for the elevators of this place (a code of any level).", valueName: "place"))
        var rollupsPlace: String?

        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            if let rollupsPlace, !Identifier.isValidPlacePrefix(rollupsPlace) { throw ValidationError("--rollups-place: not a place code of 2, 4, 6, 9 or 12 digits") }
            let history = DemoHistory(days: days, seed: seed, now: EpochClock.system.now(), rollupsPlace: noRollups ? nil : rollupsPlace ?? "")
            let summary = try history.fill(database) { progress in
                if progress.elevators % 1_000 == 0 { FileHandle.standardError.write(Data("backfill: \(progress.elevators) elevators\n".utf8)) }
            }
            print("backfilled \(days) days of \(summary.elevators) elevators: \(summary.faults) faults (\(summary.rescues) rescues), \(summary.tickets) tickets, \(summary.maintenance) maintenance visits, \(summary.inspections) inspections, \(summary.rollupRows) daily signal rows; storm: \(summary.storm ?? "none")")
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show how telemetry sits on disk: hot rows, chunks, bytes per metric value.")

        @OptionGroup var options: ConfigurationOptions

        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let configuration = try await options.load()
            let database = try LiftDatabase(path: configuration.database.path)
            let report = try database.storageReport()
            let metricsPerSample = 13.0
            let hotPerValue = report.hotBytes.map { report.hotSamples > 0 ? Double($0) / (Double(report.hotSamples) * metricsPerSample) : 0 }
            let chunkPerValue = report.chunkSamples > 0 ? Double(report.chunkBytes) / (Double(report.chunkSamples) * metricsPerSample) : 0
            if json {
                let object: [String: Any] = [
                    "hot_samples": report.hotSamples, "hot_bytes": report.hotBytes as Any, "chunks": report.chunks,
                    "chunk_samples": report.chunkSamples, "chunk_bytes": report.chunkBytes,
                    "hot_bytes_per_value": hotPerValue as Any, "chunk_bytes_per_value": chunkPerValue,
                ]
                print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print("hot:    \(report.hotSamples) samples, \(report.hotBytes.map(String.init) ?? "?") bytes" + (hotPerValue.map { String(format: " (%.2f bytes per metric value)", $0) } ?? ""))
                print("chunks: \(report.chunks) chunks, \(report.chunkSamples) samples, \(report.chunkBytes) bytes" + String(format: " (%.3f bytes per metric value)", chunkPerValue))
                print("(13 metric fields per sample; seq, ts and arrival time included in the bytes)")
            }
        }
    }

    struct QueryBenchmark: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "benchmark-queries",
            abstract: "Time the long-range queries on a scratch database with rollups for a fleet.",
            discussion: "Fills the rollup tables as ELEVATORS × DAYS of telemetry would (every minute, hour and day bucket of seven metrics), then times a 30-day hourly series of one elevator and a daily fleet aggregate (median of 20 runs).")

        @Option(help: "Elevators.") var elevators = 1_000
        @Option(help: "Days.") var days = 30
        @Option(help: "Scratch database path (deleted first).") var database = "var/bench-queries.sqlite"

        func run() async throws {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
            let store = try LiftDatabase(path: database)
            let end = Rollups.floor(EpochClock.system.now(), to: Rollups.day)
            let start = end - Int64(days) * Rollups.day
            FileHandle.standardError.write(Data("filling rollups for \(elevators) elevators × \(days) days…\n".utf8))
            try store.fillSyntheticRollups(elevators: elevators, from: start, to: end) { done in
                FileHandle.standardError.write(Data("  \(done)/\(elevators) elevators\n".utf8))
            }
            let (hourly, points) = try medianTime(runs: 20) { try store.series("SIM-0001", metric: .motorTempC, from: start, to: end, step: Rollups.hour).count }
            let (daily, days) = try medianTime(runs: 20) { try store.fleetDaily(metric: .motorTempC, from: start, to: end).count }
            print(String(format: "30-day hourly series, one elevator: %.2f ms (%d points)", hourly, points))
            print(String(format: "daily aggregate, %d elevators × %d days: %.2f ms (%d points)", elevators, self.days, daily, days))
        }
    }

    struct StorageBenchmark: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "benchmark-storage",
            abstract: "Measure the whole database on a realistic 10 s stream, days of it, with the store's own maintenance.",
            discussion: """
                Writes ELEVATORS × DAYS of telemetry (RealisticTelemetry: trips, doors, loads, temperatures and sensor noise, \
                every 10 s) through the ingest commit into a scratch database, a day at a time, each day followed by what \
                `serve` does daily: rollups, compaction of the day, retention (raw samples kept, minute rollups for \
                --minute-rollup-days). Half a day more stays hot at the end. Then it measures the file and each table, and \
                times the series queries. Bytes per value count 8 numeric metrics per sample (floor and the 7 rolled-up ones). \
                With --openmetrics, the first --openmetrics-days days also go to that file for Prometheus's promtool.
                """)

        @Option(help: "Elevators.") var elevators = 4
        @Option(help: "Days.") var days = 365
        @Option(help: "Minute rollups kept, days.") var minuteRollupDays = 2
        @Option(help: "Scratch database path (deleted first).") var database = "var/bench-storage.sqlite"
        @Option(help: "Also write the first days as OpenMetrics text here.") var openmetrics: String?
        @Option(help: "Days written to --openmetrics.") var openmetricsDays = 7

        func run() async throws {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
            let store = try LiftDatabase(path: database)
            let day = Rollups.day
            let start = Rollups.floor(EpochClock.system.now(), to: day) - Int64(days) * day
            var streams = (0..<elevators).map { RealisticTelemetry(seed: UInt64($0 + 1)) }
            let ids = (0..<elevators).map { String(format: "BENCH-%04d", $0 + 1) }
            let keys = try ids.map { try store.register(ElevatorRegistration(elevatorID: $0, region: "430102"), at: start) }
            let perDay = day / streams[0].interval
            let policy = RetentionPolicy(rawTelemetryDays: 0, rollupDays: 0, minuteRollupDays: minuteRollupDays, eventDays: 0)
            var kept: [[StoredSample]] = Array(repeating: [], count: elevators)
            var samples = 0
            let begin = ContinuousClock.now
            for dayIndex in 0...days {
                let dayStart = start + Int64(dayIndex) * day
                for e in 0..<elevators {
                    var batch = IngestBatch()
                    for slot in 0..<(dayIndex == days ? perDay / 2 : perDay) {
                        let row = streams[e].next(start: dayStart, slot: slot)
                        batch.telemetry.append(IngestBatch.Item(elevator: keys[e], elevatorID: ids[e], region: "430102", value: row.sample, receivedAt: row.receivedAt))
                        if openmetrics != nil, dayIndex < openmetricsDays { kept[e].append(row) }
                    }
                    samples += batch.telemetry.count
                    _ = try store.commit(batch)
                }
                while try store.updateRollups(maximumMinutes: 100_000) > 0 {}
                if dayIndex < days {
                    try store.compact(before: dayStart + day)
                    try store.applyRetention(policy, now: dayStart + day)
                }
                if dayIndex % 30 == 0 { FileHandle.standardError.write(Data("day \(dayIndex)/\(days): \(samples) samples\n".utf8)) }
            }
            let loadSeconds = Double((ContinuousClock.now - begin).components.seconds)
            let footprint = try store.footprint()
            let telemetry = try store.storageReport()
            let values = Double(samples * 8)
            func median(_ body: () throws -> Int) throws -> [String: Any] {
                let (ms, points) = try medianTime(runs: 11, body)
                return ["ms": ms, "points": points]
            }
            let end = start + Int64(days) * day + day / 2
            let old = end - Int64(min(days, 40)) * day
            let queries: [String: Any] = [
                "1 day, 5 min (minute rollups)": try median { try store.series(ids[0], metric: .motorTempC, from: end - day, to: end, step: 300_000).count },
                "7 days, 1 h (hour rollups)": try median { try store.series(ids[0], metric: .motorTempC, from: end - 7 * day, to: end, step: Rollups.hour).count },
                "30 days, 6 h (hour rollups)": try median { try store.series(ids[0], metric: .motorTempC, from: end - 30 * day, to: end, step: 6 * Rollups.hour).count },
                "365 days, 1 day (day rollups)": try median { try store.series(ids[0], metric: .motorTempC, from: end - 365 * day, to: end, step: day).count },
                "1 old day, 5 min (raw samples)": try median { try store.series(ids[0], metric: .motorTempC, from: old, to: old + day, step: 300_000).count },
                "7 old days, 50 min (raw samples)": try median { try store.series(ids[0], metric: .motorTempC, from: old, to: old + 7 * day, step: 3_000_000).count },
                "fleet daily, 365 days": try median { try store.fleetDaily(metric: .motorTempC, from: end - 365 * day, to: end).count },
            ]
            if let openmetrics {
                var text = ""
                for column in [("floor", \TelemetrySample.floor), ] as [(String, KeyPath<TelemetrySample, Int?>)] {
                    text += "# TYPE liftwatch_\(column.0) gauge\n"
                    for e in 0..<elevators {
                        for row in kept[e] { if let v = row.sample[keyPath: column.1] { text += "liftwatch_\(column.0){elevator=\"\(ids[e])\"} \(v) \(Double(row.sample.ts) / 1_000)\n" } }
                    }
                }
                for metric in Rollups.Metric.allCases {
                    text += "# TYPE liftwatch_\(metric.name) gauge\n"
                    for e in 0..<elevators {
                        for row in kept[e] { if let v = metric.value(of: row.sample) { text += "liftwatch_\(metric.name){elevator=\"\(ids[e])\"} \(v) \(Double(row.sample.ts) / 1_000)\n" } }
                    }
                }
                text += "# EOF\n"
                try Data(text.utf8).write(to: URL(fileURLWithPath: openmetrics))
            }
            let result: [String: Any] = [
                "elevators": elevators, "days": days, "minute_rollup_days": minuteRollupDays, "samples": samples, "values": samples * 8,
                "load_seconds": loadSeconds, "file_bytes": footprint.fileBytes, "free_bytes": footprint.freeBytes,
                "bytes_per_value": Double(footprint.fileBytes) / values, "tables": footprint.tables,
                "rollup_rows": Dictionary(uniqueKeysWithValues: footprint.rollupRows.map { (String($0.key), $0.value) }),
                "hour_rollup_days": footprint.hourRollupDays, "queries": queries,
                "chunk_samples": telemetry.chunkSamples, "chunk_bytes": telemetry.chunkBytes,
                "openmetrics_samples": kept.reduce(0) { $0 + $1.count },
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self))
        }
    }
}

/// The median wall time of `runs` calls of `body`, in milliseconds, with what the last call returned.
private func medianTime(runs: Int, _ body: () throws -> Int) rethrows -> (ms: Double, result: Int) {
    var times: [Double] = []
    var result = 0
    for _ in 0..<runs {
        let begin = ContinuousClock.now
        result = try body()
        let elapsed = ContinuousClock.now - begin
        times.append(Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15)
    }
    return (times.sorted()[times.count / 2], result)
}
