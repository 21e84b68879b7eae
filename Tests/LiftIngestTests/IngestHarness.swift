import Foundation
import LiftCore
import LiftMQTT
import LiftStore
import Testing
@testable import LiftIngest

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A real mosquitto, a real SQLite file, and LiftWatch's ingestion between them.
final class IngestHarness: @unchecked Sendable {
    let broker: MosquittoBroker
    let database: LiftDatabase
    let directory: String
    let clock: ManualEpochClock
    let publisher: MQTTClient
    let policy: SequenceTracker.Policy
    let clientID = "liftwatch-test-\(UUID().uuidString.prefix(6))"
    private(set) var client: MQTTClient?
    private(set) var eventsClient: MQTTClient?
    private var task: Task<Void, any Error>?
    private(set) var service: IngestService?
    let events = EventLog()

    init(policy: SequenceTracker.Policy = .init(firstRequestDelayMs: 0, requestIntervalMs: 60_000, gapTimeoutMs: 600_000)) async throws {
        // mosquitto's default queues at most 1,000 messages per session and drops the rest, which a flood in a
        // test overruns on a busy machine; LiftWatch's own broker configuration does not bound it that low.
        broker = try await MosquittoBroker.start(.init(extraConfiguration: "max_queued_messages 0"))
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        database = try LiftDatabase(path: directory + "/liftwatch.sqlite")
        clock = ManualEpochClock(1_795_000_000_000)
        self.policy = policy
        publisher = try MQTTClient(configuration: .init(port: broker.port, clientID: "controller-\(UUID().uuidString.prefix(6))"))
        publisher.start()
        try await publisher.waitUntilConnected()
    }

    func register(_ elevatorID: String, region: String = "430102", platform: String = "default") throws {
        try database.register(ElevatorRegistration(elevatorID: elevatorID, region: region, contractorID: "C1", platform: platform), at: clock.now)
    }

    /// Starts LiftWatch's subscriber (fixed client id, persistent session) and the ingest service. With
    /// `eventsSession`, fault events come on a second session, as `liftwatch serve` does it by default.
    /// `waited`: none by default, as the clock stands still (arrivals are then the clock's, however busy the machine).
    func startIngest(
        eventsSession: Bool = false, batchSize: Int = 500,
        waited: @escaping @Sendable (ContinuousClock.Instant) -> Duration = { _ in .zero }
    ) async throws {
        let client = try MQTTClient(configuration: .init(
            port: broker.port, clientID: clientID, cleanSession: false,
            subscriptions: eventsSession
                ? ["telemetry", "stats", "status"].map { .init("lift/+/+/\($0)", qos: .atLeastOnce) }
                : [.init("lift/+/+/+", qos: .atLeastOnce)]))
        client.start()
        try await client.waitUntilConnected()
        var eventsClient: MQTTClient?
        if eventsSession {
            let second = try MQTTClient(configuration: .init(
                port: broker.port, clientID: clientID + "-events", cleanSession: false, subscriptions: [.init("lift/+/+/event", qos: .atLeastOnce)]))
            second.start()
            try await second.waitUntilConnected()
            eventsClient = second
        }
        let service = IngestService(
            client: client, eventsClient: eventsClient, database: database, clock: clock.clock,
            configuration: .init(batchSize: batchSize, sequencePolicy: policy), waited: waited) { [events] committed in
            await events.append(committed.map(\.value))
        }
        self.client = client
        self.eventsClient = eventsClient
        self.service = service
        task = Task { try await service.run() }
        try await eventually("the broker's SUBACKs") {
            client.subscriptionsAwaitingGrant == 0 && (eventsClient?.subscriptionsAwaitingGrant ?? 0) == 0
        }
    }

    /// Advances the clock a second at a time until the running ingestion applies the registry as it is now
    /// (the loop checks it at most once a second of its clock), instead of guessing how long that takes.
    func waitForRegistryApplied() async throws {
        let version = try database.registryVersion()
        try await eventually("ingestion to apply registry version \(version)") {
            if let service, service.appliedRegistryVersion >= version { return true }
            clock.advance(byMilliseconds: 1_000)
            return false
        }
    }

    /// Shuts the subscriber down; the service commits what it has and returns.
    func stopIngest() async throws {
        await eventsClient?.shutdown()
        eventsClient = nil
        await client?.shutdown()
        try await task?.value
        client = nil
        task = nil
    }

    func publish(_ topic: String, _ payload: String, qos: QoS = .atLeastOnce) async throws {
        try await publisher.publish(MQTTMessage(topic: topic, string: payload, qos: qos))
    }

    /// Publishes without waiting for the PUBACK (a flood).
    func enqueue(_ message: MQTTMessage) async throws {
        try await publisher.enqueueWhenRoom(message)
    }

    func telemetry(_ elevatorID: String, seq: UInt64, speed: Double = 1.0) -> String {
        String(decoding: PayloadEncoder.encode(TelemetrySample(seq: seq, ts: clock.now - 1000 + Int64(seq), speed: speed)), as: UTF8.self)
    }

    func shutdown() async {
        try? await stopIngest()
        await publisher.shutdown()
        await broker.stop()
        try? database.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Polls until `condition` holds (reading the store), or fails after `timeout`.
    ///
    /// `what` is evaluated only when the wait times out, so it can describe the state that was reached instead.
    func eventually(_ what: @autoclosure () -> String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(what())") }
            try await Task.sleep(for: .milliseconds(25))
        }
    }
}

actor EventLog {
    private(set) var events: [ElevatorEvent] = []
    func append(_ new: [ElevatorEvent]) { events += new }
}
