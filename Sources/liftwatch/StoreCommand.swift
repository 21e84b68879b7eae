import ArgumentParser
import Foundation
import LiftCore
import LiftStore

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Maintain the time-series store: rollups, compaction, retention, size report.",
        subcommands: [Maintain.self, Report.self, QueryBenchmark.self, Backfill.self])

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
            let retention = try database.applyRetention(
                RetentionPolicy(rawTelemetryDays: configuration.retention.rawTelemetryDays, rollupDays: configuration.retention.rollupDays,
                                eventDays: configuration.retention.eventDays,
                deadLetterDays: configuration.retention.deadLetterDays, deadLettersPerElevator: configuration.ingest.deadLettersPerElevator), now: now)
            print("rolled up \(rolled) minutes; compacted \(compaction.samplesMoved) samples into \(compaction.chunksWritten) chunks (\(compaction.bytesWritten) bytes); dropped \(retention.chunksDropped) chunks, \(retention.rollupsDropped) rollup rows, \(retention.eventsDropped) events")
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
            func median(_ body: () throws -> Int) rethrows -> (Double, Int) {
                var times: [Double] = []
                var size = 0
                for _ in 0..<20 {
                    let begin = ContinuousClock.now
                    size = try body()
                    let elapsed = ContinuousClock.now - begin
                    times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                }
                return (times.sorted()[times.count / 2], size)
            }
            let (hourly, points) = try median { try store.series("SIM-0001", metric: .motorTempC, from: start, to: end, step: Rollups.hour).count }
            let (daily, days) = try median { try store.fleetDaily(metric: .motorTempC, from: start, to: end).count }
            print(String(format: "30-day hourly series, one elevator: %.2f ms (%d points)", hourly, points))
            print(String(format: "daily aggregate, %d elevators × %d days: %.2f ms (%d points)", elevators, self.days, daily, days))
        }
    }
}
