import Foundation
import LiftCore
import Testing
@testable import LiftStore

func temporaryPath(_ name: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent(name).path
}

func item<T: Sendable>(_ key: Int64, _ value: T, at time: Int64 = 1_000) -> IngestBatch.Item<T> {
    IngestBatch.Item(elevator: key, elevatorID: "E\(key)", region: "430102", value: value, receivedAt: time)
}

@Suite("SQLite store")
struct LiftDatabaseTests {
    @Test("a new file gets every migration; opening it again applies nothing twice")
    func migrations() throws {
        let path = try temporaryPath("lw.sqlite")
        let first = try LiftDatabase(path: path)
        let applied = try first.appliedMigrations()
        #expect(applied == ["v1 registry", "v1 ingestion", "v2 compaction and rollups", "v3 dossiers, contracts, terminals, audit", "v4 tickets", "v5 api tokens", "v6 rescue integrity", "v7 outbox snapshots", "v8 places", "v9 programme", "v10 place names", "v11 programme at province size", "v12 one map at province size", "v13 rollups for years", "v14 field work", "v15 maintenance records"])
        try first.close()
        #expect(try LiftDatabase(path: path).appliedMigrations() == applied)
    }

    @Test("registering an elevator twice updates it, keeping its key")
    func registerIsAnUpsert() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", unitID: "U1", region: "430102", contractorID: "C1"), at: 5)
        let again = try database.register(ElevatorRegistration(elevatorID: "E1", unitID: "U1", region: "430103", contractorID: "C2", platform: "municipal-b"), at: 9)
        #expect(key == again)
        let record = try #require(try database.elevator("E1"))
        #expect(record.region == "430103" && record.contractorID == "C2" && record.platform == "municipal-b" && record.registeredAt == 5)
        #expect(throws: RegistryError.self) { try database.register(ElevatorRegistration(elevatorID: "bad id", region: "430102"), at: 1) }
        #expect(throws: RegistryError.self) { try database.register(ElevatorRegistration(elevatorID: "E2", region: "43"), at: 1) }
    }

    @Test("a batch stores each (elevator, seq) once and counts the rest as duplicates")
    func commitDeduplicates() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102"), at: 0)
        var batch = IngestBatch()
        batch.telemetry = [item(key, TelemetrySample(seq: 1, ts: 10, speed: 1)), item(key, TelemetrySample(seq: 1, ts: 10, speed: 1))]
        batch.events = [item(key, ElevatorEvent(seq: 2, ts: 11, kind: .fault, code: "overspeed", fault: .overspeed, state: .raised))]
        let first = try database.commit(batch)
        #expect(first.storedTelemetry == 1 && first.newEvents.count == 1 && first.duplicates[key] == 1)
        let second = try database.commit(batch)
        #expect(second.storedTelemetry == 0 && second.newEvents.isEmpty && second.duplicates[key] == 3)
        #expect(try database.ingestCounters("E1")?.duplicates == 4)
        #expect(try database.telemetry("E1", from: 0, to: 100) == [TelemetrySample(seq: 1, ts: 10, speed: 1)])
    }

    @Test("a commit giving way rolls back, or commits part of its samples, and the rest completes the batch exactly")
    func commitGivingWay() async throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102"), at: 0)
        var batch = IngestBatch()
        batch.telemetry = (1...1_000).map { item(key, TelemetrySample(seq: UInt64($0), ts: Int64($0) * 1_000, speed: 1)) }
        batch.telemetry.append(item(key, TelemetrySample(seq: 7, ts: 7_000, speed: 1)))  // a duplicate inside the batch
        batch.counters[key] = { var delta = CounterDelta(); delta.received = 1_001; return delta }()
        batch.sequenceStates[key] = SequenceState(highSeq: 1_000)

        // Urgent work running: the commit gives way. Discarding: nothing is written, the whole batch comes back.
        database.priority.enter()
        guard case .yielded(let none, let whole) = try await database.commitGivingWay(batch, discardOnYield: true) else {
            Issue.record("expected the commit to give way")
            return
        }
        #expect(none.storedTelemetry == 0 && whole.telemetry.count == 1_001)
        #expect(try database.telemetry("E1", from: 0, to: 2_000_000).isEmpty)
        #expect(try database.ingestCounters("E1")?.received == 0)

        // Committing part-way: the first 256 samples now, none of the bookkeeping.
        guard case .yielded(let part, let rest) = try await database.commitGivingWay(whole, discardOnYield: false) else {
            Issue.record("expected the commit to give way")
            return
        }
        #expect(part.storedTelemetry == LiftDatabase.yieldCheckInterval && rest.telemetry.count == 1_001 - LiftDatabase.yieldCheckInterval)
        #expect(try database.telemetry("E1", from: 0, to: 2_000_000).count == LiftDatabase.yieldCheckInterval)
        #expect(try database.ingestCounters("E1")?.received == 0)

        database.priority.leave()
        guard case .committed(let last) = try await database.commitGivingWay(rest, discardOnYield: true) else {
            Issue.record("expected the rest to commit")
            return
        }
        #expect(part.storedTelemetry + last.storedTelemetry == 1_000 && last.duplicates[key] == 1)
        #expect(try database.telemetry("E1", from: 0, to: 2_000_000).count == 1_000)
        let counters = try #require(try database.ingestCounters("E1"))
        #expect(counters.received == 1_001 && counters.duplicates == 1)
        // Every stored minute is waiting for its rollup.
        #expect(try database.updateRollups() == 17)
    }

    @Test("a backup taken while ingestion writes is a consistent, openable database")
    func backupWhileWriting() async throws {
        let path = try temporaryPath("lw.sqlite")
        let database = try LiftDatabase(path: path)
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102"), at: 0)
        let writer = Task.detached {
            for round in 0..<200 {
                var batch = IngestBatch()
                batch.telemetry = (0..<50).map { item(key, TelemetrySample(seq: UInt64(round * 50 + $0), ts: Int64(round * 50 + $0), speed: 1)) }
                _ = try database.commit(batch)
            }
        }
        try await Task.sleep(for: .milliseconds(30))
        let copy = try temporaryPath("backup.sqlite")
        var steps = 0
        try database.backup(to: copy) { _, _ in steps += 1 }
        try await writer.value
        #expect(steps >= 1)
        let restored = try LiftDatabase(path: copy)
        let count = try #require(try restored.tableCounts()["telemetry"])
        #expect(count % 50 == 0, "a backup holds whole transactions only (got \(count))")
        #expect(try restored.elevator("E1") != nil)
        #expect(throws: StoreError.self) { try database.backup(to: copy) }
    }

    @Test("dead letters keep topic, raw bytes and reason, and filter by reason and replay state")
    func deadLetters() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        var batch = IngestBatch()
        batch.deadLetters = [
            NewDeadLetter(topic: "x/y", payload: [0xFF, 0x00], receivedAt: 7, rejection: Rejection(.topic, "bad topic")),
            NewDeadLetter(topic: "lift/430102/E9/telemetry", payload: Array("{}".utf8), receivedAt: 8, rejection: Rejection(.unregistered, "not registered"), elevatorID: "E9"),
        ]
        _ = try database.commit(batch)
        let all = try database.deadLetters()
        #expect(all.map(\.payload) == [[0xFF, 0x00], Array("{}".utf8)])
        #expect(try database.deadLetters(reason: "unregistered_elevator").map(\.elevatorID) == ["E9"])
        var replay = IngestBatch()
        replay.replayedDeadLetters = [(all[1].id, "stored", 99)]
        _ = try database.commit(replay)
        #expect(try database.deadLetters(pendingOnly: true).map(\.id) == [all[0].id])
    }

    @Test("dead letters are kept for their days and at most the cap per elevator, the newest kept")
    func deadLetterBounds() throws {
        let database = try LiftDatabase(path: try temporaryPath("lw.sqlite"))
        let day: Int64 = 86_400_000
        let now: Int64 = 200 * day
        func letter(_ elevator: String, _ index: Int, at time: Int64) -> NewDeadLetter {
            NewDeadLetter(topic: "lift/430102/\(elevator)/event", payload: [UInt8(index)], receivedAt: time,
                          rejection: Rejection(.unregistered, "not registered"), elevatorID: elevator)
        }
        var batch = IngestBatch()
        batch.deadLetters = (0..<30).map { letter("E9", $0, at: now - 1_000 + Int64($0)) }
            + (0..<5).map { letter("E8", $0, at: now - 1_000 + Int64($0)) }
            + [NewDeadLetter(topic: "x/y", payload: [1], receivedAt: now - 91 * day, rejection: Rejection(.topic, "bad topic"))]
        _ = try database.commit(batch)
        let report = try database.applyRetention(RetentionPolicy(deadLetterDays: 90, deadLettersPerElevator: 10), now: now)
        #expect(report.deadLettersDropped == 21)
        let kept = try database.deadLetters(limit: 1_000)
        #expect(kept.filter { $0.elevatorID == "E9" }.map(\.payload) == (20..<30).map { [UInt8($0)] })
        #expect(kept.filter { $0.elevatorID == "E8" }.count == 5)
        #expect(kept.count == 15, "the 91-day-old letter is gone")
    }
}
