import ArgumentParser
import Foundation
import LiftCore
import LiftSim

/// `liftsim scenario …`: list, inspect and run the scenario files of `simulators/scenarios/`.
struct ScenarioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Scenario files: scripted faults, outages and broken messages, with what LiftWatch should do.",
        subcommands: [List.self, Messages.self, Run.self, Registry.self])

    /// A scenario named on the command line: a file path, or a name in `simulators/scenarios/`.
    static func load(_ name: String, directory: String) throws -> Scenario {
        let path = FileManager.default.fileExists(atPath: name) ? name : "\(directory)/\(name).yaml"
        do { return try Scenario.load(path) } catch let error as ScenarioError { throw ValidationError(error.description) }
    }

    struct Location: ParsableArguments {
        @Argument(help: ArgumentHelp("Scenario file, or its name in the scenarios directory.", valueName: "scenario")) var scenario: String
        @Option(help: "Directory of the scenario files.") var directory = "simulators/scenarios"
        @Option(help: "Elevator-id prefix instead of the file's (each run against one LiftWatch needs fresh elevators).") var prefix: String?

        func load() throws -> Scenario {
            let scenario = try ScenarioCommand.load(self.scenario, directory: directory).withPrefix(prefix)
            if let problem = scenario.problem { throw ValidationError(problem) }
            return scenario
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the scenarios with what each does.")
        @Option(help: "Directory of the scenario files.") var directory = "simulators/scenarios"

        func run() throws {
            let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()
            for file in files {
                do {
                    let scenario = try Scenario.load("\(directory)/\(file)")
                    print("\(scenario.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(scenario.fleet.elevators) elevators, \(scenario.duration) simulated at ×\(scenario.speed == 0 ? "max" : String(format: "%g", scenario.speed)): \(scenario.summary)")
                } catch {
                    print("\(file): \(error)")
                }
            }
        }
    }

    struct Messages: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print what a scenario's fleet publishes, without a broker: one line per message or connection change.",
            discussion: "Deterministic: the same scenario, --seed and --start print the same lines. The last line is a digest of them all.")
        @OptionGroup var location: Location
        @Option(help: "Seed.") var seed: UInt64 = 1
        @Option(help: "Simulated start, epoch ms.") var start: Int64 = 1_764_000_000_000
        @Flag(help: "Print only the digest.") var digestOnly = false

        func run() throws {
            var engine = FleetEngine(scenario: try location.load(), seed: seed, start: start)
            var digest = FleetDigest()
            func emit(_ outputs: [FleetOutput]) {
                for output in outputs {
                    digest.add(output, at: engine.second)
                    if !digestOnly { print(FleetDigest.line(output, at: engine.second)) }
                }
            }
            emit(engine.begin())
            while !engine.isFinished { emit(engine.advance(to: engine.second + 1)) }
            print("digest \(digest.hex) (\(digest.count) outputs)")
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a scenario against a broker, then optionally verify LiftWatch through its API.",
            discussion: """
                With --api and --token (an admin token from `liftwatch tokens create --role admin`), registers the \\
                scenario's elevators first (PUT /api/v1/elevators/{id}) and checks the expectations afterwards, exiting 1 \\
                on a mismatch.
                """)
        @OptionGroup var location: Location
        @OptionGroup var broker: BrokerOptions
        @Option(help: "Seed.") var seed: UInt64 = 1
        @Option(help: "Simulated seconds per real second, instead of the file's (0: as fast as possible).") var speed: Double?
        @Option(help: "LiftWatch's base URL, to register the elevators and verify afterwards.") var api: String?
        @Option(help: "Admin API token (with --api).") var token: String?
        @Option(help: "Seconds to keep checking after the run until everything matches.") var within = 30
        @Option(help: "Simulated start, epoch ms (default: so that the run ends at the present). With the same --seed, `scenario messages --start` prints what this run publishes.")
        var start: Int64?
        @Option(help: "Seconds to keep answering replay requests after the scenario's end.") var linger = 3

        func run() async throws {
            LiftSimCommand.bootstrapQuietLogging()
            var scenario = try location.load()
            if let speed { scenario.speed = speed }
            print("liftsim: scenario \(scenario.name): \(scenario.summary)")
            if let note = scenario.expect.note { print("note: \(note)") }
            var verifier: ScenarioVerifier?
            if let api {
                guard let token else { throw ValidationError("--api needs --token") }
                verifier = ScenarioVerifier(baseURL: api, token: token)
                try await verifier!.register(scenario, commissionedOn: "2024-01-01")
                print("liftsim: registered \(scenario.fleet.elevators) elevators with \(api)")
                try await verifier!.perform(scenario, beforeFleet: true)
            }
            let summary = try await LiftSimCommand.runFleet(
                scenario, seed: seed, start: start, broker: broker, speed: scenario.speed, replayBuffer: 2_000, linger: .seconds(linger))
            print(LiftSimCommand.describe(summary))
            if let verifier {
                try await verifier.perform(scenario)
                try await VerifyCommand.report(verifier, scenario, within: within)
            } else if !scenario.field.isEmpty {
                print("liftsim: the scenario's field steps need --api and --token; not run")
            }
        }
    }

    struct Registry: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the scenario's elevators as an elevators CSV, for `liftwatch import elevators`.")
        @OptionGroup var location: Location
        @Option(help: "Commissioning date of every elevator.") var commissionedOn = "2024-01-01"

        func run() throws {
            let scenario = try location.load()
            print("elevator_id,unit_id,region,contractor_id,commissioned_on,stage,on_demand,platform")
            for index in 1...scenario.fleet.elevators {
                print("\(scenario.elevatorID(index)),,\(scenario.region(index)),\(scenario.fleet.contractor),\(commissionedOn),in_service,false,\(scenario.fleet.platform)")
            }
        }
    }
}

/// `liftsim verify`: checks a running LiftWatch against a scenario's expectations.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a running LiftWatch against a scenario's expectations through its API; exit 1 on a mismatch.",
        discussion: "Prints each expectation with ✓ or ✗ and what was found. Keeps checking for --within seconds while something does not match.")
    @OptionGroup var location: ScenarioCommand.Location
    @Option(help: "LiftWatch's base URL.") var api = "http://127.0.0.1:8080"
    @Option(help: "API token (admin, or a regulator of the scenario's region).") var token: String
    @Option(help: "Seconds to keep checking until everything matches.") var within = 30

    func run() async throws {
        try await Self.report(ScenarioVerifier(baseURL: api, token: token), try location.load(), within: within)
    }

    static func report(_ verifier: ScenarioVerifier, _ scenario: Scenario, within: Int) async throws {
        if let note = scenario.expect.note { print("note: \(note)") }
        let checks = try await verifier.verify(scenario, timeout: .seconds(within))
        for check in checks { print(check) }
        let failed = checks.filter { !$0.matched }.count
        print("\(scenario.name): \(checks.count - failed) of \(checks.count) expectations matched")
        if failed > 0 { throw ExitCode(1) }
    }
}
