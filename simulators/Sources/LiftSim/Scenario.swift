import Foundation
import LiftCore
import Yams

/// A scenario file of `simulators/scenarios/`: a fleet, what happens to it and when, and what LiftWatch should
/// do about it. The format is documented in `docs/simulators.md`.
public struct Scenario: Sendable, Decodable {
    /// The fleet the scenario runs.
    public struct Fleet: Sendable, Decodable {
        public var elevators: Int
        /// Elevator ids are `PREFIX-0001`, `PREFIX-0002`, …
        public var prefix: String
        /// Elevator `i` (1-based) is in `regions[(i - 1) % regions.count]`.
        public var regions: [String]
        public var floors: Int
        /// The maintenance contractor of every elevator (for the registry CSV).
        public var contractor: String
        /// Fault-code numbering the controllers use (`config/fault-codes/`).
        public var platform: String
        /// Explicit elevators (ids and regions, e.g. from a city's elevators CSV) instead of `prefix` and
        /// `regions`; not read from scenario files.
        public var members: [(id: String, region: String)]?

        enum CodingKeys: String, CodingKey { case elevators, prefix, regions, region, floors, contractor, platform }

        public init(elevators: Int, prefix: String, regions: [String], floors: Int = 7, contractor: String = "CT-SIM", platform: String = "default") {
            self.elevators = elevators
            self.prefix = prefix
            self.regions = regions
            self.floors = floors
            self.contractor = contractor
            self.platform = platform
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            elevators = try c.decodeIfPresent(Int.self, forKey: .elevators) ?? 1
            prefix = try c.decodeIfPresent(String.self, forKey: .prefix) ?? "SIM"
            if let regions = try c.decodeIfPresent([String].self, forKey: .regions) {
                self.regions = regions
            } else {
                regions = [try c.decodeIfPresent(String.self, forKey: .region) ?? "430102"]
            }
            floors = try c.decodeIfPresent(Int.self, forKey: .floors) ?? 7
            contractor = try c.decodeIfPresent(String.self, forKey: .contractor) ?? "CT-SIM"
            platform = try c.decodeIfPresent(String.self, forKey: .platform) ?? "default"
        }

        /// A fleet of the given elevators, each in its own region.
        public static func explicit(_ members: [(id: String, region: String)], floors: Int = 7) -> Fleet {
            var fleet = Fleet(elevators: members.count, prefix: "SIM", regions: Array(Set(members.map(\.region))).sorted(), floors: floors)
            fleet.members = members
            return fleet
        }
    }

    public var name: String
    /// One or two sentences: what happens.
    public var summary: String
    public var fleet: Fleet
    /// Simulated time the scenario covers. Timestamps run from `now - duration` to now, so nothing is in
    /// the future whatever the speed.
    public var duration: SimDuration
    public var telemetryEvery: SimDuration
    public var statsEvery: SimDuration
    /// Simulated seconds per real second; 0 runs as fast as the broker takes it.
    public var speed: Double
    public var steps: [ScenarioStep]
    /// What people do through LiftWatch's API once the fleet has run (`scenario run --api`).
    public var field: [FieldStep] = []
    public var expect: ScenarioExpectations

    enum CodingKeys: String, CodingKey {
        case name, summary, fleet, duration, telemetryEvery = "telemetry_every", statsEvery = "stats_every", speed, steps, field, expect
    }

    public init(
        name: String, summary: String = "", fleet: Fleet, duration: SimDuration, telemetryEvery: SimDuration = .seconds(10),
        statsEvery: SimDuration = .seconds(300), speed: Double = 1, steps: [ScenarioStep] = [], expect: ScenarioExpectations = .init()
    ) {
        self.name = name
        self.summary = summary
        self.fleet = fleet
        self.duration = duration
        self.telemetryEvery = telemetryEvery
        self.statsEvery = statsEvery
        self.speed = speed
        self.steps = steps
        self.expect = expect
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        summary = try c.decodeIfPresent(String.self, forKey: .summary) ?? ""
        fleet = try c.decode(Fleet.self, forKey: .fleet)
        duration = try c.decode(SimDuration.self, forKey: .duration)
        telemetryEvery = try c.decodeIfPresent(SimDuration.self, forKey: .telemetryEvery) ?? .seconds(10)
        statsEvery = try c.decodeIfPresent(SimDuration.self, forKey: .statsEvery) ?? .seconds(300)
        speed = try c.decodeIfPresent(Double.self, forKey: .speed) ?? 1
        steps = try c.decodeIfPresent([ScenarioStep].self, forKey: .steps) ?? []
        field = try c.decodeIfPresent([FieldStep].self, forKey: .field) ?? []
        expect = try c.decodeIfPresent(ScenarioExpectations.self, forKey: .expect) ?? .init()
    }

    /// Reads and checks a scenario file.
    /// - Throws: `ScenarioError` naming the file and what is wrong with it.
    public static func load(_ path: String) throws -> Scenario {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ScenarioError(path: path, message: "cannot read it: \(error.localizedDescription)")
        }
        let scenario: Scenario
        do { scenario = try YAMLDecoder().decode(Scenario.self, from: text) } catch let error as DecodingError {
            throw ScenarioError(path: path, message: Self.describe(error))
        } catch {
            throw ScenarioError(path: path, message: "\(error)")
        }
        if let problem = scenario.problem { throw ScenarioError(path: path, message: problem) }
        return scenario
    }

    /// What is wrong with the scenario, if anything.
    public var problem: String? {
        if !(1...100_000).contains(fleet.elevators) { return "fleet.elevators must be 1…100000" }
        if fleet.regions.isEmpty || !fleet.regions.allSatisfy(Identifier.isValidRegion) { return "fleet regions must be 6-digit codes" }
        if !Identifier.isValidID(fleet.prefix + "-0001") { return "fleet.prefix \"\(fleet.prefix)\" does not make valid elevator ids" }
        if fleet.floors < 2 { return "fleet.floors must be at least 2" }
        if duration.seconds < 1 { return "duration must be at least 1s" }
        if telemetryEvery.seconds < 1 || statsEvery.seconds < 1 { return "telemetry_every and stats_every must be at least 1s" }
        if speed < 0 { return "speed must be 0 (as fast as possible) or more" }
        for (number, step) in steps.enumerated() {
            if step.at.milliseconds < 0 || step.at > duration { return "step \(number + 1): at \(step.at) is outside 0…\(duration)" }
            for index in step.target.explicitIndices where !(1...fleet.elevators).contains(index) {
                return "step \(number + 1): elevator \(index) is not in the fleet of \(fleet.elevators)"
            }
            if let region = step.target.region, !fleet.regions.contains(region) { return "step \(number + 1): region \(region) has no elevators in the fleet" }
        }
        for (number, step) in field.enumerated() {
            if let problem = step.problem(fleet: fleet.elevators) { return "field step \(number + 1): \(problem)" }
        }
        return nil
    }

    /// The elevator id of fleet member `index` (1-based).
    public func elevatorID(_ index: Int) -> String {
        if let members = fleet.members { return members[index - 1].id }
        return "\(fleet.prefix)-\(String(format: "%04d", index))"
    }
    /// The region of fleet member `index` (1-based).
    public func region(_ index: Int) -> String {
        if let members = fleet.members { return members[index - 1].region }
        return fleet.regions[(index - 1) % fleet.regions.count]
    }

    /// Where simulated time starts so that, at `speed`, the scenario ends no later than the real present:
    /// no timestamp is ever in the future.
    public func defaultStart(now: Int64) -> Int64 {
        let length = duration.milliseconds
        guard speed > 0 else { return now - length }
        guard speed > 1 else { return now }
        return now - length + Int64(Double(length) / speed)
    }

    /// The same scenario with another elevator-id prefix: each run against one LiftWatch needs fresh
    /// elevators, since (`elevator_id`, `seq`) pairs already stored are duplicates.
    public func withPrefix(_ prefix: String?) -> Scenario {
        guard let prefix else { return self }
        var copy = self
        copy.fleet.prefix = prefix
        return copy
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0 + 1)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context)).\(key.stringValue) is missing".trimmingCharacters(in: CharacterSet(charactersIn: "."))
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// A scenario file that cannot be used, and why.
public struct ScenarioError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}
