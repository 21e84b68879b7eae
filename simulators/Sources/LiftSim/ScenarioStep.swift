import LiftCore

/// One thing that happens in a scenario, at a simulated time, to some of its elevators.
public struct ScenarioStep: Sendable, Decodable {
    /// Which elevators a step applies to: `elevator: 2`, `elevators: [1, 3]`, `region: "430103"`, or
    /// `all: true`. Indices are 1-based positions in the fleet.
    public struct Target: Sendable, Hashable {
        public var elevators: [Int] = []
        public var region: String?
        public var all = false

        var explicitIndices: [Int] { elevators }

        /// The fleet positions (1-based) the target names.
        func indices(in scenario: Scenario) -> [Int] {
            if all { return Array(1...scenario.fleet.elevators) }
            if let region { return (1...scenario.fleet.elevators).filter { scenario.region($0) == region } }
            return elevators
        }
    }

    /// Kinds of broken message a controller can send (each should end in LiftWatch's dead letters).
    public enum Malformed: String, Sendable, Hashable, Decodable, CaseIterable {
        /// Not JSON at all (`invalid_json`).
        case notJSON = "not_json"
        /// A telemetry sample without `seq` (`missing_field`).
        case missingSeq = "missing_seq"
        /// A string where a number belongs (`wrong_type`).
        case wrongType = "wrong_type"
        /// A negative speed (`out_of_range`).
        case outOfRange = "out_of_range"
        /// A timestamp two days ahead (`out_of_range`).
        case futureTimestamp = "future_ts"
        /// A payload over 64 KiB (`too_large`).
        case tooLarge = "too_large"
        /// A topic outside the scheme: an elevator id with a character ids may not have (`bad_topic`).
        case badTopic = "bad_topic"
        /// A region code that is not 6 digits (`bad_region`).
        case badRegion = "bad_region"
        /// A message of an elevator LiftWatch does not know (`unregistered_elevator`).
        case unregistered
    }

    /// What happens.
    public enum Action: Sendable, Hashable {
        /// A fault raised: a key of spec section 4 or a number of the fleet's platform. An entrapment also
        /// stops the car; `occupied` decides whether a power failure is a rescue.
        case fault(code: String, floor: Int?, occupied: Bool?, detail: String?)
        /// A fault cleared (an entrapment's car is free again).
        case clear(code: String)
        /// The controller changes mode (`maintenance`, `inspection`, `normal`, …).
        case mode(ServiceMode)
        /// An alarm event (`alarm_button`, `alarm_test`).
        case alarm(String)
        /// A maintenance visit: `visit_start` and, after `length`, `visit_end`, by `technician`.
        case visit(length: SimDuration, technician: String)
        /// Slow wear starting now.
        case wear(Wear)
        /// The network goes away for `length` without a DISCONNECT (the will fires); messages made meanwhile
        /// are kept for replay.
        case networkCut(length: SimDuration)
        /// `count` network cuts of `down`, each followed by `up` of connection.
        case flaps(count: Int, down: SimDuration, up: SimDuration)
        /// Mains lost for `length`: a `power_failure` fault from the battery-backed terminal, then silence;
        /// on return, online again and the fault cleared.
        case powerCut(length: SimDuration, occupied: Bool)
        /// The last `count` messages published again, unchanged.
        case duplicate(count: Int)
        /// The next `count` messages published in reverse order.
        case reorder(count: Int)
        /// The controller's clock jumps by this much (timestamps from now on are off by it).
        case skew(SimDuration)
        /// Broken messages, one of each kind listed.
        case malformed([Malformed])
        /// A fault event with a code no platform map knows (`unknown_fault_code`).
        case unknownFault(code: String)
        /// The IoT terminal is replaced: offline for `pause`, then a new client id whose `seq` starts at 1.
        case replaceTerminal(pause: SimDuration)
    }

    public var at: SimDuration
    public var target: Target
    public var action: Action

    public init(at: SimDuration, target: Target, action: Action) {
        self.at = at
        self.target = target
        self.action = action
    }

    enum CodingKeys: String, CodingKey {
        case at, elevator, elevators, region, all
        case fault, floor, occupied, detail, clear, mode, alarm, visit, technician, length, wear, cut = "network_cut", flaps, down, up, count
        case powerCut = "power_cut", duplicate, reorder, skew, malformed, unknownFault = "unknown_fault", replaceTerminal = "replace_terminal", pause
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        at = try c.decode(SimDuration.self, forKey: .at)
        var target = Target()
        if let one = try c.decodeIfPresent(Int.self, forKey: .elevator) { target.elevators = [one] }
        if let many = try c.decodeIfPresent([Int].self, forKey: .elevators) { target.elevators += many }
        target.region = try c.decodeIfPresent(String.self, forKey: .region)
        target.all = try c.decodeIfPresent(Bool.self, forKey: .all) ?? false
        self.target = target
        func length(_ key: CodingKeys, default value: SimDuration) throws -> SimDuration {
            try c.decodeIfPresent(SimDuration.self, forKey: key) ?? value
        }
        let actions: [(CodingKeys, () throws -> Action)] = [
            (.fault, { .fault(code: try Self.code(c, .fault), floor: try c.decodeIfPresent(Int.self, forKey: .floor),
                              occupied: try c.decodeIfPresent(Bool.self, forKey: .occupied), detail: try c.decodeIfPresent(String.self, forKey: .detail)) }),
            (.clear, { .clear(code: try Self.code(c, .clear)) }),
            (.mode, { .mode(try c.decode(ServiceMode.self, forKey: .mode)) }),
            (.alarm, { .alarm(try c.decode(String.self, forKey: .alarm)) }),
            (.visit, { .visit(length: try c.decode(SimDuration.self, forKey: .visit), technician: try c.decodeIfPresent(String.self, forKey: .technician) ?? "T-001") }),
            (.wear, { .wear(try c.decode(Wear.self, forKey: .wear)) }),
            (.cut, { .networkCut(length: try c.decode(SimDuration.self, forKey: .cut)) }),
            (.flaps, { .flaps(count: try c.decode(Int.self, forKey: .flaps), down: try length(.down, default: .seconds(20)), up: try length(.up, default: .seconds(40))) }),
            (.powerCut, { .powerCut(length: try c.decode(SimDuration.self, forKey: .powerCut), occupied: try c.decodeIfPresent(Bool.self, forKey: .occupied) ?? false) }),
            (.duplicate, { .duplicate(count: try c.decode(Int.self, forKey: .duplicate)) }),
            (.reorder, { .reorder(count: try c.decode(Int.self, forKey: .reorder)) }),
            (.skew, { .skew(try c.decode(SimDuration.self, forKey: .skew)) }),
            (.malformed, { .malformed(try c.decode([Malformed].self, forKey: .malformed)) }),
            (.unknownFault, { .unknownFault(code: try Self.code(c, .unknownFault)) }),
            (.replaceTerminal, { .replaceTerminal(pause: try c.decode(SimDuration.self, forKey: .replaceTerminal)) }),
        ]
        let present = actions.filter { c.contains($0.0) }
        guard present.count == 1 else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: c.codingPath,
                debugDescription: "a step needs exactly one action of \(actions.map(\.0.stringValue).joined(separator: ", ")); found \(present.isEmpty ? "none" : present.map(\.0.stringValue).joined(separator: ", "))"))
        }
        action = try present[0].1()
        if target.elevators.isEmpty && target.region == nil && !target.all {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "a step needs elevator, elevators, region or all"))
        }
    }

    /// A fault code written as a key (`door_close_failure`) or a number (`12`).
    private static func code(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> String {
        if let number = try? c.decode(Int.self, forKey: key) { return String(number) }
        return try c.decode(String.self, forKey: key)
    }
}
