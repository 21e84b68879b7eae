import ArgumentParser
import Foundation
import LiftCore
import LiftMQTT
import Logging

@main
struct LiftSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liftsim",
        abstract: "Simulated elevator controllers publishing to LiftWatch's MQTT contract.",
        subcommands: [Run.self, CityCommand.self, IDs.self, Record.self, Replay.self, ParseBenchmark.self, ReceiveBenchmark.self])

    /// Logs warnings and worse to standard error: a fleet's connection chatter would drown the output.
    static func bootstrapQuietLogging() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
    }

    /// The elevator ids of a fleet, as `run` names them.
    static func elevatorIDs(prefix: String, count: Int) -> [String] {
        (1...max(count, 1)).map { "\(prefix)-\(String(format: "%04d", $0))" }
    }

    /// The in-service elevators of an elevators CSV (columns of spec section 10), with their regions.
    static func inServiceElevators(_ path: String) throws -> [(id: String, region: String)] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw ValidationError("cannot read \(path): \(error.localizedDescription)") }
        var lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first, let id = header.firstIndex(of: "elevator_id"), let region = header.firstIndex(of: "region"),
            let stage = header.firstIndex(of: "stage")
        else { throw ValidationError("\(path) lacks the elevator_id, region and stage columns") }
        lines.removeFirst()
        return lines.filter { $0.count == header.count && $0[stage] == "in_service" }.map { ($0[id], $0[region]) }
    }

    struct IDs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ids", abstract: "Print the elevator ids of a fleet, one per line (to register them in LiftWatch).")

        @Option(help: "Number of elevators.") var elevators = 5
        @Option(help: "Elevator id prefix.") var prefix = "SIM"

        func run() {
            for id in LiftSimCommand.elevatorIDs(prefix: prefix, count: elevators) { print(id) }
        }
    }

    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a fleet's stream to a file: telemetry every second, stats every minute, rare faults.",
            discussion: "The benchmark harness replays it; the same options give the same bytes.")

        @Option(help: "Number of elevators.") var elevators = 1_000
        @Option(help: "Simulated seconds.") var seconds = 1_000
        @Option(help: "6-digit region code.") var region = "430102"
        @Option(help: "Elevator id prefix.") var prefix = "SIM"
        @Option(help: "Seed.") var seed: UInt64 = 1
        @Option(help: "Simulated start, epoch ms (default: now minus the stream's length).") var start: Int64?
        @Option(help: "Output file.") var output: String

        func run() throws {
            let begin = start ?? (EpochClock.system.now() - Int64(seconds) * 1000)
            let count = try RecordedStream.record(to: output, elevators: elevators, seconds: seconds, region: region, prefix: prefix, seed: seed, start: begin)
            print("recorded \(count) messages of \(elevators) elevators to \(output)")
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish a recorded stream as fast as the broker takes it (QoS 1), over several connections.",
            discussion: "Prints the publish rate. With --rate, paces the stream to that many messages a second.")

        @OptionGroup var broker: BrokerOptions
        @Option(help: "Recorded stream file.") var input: String
        @Option(help: "Publishing connections (messages of one elevator always use the same one).") var connections = 4
        @Option(help: "Messages per second (0: as fast as possible).") var rate = 0
        @Option(help: "Repeat the stream this many times, shifting seq and ts so nothing repeats (for long runs).") var loops = 1

        func run() async throws {
            LiftSimCommand.bootstrapQuietLogging()
            let messages = try RecordedStream.read(input)
            let clients = try (0..<connections).map { index in
                try MQTTClient(configuration: .init(host: broker.host, port: broker.port, clientID: "liftsim-replay-\(index)-\(UUID().uuidString.prefix(4))", keepAlive: .seconds(60)))
            }
            for client in clients {
                client.start()
                try await client.waitUntilConnected()
            }
            let started = ContinuousClock.now
            var sent = 0
            for loop in 0..<loops {
                for message in messages {
                    var outgoing = message
                    if loop > 0 { outgoing = RecordedStream.shifted(message, by: loop) }
                    let client = clients[abs(outgoing.topic.split(separator: "/")[2].hashValue) % clients.count]
                    // Keep the queue in libmosquitto bounded: wait while too many are in flight.
                    while client.statistics.publishesInFlight > 20_000 { try await Task.sleep(for: .milliseconds(1)) }
                    try await publishWhenRoom(outgoing, client)
                    sent += 1
                    if rate > 0, sent % 100 == 0 {
                        let due = started + .milliseconds(sent * 1000 / rate)
                        if due > .now { try await Task.sleep(until: due) }
                    }
                }
            }
            for client in clients { await client.shutdown(flushTimeout: .seconds(600)) }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("replayed \(sent) messages in \(String(format: "%.2f", seconds)) s (\(Int(Double(sent) / seconds)) msg/s)")
        }

        private func publishWhenRoom(_ message: MQTTMessage, _ client: MQTTClient) async throws {
            while true {
                do {
                    try client.enqueue(message)
                    return
                } catch where error.code == 14 {  // MOSQ_ERR_ERRNO (EAGAIN): queue full
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
        }
    }

    struct ParseBenchmark: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "benchmark-parse",
            abstract: "Time LiftWatch's payload decoding over a recorded stream, beside Foundation's JSONSerialization.")

        @Option(help: "Recorded stream file.") var input: String

        func run() throws {
            let messages = try RecordedStream.read(input)
            let decoder = PayloadDecoder()
            let now = EpochClock.system.now() + 86_400_000
            func time(_ body: () -> Int) -> (Double, Int) {
                let start = ContinuousClock.now
                let accepted = body()
                let elapsed = ContinuousClock.now - start
                return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, accepted)
            }
            let (ours, accepted) = time {
                var accepted = 0
                for message in messages {
                    guard let topic = LiftTopic(message.topic) else { continue }
                    if (try? decoder.decode(kind: topic.kind, payload: message.payload, now: now)) != nil { accepted += 1 }
                }
                return accepted
            }
            let (foundation, parsed) = time {
                var parsed = 0
                for message in messages where (try? JSONSerialization.jsonObject(with: Data(message.payload))) != nil { parsed += 1 }
                return parsed
            }
            print(String(format: "PayloadDecoder (parse + validate): %.0f msg/s (%.2f µs/msg), %d accepted", Double(messages.count) / ours, ours * 1e6 / Double(messages.count), accepted))
            print(String(format: "JSONSerialization (parse only):    %.0f msg/s (%.2f µs/msg), %d parsed", Double(messages.count) / foundation, foundation * 1e6 / Double(messages.count), parsed))
        }
    }

    struct ReceiveBenchmark: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "benchmark-receive",
            abstract: "Take messages with LiftMQTT alone (no decoding, no storage) and time it: the client's own limit.")

        @OptionGroup var broker: BrokerOptions
        @Option(help: "Client id (persistent session).") var clientID = "bench-liftmqtt"
        @Option(help: "Messages to take before stopping; 0 only creates the session.") var count = 0

        func run() async throws {
            let client = try MQTTClient(configuration: .init(
                host: broker.host, port: broker.port, clientID: clientID, cleanSession: false, subscriptions: [.init("lift/#", qos: .atLeastOnce)]))
            client.start()
            try await client.waitUntilConnected()
            if count == 0 {
                try await Task.sleep(for: .milliseconds(300))
                await client.shutdown()
                return
            }
            let start = ContinuousClock.now
            var taken = 0
            while taken < count, let batch = await client.messages.nextBatch(maximum: 1_000) { taken += batch.count }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("took \(taken) messages in \(String(format: "%.2f", seconds)) s (\(Int(Double(taken) / seconds)) msg/s)")
            await client.shutdown()
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a fleet: each elevator its own MQTT connection, telemetry every second, stats every minute.",
            discussion: "Stops after --duration seconds, or on SIGINT/SIGTERM; each controller disconnects cleanly.")

        @OptionGroup var broker: BrokerOptions
        @Option(help: "Number of elevators (with --fleet: at most this many of the file's).") var elevators: Int?
        @Option(help: ArgumentHelp("Simulate the in-service elevators of an elevators CSV (as `liftsim city` writes), each in its own region.", valueName: "file"))
        var fleet: String?
        @Option(help: "6-digit region code.") var region = "430102"
        @Option(help: "Elevator id prefix.") var prefix = "SIM"
        @Option(help: "Floors per building.") var floors = 7
        @Option(help: "Seconds between telemetry samples.") var telemetryEvery = 1
        @Option(help: "Seconds between stats messages.") var statsEvery = 60
        @Option(help: "Seed of the fleet's randomness.") var seed: UInt64 = 1
        @Option(help: "Stop after this many seconds (0: run until interrupted).") var duration = 0

        func validate() throws {
            guard Identifier.isValidRegion(region) else { throw ValidationError("--region must be 6 digits") }
            if let elevators, !(1...10_000).contains(elevators) { throw ValidationError("--elevators must be 1…10000") }
            guard floors >= 2 else { throw ValidationError("--floors must be at least 2") }
            guard telemetryEvery >= 1, statsEvery >= 1 else { throw ValidationError("intervals must be at least 1 second") }
        }

        func run() async throws {
            LiftSimCommand.bootstrapQuietLogging()
            let logger = Logger(label: "liftsim")
            let members: [(id: String, region: String)]
            if let fleet {
                members = Array(try LiftSimCommand.inServiceElevators(fleet).prefix(elevators ?? 10_000))
            } else {
                members = LiftSimCommand.elevatorIDs(prefix: prefix, count: elevators ?? 5).map { ($0, region) }
            }
            let controllers = try members.enumerated().map { index, member in
                try SimulatedController(
                    elevatorID: member.id, region: member.region, floors: floors, seed: seed &+ UInt64(index), host: broker.host, port: broker.port,
                    logger: logger)
            }
            for controller in controllers { controller.client.start() }
            let stop = StopFlag()
            let signals = [SIGINT, SIGTERM].map { signal in
                let source = DispatchSource.makeSignalSource(signal: signal)
                Foundation.signal(signal, SIG_IGN)
                source.setEventHandler { stop.set() }
                source.resume()
                return source
            }
            let start = Date()
            for controller in controllers { controller.announceOnline(at: EpochClock.system.now()) }
            let regions = Set(members.map(\.region)).sorted().joined(separator: ", ")
            print("liftsim: \(members.count) elevators of region \(regions) publishing to \(broker.host):\(broker.port)")
            await withTaskGroup(of: Void.self) { group in
                for controller in controllers { group.addTask { await controller.serveReplays() } }
                group.addTask {
                    var second = 0
                    while !stop.isSet && (duration == 0 || second < duration) {
                        second += 1
                        let now = EpochClock.system.now()
                        let hour = Calendar(identifier: .gregorian).component(.hour, from: Date())
                        for controller in controllers {
                            controller.tick(second: second, ts: now, hour: hour, telemetryEvery: telemetryEvery, statsEvery: statsEvery)
                        }
                        if second % 10 == 0 {
                            let total = controllers.reduce(0) { $0 + $1.published }
                            FileHandle.standardError.write(Data("liftsim: \(second) s, \(total) messages published\n".utf8))
                        }
                        let next = start.addingTimeInterval(Double(second))
                        try? await Task.sleep(for: .milliseconds(max(0, Int(next.timeIntervalSinceNow * 1000))))
                    }
                    for controller in controllers { controller.announceOffline(at: EpochClock.system.now()) }
                    for controller in controllers { await controller.client.shutdown() }
                }
            }
            _ = signals
            let total = controllers.reduce(0) { $0 + $1.published }
            print("liftsim: stopped after \(Int(Date().timeIntervalSince(start))) s, \(total) messages published")
        }
    }
}

final class StopFlag: @unchecked Sendable {
    // @unchecked: `value` is guarded by `lock`.
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// Where the simulated controllers' broker is.
struct BrokerOptions: ParsableArguments {
    @Option(help: "Broker host.") var host = "127.0.0.1"
    @Option(help: "Broker port (LiftWatch's embedded mosquitto listens on 18830).") var port = 18830
}
