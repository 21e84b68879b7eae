import ArgumentParser
import Foundation
import LiftCore
import LiftMQTT
import LiftSim
import Logging

@main
struct LiftSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liftsim",
        abstract: "Simulated elevator controllers publishing to LiftWatch's MQTT contract.",
        subcommands: [Run.self, ScenarioCommand.self, VerifyCommand.self, CityCommand.self, ProvinceCommand.self, IDs.self, Record.self, Replay.self, ParseBenchmark.self, ReceiveBenchmark.self])

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
        @Option(help: "Seconds between two telemetry samples of an elevator (1 to 60); the fleet's phases spread over it.")
        var telemetryEvery = 1
        @Option(help: "6-digit region code.") var region = "430102"
        @Option(help: "Elevator id prefix.") var prefix = "SIM"
        @Option(help: "Seed.") var seed: UInt64 = 1
        @Option(help: "Simulated start, epoch ms (default: now minus the stream's length).") var start: Int64?
        @Option(help: "Output file.") var output: String

        func validate() throws {
            guard (1...60).contains(telemetryEvery) else { throw ValidationError("--telemetry-every: 1 to 60 seconds, found \(telemetryEvery)") }
        }

        func run() throws {
            let begin = start ?? (EpochClock.system.now() - Int64(seconds) * 1000)
            let count = try RecordedStream.record(
                to: output, elevators: elevators, seconds: seconds, interval: telemetryEvery, region: region, prefix: prefix, seed: seed, start: begin)
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
        @Option(help: "Repeat the stream this many times, each elevator's seq continuing without a gap and ts a second later, so nothing repeats (for long runs).") var loops = 1
        @Option(help: "Start at this loop: 1 continues the fleet after a stream already published once (new seq and ts).")
        var firstLoop = 0

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
            let spans = RecordedStream.spans(messages)
            let started = ContinuousClock.now
            var sent = 0
            for loop in firstLoop..<(firstLoop + loops) {
                for message in messages {
                    var outgoing = message
                    if loop > 0 { outgoing = RecordedStream.shifted(message, by: loop, spans: spans) }
                    let client = clients[abs(outgoing.topic.split(separator: "/")[2].hashValue) % clients.count]
                    // Keep the queue in libmosquitto bounded: wait while too many are in flight.
                    while client.statistics.publishesInFlight > 20_000 { try await Task.sleep(for: .milliseconds(1)) }
                    try await client.enqueueWhenRoom(outgoing)
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
            abstract: "Run a fleet: each elevator its own MQTT connection (all on one thread), telemetry, stats, replays.",
            discussion: """
                Real time by default. With --speed N, N simulated seconds pass each real second, ending at the present \
                (timestamps are never in the future). Stops after --duration simulated seconds, or on SIGINT/SIGTERM; \
                controllers then disconnect cleanly. For scripted faults use `liftsim scenario run`.
                """)

        @OptionGroup var broker: BrokerOptions
        @Option(help: "Number of elevators, 1…100000, each an open file: past the process limit, spread them over processes with different --prefix (with --fleet: at most this many of the file's).") var elevators: Int?
        @Option(help: ArgumentHelp("Simulate the in-service elevators of an elevators CSV (as `liftsim city` writes), each in its own region.", valueName: "file"))
        var fleet: String?
        @Option(help: "6-digit region code.") var region = "430102"
        @Option(help: "Elevator id prefix.") var prefix = "SIM"
        @Option(help: "Floors per building.") var floors = 7
        @Option(help: "Simulated seconds between telemetry samples.") var telemetryEvery = 1
        @Option(help: "Simulated seconds between stats messages.") var statsEvery = 60
        @Option(help: "Seed of the fleet's randomness.") var seed: UInt64 = 1
        @Option(help: "Simulated seconds to run (0: until interrupted).") var duration = 0
        @Option(help: "Simulated seconds per real second (0: as fast as the broker takes it).") var speed = 1.0
        @Option(help: "Messages each controller keeps to answer replay requests.") var replayBuffer = 300

        func validate() throws {
            guard Identifier.isValidRegion(region) else { throw ValidationError("--region must be 6 digits") }
            if let elevators, !(1...100_000).contains(elevators) { throw ValidationError("--elevators must be 1…100000") }
            guard floors >= 2 else { throw ValidationError("--floors must be at least 2") }
            guard telemetryEvery >= 1, statsEvery >= 1 else { throw ValidationError("intervals must be at least 1 second") }
            guard duration >= 0, speed >= 0 else { throw ValidationError("--duration and --speed cannot be negative") }
            guard duration > 0 || speed <= 1 else { throw ValidationError("--speed above 1 needs a --duration (simulated time may not pass the present)") }
            guard replayBuffer >= 1 else { throw ValidationError("--replay-buffer must be at least 1") }
        }

        func run() async throws {
            LiftSimCommand.bootstrapQuietLogging()
            let members: [(id: String, region: String)]
            if let fleet {
                members = Array(try LiftSimCommand.inServiceElevators(fleet).prefix(elevators ?? 100_000))
                guard !members.isEmpty else { throw ValidationError("\(fleet) has no in-service elevators") }
            } else {
                members = LiftSimCommand.elevatorIDs(prefix: prefix, count: elevators ?? 5).map { ($0, region) }
            }
            let scenario = Scenario(
                name: "fleet", fleet: .explicit(members, floors: floors),
                duration: .seconds(duration > 0 ? Int64(duration) : 100 * 365 * 86_400), telemetryEvery: .seconds(Int64(telemetryEvery)),
                statsEvery: .seconds(Int64(statsEvery)), speed: speed)
            let regions = Set(members.map(\.region)).sorted()
            print("liftsim: \(members.count) elevators of \(regions.count == 1 ? "region \(regions[0])" : "\(regions.count) regions") publishing to \(broker.host):\(broker.port)")
            let summary = try await LiftSimCommand.runFleet(scenario, seed: seed, start: duration > 0 ? nil : EpochClock.system.now(), broker: broker, speed: speed, replayBuffer: replayBuffer)
            print(LiftSimCommand.describe(summary))
        }
    }

    /// Runs a scenario's fleet on its own thread until it ends or SIGINT/SIGTERM arrives.
    static func runFleet(
        _ scenario: Scenario, seed: UInt64, start: Int64?, broker: BrokerOptions, speed: Double, replayBuffer: Int, linger: Duration = .seconds(3)
    ) async throws -> FleetRunner.Summary {
        let stop = StopFlag()
        let signals = [SIGINT, SIGTERM].map { signal in
            let source = DispatchSource.makeSignalSource(signal: signal)
            Foundation.signal(signal, SIG_IGN)
            source.setEventHandler { stop.set() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        let begin = start ?? scenario.defaultStart(now: EpochClock.system.now())
        var configured = FleetRunner(host: broker.host, port: broker.port, speed: speed, linger: linger, username: broker.username, password: broker.password)
        configured.alternateBrokers = try broker.alternateBrokers()
        let runner = configured
        return try await withCheckedThrowingContinuation { continuation in
            // The fleet's event loop owns this thread: every socket, every controller, no locks.
            let thread = Thread {
                var engine = FleetEngine(scenario: scenario, seed: seed, start: begin, replayBuffer: replayBuffer)
                do {
                    let summary = try runner.run(&engine, shouldStop: { stop.isSet }) { line in
                        FileHandle.standardError.write(Data((line + "\n").utf8))
                    }
                    continuation.resume(returning: summary)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "liftsim fleet"
            thread.start()
        }
    }

    static func describe(_ s: FleetRunner.Summary) -> String {
        String(
            format: "liftsim: %lld simulated s in %.1f real s; %d messages published (%d acknowledged), %d replay requests answered with %d messages; %d connections made, %d lost; CPU %.1f s (%.0f %% of one core), peak RSS %.0f MiB",
            s.simulatedSeconds, s.realSeconds, s.published, s.acknowledged, s.replayRequests, s.replayed, s.connects, s.lost, s.cpuSeconds,
            s.realSeconds > 0 ? s.cpuSeconds / s.realSeconds * 100 : 0, s.peakRSSMiB)
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
    @Option(help: "Username for the broker (a production broker has one per controller; see config/mosquitto-production.conf).") var username: String?
    @Option(help: "Password for the broker.") var password: String?
    @Option(name: .customLong("alternate-broker"), help: ArgumentHelp(
        "Another node of a clustered broker (repeatable): controllers start spread over all nodes and move to the next when one goes.",
        valueName: "host:port")) var alternates: [String] = []

    func alternateBrokers() throws -> [BrokerAddress] {
        try alternates.map { text in
            guard let address = BrokerAddress(parsing: text) else { throw ValidationError("--alternate-broker: expected host:port, found \(text)") }
            return address
        }
    }
}
