import Foundation
import LiftCore
import LiftMQTT

/// What the fleet should do on the network: publish from a member, cut a member's connection, or let it
/// connect again.
public enum FleetOutput: Sendable, Hashable {
    case publish(member: Int, MQTTMessage)
    case cut(member: Int)
    case resume(member: Int)
}

/// A scenario's fleet as a deterministic machine: simulated seconds in, network actions out.
///
/// No clock, no network, no threads: the same scenario, seed and start give the same outputs byte for byte,
/// which the tests check. `FleetRunner` connects it to a broker, at the scenario's speed.
public struct FleetEngine {
    public let scenario: Scenario
    /// Simulated epoch milliseconds of second 0.
    public let start: Int64
    /// The connections the fleet needs: one per elevator, plus one per terminal replacement (the new
    /// terminal has its own client id).
    public private(set) var members: [MQTTFleet.Member] = []
    /// Simulated seconds done.
    public private(set) var second: Int64 = 0
    var controllers: [SimulatedController] = []
    /// Things due at a simulated second: scenario steps and their consequences (a cut ending, a visit's end).
    var agenda: [Int64: [Due]] = [:]
    let telemetryEvery: Int64
    let statsEvery: Int64

    enum Due {
        case step(ScenarioStep.Action, elevators: [Int])
        case networkBack(Int)
        case flap(Int, remaining: Int, down: Int64, up: Int64)
        case powerBack(Int)
        case visitEnd(Int, technician: String)
        case terminalUp(Int, member: Int)
    }

    /// - Parameters:
    ///   - seed: the fleet's randomness; elevator `i` gets its own generator derived from it.
    ///   - start: simulated epoch ms of the scenario's beginning (typically `now - duration`).
    ///   - replayBuffer: messages each controller keeps for replay requests.
    public init(scenario: Scenario, seed: UInt64, start: Int64, replayBuffer: Int = 300) {
        self.scenario = scenario
        self.start = start
        telemetryEvery = max(1, scenario.telemetryEvery.seconds)
        statsEvery = max(1, scenario.statsEvery.seconds)
        var generator = SplitMix64(seed: seed)
        for index in 1...scenario.fleet.elevators {
            var controller = SimulatedController(
                elevatorID: scenario.elevatorID(index), region: scenario.region(index), member: index - 1, floors: scenario.fleet.floors,
                seed: generator.next(), replayBuffer: replayBuffer)
            // Controllers come up at different floors and temperatures.
            controller.model.floor = Int.random(in: 1...scenario.fleet.floors, using: &generator)
            controllers.append(controller)
            members.append(.init(clientID: "controller-\(controller.elevatorID)", will: controller.will, subscriptions: ["\(controller.topicBase)/replay"]))
        }
        for step in scenario.steps {
            let elevators = step.target.indices(in: scenario).map { $0 - 1 }
            agenda[max(0, step.at.seconds), default: []].append(.step(step.action, elevators: elevators))
            if case .replaceTerminal = step.action {
                for elevator in elevators {
                    let member = members.count
                    members.append(.init(clientID: "controller-\(controllers[elevator].elevatorID)-t\(member)", will: controllers[elevator].will,
                                         subscriptions: ["\(controllers[elevator].topicBase)/replay"]))
                }
            }
        }
    }

    public var duration: Int64 { scenario.duration.seconds }
    public var isFinished: Bool { second >= duration }
    /// Simulated epoch ms now.
    public var now: Int64 { start + second * 1000 }

    /// The outputs of second 0: every controller announces itself online; spare members (terminals that
    /// replace others later) stay down.
    public mutating func begin() -> [FleetOutput] {
        var out: [FleetOutput] = (scenario.fleet.elevators..<members.count).map { .cut(member: $0) }
        for index in controllers.indices { out += online(index) }
        out += runAgenda(at: 0)
        return out
    }

    /// Runs simulated seconds up to `target` (at most the scenario's end) and returns what to do.
    public mutating func advance(to target: Int64) -> [FleetOutput] {
        var out: [FleetOutput] = []
        while second < min(target, duration) {
            second += 1
            out += tick()
        }
        return out
    }

    /// Answers a `{"from_seq":N,"to_seq":M}` request received by `member`.
    public mutating func replayRequest(member: Int, payload: [UInt8]) -> [FleetOutput] {
        guard let index = controllers.firstIndex(where: { $0.member == member }),
            case .object(let object)? = try? FlatJSON.parse(payload),
            case .integer(let from)? = object["from_seq"], case .integer(let to)? = object["to_seq"], from >= 1, from <= to,
            controllers[index].powered, controllers[index].networkUp
        else { return [] }
        return controllers[index].replay(from: UInt64(from), to: UInt64(to)).map { .publish(member: member, $0) }
    }

    // MARK: - One second

    private mutating func tick() -> [FleetOutput] {
        let ts = now
        let hour = Int(((ts / 3_600_000) + 8) % 24)  // local time (UTC+8) shapes the traffic
        var out: [FleetOutput] = []
        for index in controllers.indices where controllers[index].powered {
            controllers[index].step(hour: hour)
            let phase = Int64(index * 7_919)
            if (second + phase) % telemetryEvery == 0 {
                out += publish(index, "telemetry") { c, seq in PayloadEncoder.encode(c.model.sample(seq: seq, ts: ts + c.skewMs)) }
            }
            if (second + phase) % statsEvery == 0 {
                out += publish(index, "stats") { c, seq in PayloadEncoder.encode(c.model.stats(seq: seq, ts: ts + c.skewMs)) }
            }
        }
        out += runAgenda(at: second)
        return out
    }

    private mutating func publish(_ index: Int, _ kind: String, retain: Bool = false, _ build: (inout SimulatedController, UInt64) -> [UInt8]) -> [FleetOutput] {
        let member = controllers[index].member
        return controllers[index].make(kind, retain: retain, build).map { .publish(member: member, $0) }
    }

    private mutating func online(_ index: Int) -> [FleetOutput] {
        let ts = now
        return publish(index, "status", retain: true) { c, seq in
            PayloadEncoder.encode(StatusReport(seq: seq, ts: ts + c.skewMs, state: .online, firmware: c.firmware))
        }
    }

    private mutating func event(_ index: Int, _ kind: EventKind, _ code: String, state: FaultState? = nil, floor: Int? = nil, detail: String? = nil,
                                technician: String? = nil, occupied: Bool? = nil) -> [FleetOutput] {
        let ts = now
        return publish(index, "event") { c, seq in
            PayloadEncoder.encode(ElevatorEvent(
                seq: seq, ts: ts + c.skewMs, kind: kind, code: code, state: state, floor: floor ?? c.model.floor, detail: detail, technician: technician,
                occupied: occupied))
        }
    }

    private mutating func schedule(_ due: Due, at second: Int64) {
        agenda[max(second, self.second + 1), default: []].append(due)
    }

    private mutating func runAgenda(at second: Int64) -> [FleetOutput] {
        guard let dues = agenda.removeValue(forKey: second) else { return [] }
        var out: [FleetOutput] = []
        for due in dues {
            switch due {
            case .step(let action, let elevators):
                for index in elevators { out += apply(action, to: index) }
            case .networkBack(let index):
                controllers[index].networkUp = true
                out.append(.resume(member: controllers[index].member))
                out += online(index)
            case .flap(let index, let remaining, let down, let up):
                out += cutNetwork(index, for: down)
                if remaining > 1 { schedule(.flap(index, remaining: remaining - 1, down: down, up: up), at: second + down + up) }
            case .powerBack(let index):
                controllers[index].powered = true
                controllers[index].model.onBattery = false
                controllers[index].networkUp = true
                out.append(.resume(member: controllers[index].member))
                out += online(index)
                out += event(index, .fault, FaultKey.powerFailure.rawValue, state: .cleared)
            case .visitEnd(let index, let technician):
                controllers[index].model.mode = .normal
                out += event(index, .maintenance, "visit_end", technician: technician)
                out += event(index, .mode, ServiceMode.normal.rawValue)
            case .terminalUp(let index, let member):
                controllers[index].member = member
                controllers[index].seq = 0
                controllers[index].firmware = "sim-2.0"
                controllers[index].powered = true
                controllers[index].networkUp = true
                out.append(.resume(member: member))
                out += online(index)
            }
        }
        return out
    }

    private mutating func cutNetwork(_ index: Int, for seconds: Int64) -> [FleetOutput] {
        guard controllers[index].networkUp else { return [] }
        controllers[index].networkUp = false
        schedule(.networkBack(index), at: second + max(1, seconds))
        return [.cut(member: controllers[index].member)]
    }

    // MARK: - Scenario actions

    private mutating func apply(_ action: ScenarioStep.Action, to index: Int) -> [FleetOutput] {
        guard controllers[index].powered else { return [] }
        switch action {
        case .fault(let code, let floor, let occupied, let detail):
            let key = FaultCodeMap.standard.resolve(.string(code))
            if key == .entrapmentAtFloor || key == .entrapmentBetweenFloors { controllers[index].model.stuck = true }
            if let floor { controllers[index].model.floor = floor }
            return event(index, .fault, code, state: .raised, floor: floor, detail: detail, occupied: occupied ?? (controllers[index].model.stuck ? true : nil))
        case .clear(let code):
            let key = FaultCodeMap.standard.resolve(.string(code))
            if key == .entrapmentAtFloor || key == .entrapmentBetweenFloors { controllers[index].model.stuck = false }
            return event(index, .fault, code, state: .cleared)
        case .mode(let mode):
            controllers[index].model.mode = mode
            return event(index, .mode, mode.rawValue)
        case .alarm(let code):
            return event(index, .alarm, code)
        case .visit(let length, let technician):
            controllers[index].model.mode = .maintenance
            schedule(.visitEnd(index, technician: technician), at: second + max(1, length.seconds))
            return event(index, .mode, ServiceMode.maintenance.rawValue) + event(index, .maintenance, "visit_start", technician: technician)
        case .wear(let wear):
            controllers[index].model.wear = wear
            return []
        case .networkCut(let length):
            return cutNetwork(index, for: length.seconds)
        case .flaps(let count, let down, let up):
            guard count > 0 else { return [] }
            if count > 1 { schedule(.flap(index, remaining: count - 1, down: down.seconds, up: up.seconds), at: second + down.seconds + up.seconds) }
            return cutNetwork(index, for: down.seconds)
        case .powerCut(let length, let occupied):
            // The terminal's battery carries one last message; then the controller is dark.
            controllers[index].model.onBattery = true
            let out = event(index, .fault, FaultKey.powerFailure.rawValue, state: .raised, occupied: occupied)
            controllers[index].powered = false
            controllers[index].networkUp = false
            schedule(.powerBack(index), at: second + max(1, length.seconds))
            return out + [.cut(member: controllers[index].member)]
        case .duplicate(let count):
            let member = controllers[index].member
            return controllers[index].last(count).map { .publish(member: member, $0) }
        case .reorder(let count):
            controllers[index].reorderRemaining = max(0, count)
            return []
        case .skew(let offset):
            controllers[index].skewMs += offset.milliseconds
            return []
        case .malformed(let kinds):
            return kinds.flatMap { malformed($0, index) }
        case .unknownFault(let code):
            return event(index, .fault, code, state: .raised)
        case .replaceTerminal(let pause):
            // The old terminal is switched off: its connection ends (its will fires) and it never returns.
            let old = controllers[index].member
            controllers[index].powered = false
            controllers[index].networkUp = false
            guard let next = members.indices.first(where: { $0 >= scenario.fleet.elevators && members[$0].clientID.hasPrefix("controller-\(controllers[index].elevatorID)-t") && !usedSpares.contains($0) }) else { return [] }
            usedSpares.insert(next)
            schedule(.terminalUp(index, member: next), at: second + max(1, pause.seconds))
            return [.cut(member: old)]
        }
    }

    private var usedSpares: Set<Int> = []

    /// A broken message of `kind` from controller `index`. Those that still carry a usable `seq` use one up,
    /// as a real controller's would.
    private mutating func malformed(_ kind: ScenarioStep.Malformed, _ index: Int) -> [FleetOutput] {
        let c = controllers[index]
        let member = c.member
        let ts = now + c.skewMs
        func raw(_ topic: String, _ text: String) -> [FleetOutput] {
            [.publish(member: member, MQTTMessage(topic: topic, payload: Array(text.utf8), qos: .atLeastOnce))]
        }
        switch kind {
        case .notJSON: return raw("\(c.topicBase)/telemetry", "floor=3;speed=1.0")
        case .missingSeq: return raw("\(c.topicBase)/telemetry", #"{"ts":\#(ts),"floor":3}"#)
        case .wrongType: return publish(index, "telemetry") { _, seq in Array(#"{"seq":\#(seq),"ts":\#(ts),"speed":"fast"}"#.utf8) }
        case .outOfRange: return publish(index, "telemetry") { _, seq in Array(#"{"seq":\#(seq),"ts":\#(ts),"speed":-1.5}"#.utf8) }
        case .futureTimestamp: return publish(index, "telemetry") { _, seq in Array(#"{"seq":\#(seq),"ts":\#(ts + 2 * 86_400_000),"floor":2}"#.utf8) }
        case .tooLarge: return raw("\(c.topicBase)/telemetry", #"{"ts":\#(ts),"detail":""# + String(repeating: "x", count: 70_000) + #""}"#)
        case .badTopic: return raw("lift/\(c.region)/\(c.elevatorID).old/telemetry", #"{"seq":1,"ts":\#(ts)}"#)
        case .badRegion: return raw("lift/\(c.region.prefix(5))/\(c.elevatorID)/telemetry", #"{"seq":1,"ts":\#(ts)}"#)
        case .unregistered: return raw("lift/\(c.region)/\(scenario.fleet.prefix)-UNREG/telemetry", #"{"seq":1,"ts":\#(ts),"floor":1}"#)
        }
    }
}
