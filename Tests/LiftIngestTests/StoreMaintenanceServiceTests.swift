import Foundation
import LiftCore
import LiftIngest
import LiftStore
import Testing

@Suite("Store maintenance while LiftWatch runs")
struct StoreMaintenanceServiceTests {
    @Test("at start-up, past days are rolled up and compacted and today stays hot, every sample still answered")
    func compactsPastDaysAtStartup() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maintenance-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try LiftDatabase(path: directory + "/liftwatch.sqlite")
        let yesterday: Int64 = 1_795_046_400_000  // a UTC midnight
        let today = yesterday + Rollups.day
        var batch = IngestBatch()
        for (index, elevatorID) in ["E1", "E2"].enumerated() {
            let key = try database.register(ElevatorRegistration(elevatorID: elevatorID, region: "430102"), at: 0)
            // Every 10 s from 23:00 yesterday to 01:00 today: 360 samples on each side of midnight.
            batch.telemetry += (0..<720).map { step in
                let ts = today - 3_600_000 + Int64(step) * 10_000 + Int64(index)
                let sample = TelemetrySample(seq: UInt64(step + 1), ts: ts, speed: Double(step % 17) / 10, motorTempC: 40 + Double(step % 9))
                return IngestBatch.Item(elevator: key, elevatorID: elevatorID, region: "430102", value: sample, receivedAt: ts + 40)
            }
        }
        _ = try database.commit(batch)
        let before = try database.telemetry("E1", from: yesterday, to: today + Rollups.day)

        let clock = ManualEpochClock(today + 12 * 3_600_000)
        let service = StoreMaintenanceService(database: database, clock: .manual(clock), configuration: .init(rollupInterval: .milliseconds(50)))
        let running = Task { try await service.run() }
        // A bound for a stuck service, not a speed target: with the whole suite on 2 cores, the service's tasks
        // wait for the cooperative pool's threads.
        let deadline = ContinuousClock.now + .seconds(90)
        while try database.storageReport().chunks < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(25))
        }
        running.cancel()
        try await running.value

        let storage = try database.storageReport()
        #expect(storage.chunks == 2)
        #expect(storage.chunkSamples == 2 * 360)
        #expect(storage.hotSamples == 2 * 360)
        #expect(try database.telemetry("E1", from: yesterday, to: today + Rollups.day) == before)
        // Yesterday's last hour from the rollups equals the raw samples' aggregate.
        let hourly = try database.series("E1", metric: .speed, from: today - 3_600_000, to: today, step: 3_600_000)
        let speeds = before.filter { $0.ts < today }.compactMap(\.speed)
        #expect(hourly.count == 1)
        #expect(hourly.first?.count == speeds.count)
        #expect(hourly.first?.max == speeds.max())
    }
}
