import Foundation
import LiftCore
@testable import LiftIngest
import LiftStore
import Synchronization
import Testing
@testable import LiftScheduler

/// How the ticket engine publishes: inside its isolation, one change at a time.
@Suite("Ticket engine publishing")
struct TicketEnginePublishingTests {
    func database(elevators: [String]) throws -> (LiftDatabase, [String: Int64]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let database = try LiftDatabase(path: directory + "/liftwatch.sqlite")
        var keys: [String: Int64] = [:]
        for id in elevators {
            keys[id] = try database.register(
                ElevatorRegistration(elevatorID: id, region: "430102", contractorID: "C1", commissionedOn: "2025-01-01"), at: 0, by: "test")
        }
        return (database, keys)
    }

    func entrapment(_ id: String, key: Int64, at now: Int64) -> IngestBatch.Item<ElevatorEvent> {
        IngestBatch.Item(elevator: key, elevatorID: id, region: "430102", value: ElevatorEvent(
            seq: 1, ts: now, kind: .fault, code: "entrapment_between_floors", fault: .entrapmentBetweenFloors, state: .raised, occupied: true),
            receivedAt: now)
    }

    @Test("a ticket's messages go out before another change starts: a slow publish keeps the engine, other callers wait")
    func publishingStaysInsideTheEngine() async throws {
        // Before, the publisher ran off the engine's isolation: a scheduler call took the engine meanwhile, and
        // the fault's ticket then waited for it and for a free thread of the shared pool (2.6 s under load).
        let (database, keys) = try database(elevators: ["E1", "E2"])
        let now: Int64 = 1_780_000_000_000
        let sent = Mutex<[String]>([])
        let calls = Mutex(0)
        let firstStarted = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        let outbox = OutboxDispatcher(database: database, transport: { topic, payload in
            let elevator = String(decoding: payload, as: UTF8.self).contains("\"E1\"") ? "E1" : "E2"
            if calls.withLock({ $0 += 1; return $0 }) == 1 {
                firstStarted.signal()
                _ = gate.wait(timeout: .now() + .seconds(2))  // a slow broker, for E1's first message
            }
            sent.withLock { $0.append("\(elevator) \(topic)") }
            return {}
        })
        let engine = TicketEngine(database: database, outbox: outbox)
        let fault = DedicatedExecutor(name: "test-fault")
        let other = DedicatedExecutor(name: "test-other")
        defer {
            fault.shutdown()
            other.shutdown()
        }
        let first = Task(executorPreference: fault) { await engine.handle([entrapment("E1", key: keys["E1"]!, at: now)]) }
        firstStarted.wait()
        let second = Task(executorPreference: other) { await engine.handle([entrapment("E2", key: keys["E2"]!, at: now)]) }
        try await Task.sleep(for: .milliseconds(300))  // time for the second change to cut in, if it can
        gate.signal()
        await first.value
        await second.value

        #expect(sent.withLock { $0 } == [
            "E1 contractor/C1/tickets", "E1 regulator/430102/alerts", "E2 contractor/C1/tickets", "E2 regulator/430102/alerts",
        ])
        #expect(try database.activeTickets().map(\.type) == [.rescue, .rescue])
    }
}
