import Foundation
import LiftCore
import LiftIngest
import LiftMQTT
import LiftStore
import Testing
@testable import LiftScheduler

extension OutboxDispatcher {
    /// The transport `liftwatch serve` uses, over a test's MQTT client.
    static func transport(over client: MQTTClient) -> OutboxDispatcher.Transport {
        { topic, payload in
            let acknowledgement = try client.enqueueAcknowledged(MQTTMessage(topic: topic, payload: payload, qos: .atLeastOnce))
            return { try await acknowledgement.wait() }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Messages seen on the contractor and regulator topics.
final class Inbox: @unchecked Sendable {
    // @unchecked: `messages` is guarded by `lock`.
    private let lock = NSLock()
    private var messages: [(topic: String, json: [String: Any])] = []
    func append(_ topic: String, _ payload: [UInt8]) {
        let json = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any] ?? [:]
        lock.withLock { messages.append((topic, json)) }
    }
    func on(_ topic: String) -> [[String: Any]] { lock.withLock { messages.filter { $0.topic == topic }.map(\.json) } }
}

/// A real mosquitto and SQLite file with LiftWatch's ingestion feeding the ticket engine, a controller that
/// publishes, and a listener on `contractor/#` and `regulator/#`.
final class SchedulerHarness: @unchecked Sendable {
    let broker: MosquittoBroker
    let database: LiftDatabase
    let directory: String
    let clock: ManualEpochClock
    let controller: MQTTClient
    let listener: MQTTClient
    let liftwatch: MQTTClient
    let engine: TicketEngine
    let outbox: OutboxDispatcher
    let inbox = Inbox()
    var configuration = SchedulerConfiguration()
    private var ingest: Task<Void, any Error>?
    private var listening: Task<Void, Never>?
    static let t0: Int64 = 1_795_000_000_000  // 2026-11-18

    /// - Parameters:
    ///   - handOff: whether committed events go to the engine (false: as if the process died between the two).
    ///   - busyTimeout: the database's wait for another writer; `engineBusyRetry` the engine's retries after it.
    init(handOff: Bool = true, busyTimeout: TimeInterval = 10, engineBusyRetry: Duration = .seconds(5)) async throws {
        broker = try await MosquittoBroker.start()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("scheduler-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        database = try LiftDatabase(path: directory + "/liftwatch.sqlite", busyTimeout: busyTimeout)
        clock = ManualEpochClock(Self.t0)
        controller = try MQTTClient(configuration: .init(port: broker.port, clientID: "controller-\(UUID().uuidString.prefix(6))"))
        listener = try MQTTClient(configuration: .init(
            port: broker.port, clientID: "listener-\(UUID().uuidString.prefix(6))",
            subscriptions: [.init("contractor/#", qos: .atLeastOnce), .init("regulator/#", qos: .atLeastOnce)]))
        liftwatch = try MQTTClient(configuration: .init(
            port: broker.port, clientID: "liftwatch-\(UUID().uuidString.prefix(6))", cleanSession: false,
            subscriptions: [.init("lift/+/+/+", qos: .atLeastOnce)]))
        outbox = OutboxDispatcher(database: database, transport: OutboxDispatcher.transport(over: liftwatch))
        engine = TicketEngine(database: database, outbox: outbox, clock: clock.clock, busyRetry: engineBusyRetry)
        for c in [controller, listener, liftwatch] { c.start() }
        for c in [controller, listener, liftwatch] { try await c.waitUntilConnected() }
        let inbox = self.inbox
        let messages = listener.messages
        listening = Task {
            while let batch = await messages.nextBatch(maximum: 100, timeout: .seconds(1)) {
                for message in batch { inbox.append(message.topic, message.payload) }
            }
        }
        let engine = self.engine
        // The clock stands still, and so does time inside LiftWatch: arrivals are the clock's, however busy the machine.
        let service = IngestService(
            client: liftwatch, database: database, clock: clock.clock, configuration: .init(batchSize: 200), waited: { _ in .zero }) { events in
            if handOff { await engine.handle(events) }
        }
        ingest = Task { try await service.run() }
        try await eventually("the broker's SUBACKs") { listener.subscriptionsAwaitingGrant == 0 && liftwatch.subscriptionsAwaitingGrant == 0 }
    }

    var pass: SchedulerPass { SchedulerPass(database: database, engine: engine, configuration: configuration) }

    func register(_ elevatorID: String, region: String = "430102", contractor: String = "C1", commissioned: String? = "2024-01-10", onDemand: Bool = false) throws {
        try database.register(
            ElevatorRegistration(elevatorID: elevatorID, region: region, contractorID: contractor, commissionedOn: commissioned, onDemand: onDemand),
            at: clock.now, by: "test")
    }

    private var seqs: [String: UInt64] = [:]
    func nextSeq(_ elevatorID: String) -> UInt64 {
        let seq = (seqs[elevatorID] ?? 0) + 1
        seqs[elevatorID] = seq
        return seq
    }

    /// Publishes a fault event and returns its payload (to publish again as a duplicate).
    @discardableResult
    func fault(_ elevatorID: String, _ key: String, region: String = "430102", at ts: Int64? = nil, state: String = "raised", occupied: Bool? = nil) async throws -> String {
        let occupiedField = occupied.map { ",\"occupied\":\($0)" } ?? ""
        let payload = #"{"seq":\#(nextSeq(elevatorID)),"ts":\#(ts ?? clock.now),"kind":"fault","code":"\#(key)","state":"\#(state)","floor":3\#(occupiedField)}"#
        try await publish("lift/\(region)/\(elevatorID)/event", payload)
        return payload
    }

    /// Publishes a telemetry sample with the given fields (JSON text after seq and ts).
    func telemetry(_ elevatorID: String, region: String = "430102", _ fields: String) async throws {
        try await publish("lift/\(region)/\(elevatorID)/telemetry", #"{"seq":\#(nextSeq(elevatorID)),"ts":\#(clock.now),\#(fields)}"#)
    }

    /// Publishes an event payload with the given fields (JSON text after seq and ts).
    func event(_ elevatorID: String, region: String = "430102", at ts: Int64? = nil, _ fields: String) async throws {
        try await publish("lift/\(region)/\(elevatorID)/event", #"{"seq":\#(nextSeq(elevatorID)),"ts":\#(ts ?? clock.now),\#(fields)}"#)
    }

    func publish(_ topic: String, _ payload: String, retain: Bool = false) async throws {
        try await controller.publish(MQTTMessage(topic: topic, string: payload, qos: .atLeastOnce, retain: retain))
    }

    func eventually(_ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    func shutdown() async {
        await liftwatch.shutdown()
        _ = try? await ingest?.value
        await controller.shutdown()
        await listener.shutdown()
        listening?.cancel()
        await broker.stop()
        try? database.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
