import Foundation
import GRDB
import LiftCore
import Synchronization
import Testing
@testable import LiftStore

/// The one writer shared between telemetry, rollups and fault events: batches cut by elevators, rollup passes
/// that give way to urgent work.
@Suite("Writer sharing: batches cut by elevators, rollups giving way")
struct WriterSharingTests {
    static let minute: Int64 = 1_795_046_400_000

    /// A batch from `elevators` registered elevators: three samples, a counter increment, a seq state and
    /// `last_seen` each, plus an event, stats, and dead letters with and without an elevator.
    static func batch(in database: LiftDatabase, elevators: Int) throws -> IngestBatch {
        var batch = IngestBatch()
        for index in 1...elevators {
            let id = "E\(index)"
            let key = try database.register(ElevatorRegistration(elevatorID: id, region: "430102"), at: 0)
            for seq in 1...3 {
                batch.telemetry.append(.init(
                    elevator: key, elevatorID: id, region: "430102",
                    value: TelemetrySample(seq: UInt64(seq), ts: minute + Int64(seq) * 1_000, speed: Double(index)), receivedAt: minute + 5_000))
            }
            var delta = CounterDelta()
            delta.received = 3
            batch.counters[key] = delta
            batch.sequenceStates[key] = SequenceState(highSeq: 3)
            batch.lastSeen[key] = minute + 5_000
            if index == 7 {
                batch.events.append(.init(
                    elevator: key, elevatorID: id, region: "430102",
                    value: ElevatorEvent(seq: 4, ts: minute + 4_000, kind: .fault, code: "door_close_failure", fault: .doorCloseFailure, state: .raised),
                    receivedAt: minute + 5_000))
                batch.counters[key]!.received += 1
                batch.sequenceStates[key] = SequenceState(highSeq: 4)
            }
            if index == 5 {
                batch.deadLetters.append(NewDeadLetter(
                    topic: "lift/430102/E5/telemetry", payload: Array("{".utf8), receivedAt: minute, rejection: Rejection(.json, "unexpected end"),
                    elevatorID: id, elevator: key))
                batch.counters[key]!.rejected += 1
            }
        }
        batch.deadLetters.append(NewDeadLetter(
            topic: "lift/430102/NOBODY/telemetry", payload: Array("{}".utf8), receivedAt: minute, rejection: Rejection(.unregistered, "not registered"),
            elevatorID: "NOBODY"))
        return batch
    }

    @Test("a batch cut by elevators keeps each elevator's items in one part, loses nothing, and stores what the whole batch stores")
    func partitionedBatch() throws {
        let database = try LiftDatabase(path: try temporaryPath("parts.sqlite"))
        let batch = try Self.batch(in: database, elevators: 10)
        #expect(batch.partitioned(maximumElevators: 10).count == 1)

        let parts = batch.partitioned(maximumElevators: 3)
        #expect(parts.count == 4)
        var owner: [Int64: Int] = [:]
        for (index, part) in parts.enumerated() {
            var keys = Set(part.telemetry.map(\.elevator))
            keys.formUnion(part.counters.keys)
            keys.formUnion(part.sequenceStates.keys)
            keys.formUnion(part.lastSeen.keys)
            keys.formUnion(part.events.map(\.elevator))
            keys.formUnion(part.deadLetters.compactMap(\.elevator))
            #expect(keys.count <= 3)
            for key in keys {
                #expect(owner[key] == nil, "elevator \(key) in two parts")
                owner[key] = index
            }
            // Each elevator's bookkeeping travels with its samples.
            #expect(Set(part.telemetry.map(\.elevator)) == Set(part.counters.keys))
        }
        #expect(owner.count == 10)
        #expect(parts.map(\.telemetry.count).reduce(0, +) == 30)
        #expect(parts.map(\.events.count).reduce(0, +) == 1)
        #expect(parts.last?.deadLetters.contains { $0.elevator == nil } == true)

        for part in parts { _ = try database.commit(part) }
        for index in 1...10 {
            let counters = try #require(try database.ingestCounters("E\(index)"))
            #expect(counters.received == (index == 7 ? 4 : 3))
            #expect(counters.rejected == (index == 5 ? 1 : 0))
            #expect(counters.highSeq == (index == 7 ? 4 : 3))
            #expect(try database.elevator("E\(index)")?.lastSeen == Self.minute + 5_000)
        }
        #expect(try database.deadLetters().count == 2)
    }

    @Test("a telemetry commit too small for a check on the way still gives way before its COMMIT, and stores nothing")
    func lastLookBeforeCommit() async throws {
        let database = try LiftDatabase(path: try temporaryPath("last-look.sqlite"))
        let batch = try Self.batch(in: database, elevators: 10)  // 30 samples: fewer than one check interval
        database.priority.enter()
        let progress = try await database.commitGivingWay(batch, discardOnYield: true)
        database.priority.leave()
        guard case .yielded(let stored, let remaining) = progress else {
            Issue.record("committed although urgent work was running")
            return
        }
        #expect(stored.storedTelemetry == 0)
        #expect(remaining.telemetry.count == batch.telemetry.count)
        #expect(try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM telemetry") } == 0)
        guard case .committed(let result) = try await database.commitGivingWay(remaining, discardOnYield: true) else {
            Issue.record("yielded with nothing waiting")
            return
        }
        #expect(result.storedTelemetry == 30)
    }

    @Test("a lane's waiting urgent work makes bulk writers give way before it has begun")
    func pendingSourceCounts() async throws {
        let database = try LiftDatabase(path: try temporaryPath("pending.sqlite"))
        let waiting = Mutex(true)
        database.priority.addPendingSource { waiting.withLock { $0 } }
        #expect(database.priority.shouldYield)
        let batch = try Self.batch(in: database, elevators: 10)
        guard case .yielded = try await database.commitGivingWay(batch, discardOnYield: true) else {
            Issue.record("committed although a lane said urgent work waits")
            return
        }
        waiting.withLock { $0 = false }
        #expect(!database.priority.shouldYield)
    }

    @Test("bulk work waiting on urgent work that has not begun is woken by that work's end, not by a timer")
    func pendingWorkWakesByItsEnd() async throws {
        let priority = WriterPriority()
        let waiting = Mutex(true)
        priority.addPendingSource { waiting.withLock { $0 } }
        let waiter = Task {
            await priority.waitForTurn(atMost: .seconds(30))
            return ContinuousClock.now
        }
        try await Task.sleep(for: .milliseconds(200))
        // The pending work begins (as the events lane does: takes its messages, enters) and ends.
        priority.enter()
        waiting.withLock { $0 = false }
        try await Task.sleep(for: .milliseconds(100))
        let left = ContinuousClock.now
        priority.leave()
        let woken = await waiter.value
        #expect(woken >= left, "the waiter did not go ahead while the work it waited for was running")
        #expect(woken - left < .seconds(10), "woken \(woken - left) after the leave, not by the 30 s bound")
    }

    @Test("waiting for urgent work to end is bounded, and the last urgent work to leave wakes the waiter at once")
    func boundedWaitForUrgentWork() async {
        let priority = WriterPriority()
        priority.enter()
        let start = ContinuousClock.now
        await priority.waitForTurn(atMost: .milliseconds(50))
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        #expect(priority.isUrgentWorkRunning)

        // A waiter with a long bound is woken by the `leave()` itself, not by its bound.
        let waiter = Task {
            await priority.waitForTurn(atMost: .seconds(30))
            return ContinuousClock.now
        }
        try? await Task.sleep(for: .milliseconds(100))
        let left = ContinuousClock.now
        priority.leave()
        let woken = await waiter.value
        #expect(woken - left < .seconds(10), "woken \(woken - left) after the last leave, not by the 30 s bound")
        #expect(!priority.shouldYield)
    }

    @Test("a rollup pass gives way to urgent work after the elevator in hand, and rolls up only settled minutes when asked")
    func rollupsGiveWay() async throws {
        let database = try LiftDatabase(path: try temporaryPath("rollups.sqlite"))
        var batch = IngestBatch()
        for index in 1...3 {
            let key = try database.register(ElevatorRegistration(elevatorID: "E\(index)", region: "430102"), at: 0)
            for minute in 0..<2 {
                batch.telemetry.append(.init(
                    elevator: key, elevatorID: "E\(index)", region: "430102",
                    value: TelemetrySample(seq: UInt64(minute + 1), ts: Self.minute + Int64(minute) * 60_000 + 1_000, speed: Double(index)),
                    receivedAt: Self.minute))
            }
        }
        _ = try database.commit(batch)
        #expect(try database.pendingRollupMinutes() == 6)

        database.priority.enter()
        // A fault event wants the writer: the pass finishes the first elevator (both its minutes) and stops.
        #expect(try await database.updateRollupsInBackground(maximumMinutes: 100, givingWay: true) == 2)
        #expect(try database.pendingRollupMinutes() == 4)
        database.priority.leave()

        // Only minutes that ended before the second: each remaining elevator's first minute.
        #expect(try await database.updateRollupsInBackground(maximumMinutes: 100, settledBefore: Self.minute + 60_000, givingWay: true) == 2)
        #expect(try database.pendingRollupMinutes() == 2)
        #expect(try await database.updateRollupsInBackground(maximumMinutes: 100, givingWay: true) == 2)
        #expect(try database.pendingRollupMinutes() == 0)
        for index in 1...3 {
            let series = try database.series("E\(index)", metric: .speed, from: Self.minute, to: Self.minute + 120_000, step: 60_000)
            #expect(series.map(\.count) == [1, 1])
            #expect(series.map(\.max) == [Double(index), Double(index)])
        }
    }

    @Test("a full disk makes the store failing until a write succeeds again; a busy writer does not")
    func failingStore() throws {
        let database = try LiftDatabase(path: try temporaryPath("full.sqlite"))
        let batch = try Self.batch(in: database, elevators: 300)
        // The writer's connection may not grow the file: as a full disk would refuse it.
        let pages = try database.read { try Int.fetchOne($0, sql: "PRAGMA page_count") ?? 0 }
        try database.write { try $0.execute(sql: "PRAGMA max_page_count = \(pages)") }
        #expect { try database.commit(batch) } throws: { ($0 as? StoreError)?.isFull == true }
        #expect(database.writeHealth.failure?.resultCode == 13, "SQLITE_FULL kept as the cause")
        #expect(database.writeHealth.failingSince == nil, "one refused write is not yet a failing store")
        for _ in 2...WriteHealth.diskFailuresToFail {
            #expect { try database.commit(batch) } throws: { ($0 as? StoreError)?.isFull == true }
        }
        let since = try #require(database.writeHealth.failingSince)
        #expect(since == database.writeHealth.failure?.diskSince, "failing since the first refusal of the run")

        try database.write { try $0.execute(sql: "PRAGMA max_page_count = 1073741823") }
        _ = try database.commit(batch)
        #expect(database.writeHealth.failure == nil && database.writeHealth.failingSince == nil)

        // Contention (waiting cures it), a constraint, an error of LiftWatch's own: the standby's store would do no
        // better, so a cluster node does not step down on them, however often.
        for code: Int32? in [5, 6, 19, 1, nil] {
            for _ in 0..<5 {
                #expect(throws: StoreError.self) {
                    try database.writeHealth.recording { () throws -> Void in throw StoreError(operation: "commit", message: "refused", resultCode: code) }
                }
            }
        }
        #expect(database.writeHealth.failure?.count == 25 && database.writeHealth.failingSince == nil)
    }
}
