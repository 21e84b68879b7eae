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
        subcommands: [Run.self, IDs.self])

    /// The elevator ids of a fleet, as `run` names them.
    static func elevatorIDs(prefix: String, count: Int) -> [String] {
        (1...max(count, 1)).map { "\(prefix)-\(String(format: "%04d", $0))" }
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

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a fleet: each elevator its own MQTT connection, telemetry every second, stats every minute.",
            discussion: "Stops after --duration seconds, or on SIGINT/SIGTERM; each controller disconnects cleanly.")

        @Option(help: "Broker host.") var host = "127.0.0.1"
        @Option(help: "Broker port.") var port = 18830
        @Option(help: "Number of elevators.") var elevators = 5
        @Option(help: "6-digit region code.") var region = "430102"
        @Option(help: "Elevator id prefix.") var prefix = "SIM"
        @Option(help: "Floors per building.") var floors = 7
        @Option(help: "Seconds between telemetry samples.") var telemetryEvery = 1
        @Option(help: "Seconds between stats messages.") var statsEvery = 60
        @Option(help: "Seed of the fleet's randomness.") var seed: UInt64 = 1
        @Option(help: "Stop after this many seconds (0: run until interrupted).") var duration = 0

        func validate() throws {
            guard Identifier.isValidRegion(region) else { throw ValidationError("--region must be 6 digits") }
            guard (1...10_000).contains(elevators) else { throw ValidationError("--elevators must be 1…10000") }
            guard floors >= 2 else { throw ValidationError("--floors must be at least 2") }
            guard telemetryEvery >= 1, statsEvery >= 1 else { throw ValidationError("intervals must be at least 1 second") }
        }

        func run() async throws {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .warning
                return handler
            }
            let logger = Logger(label: "liftsim")
            let controllers = try LiftSimCommand.elevatorIDs(prefix: prefix, count: elevators).enumerated().map { index, id in
                try SimulatedController(
                    elevatorID: id, region: region, floors: floors, seed: seed &+ UInt64(index), host: host, port: port, logger: logger)
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
            print("liftsim: \(elevators) elevators of region \(region) publishing to \(host):\(port)")
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
