import Synchronization
import Foundation
import LiftCore
import LiftMQTT
import Logging

/// One simulated controller: its own MQTT connection and client id, a will, one `seq` counter across all its
/// messages, and a buffer of recent messages from which it answers replay requests.
final class SimulatedController: Sendable {
    let elevatorID: String
    let region: String
    let client: MQTTClient
    private let state: Mutex<State>

    struct State {
        var model: ElevatorModel
        var generator: SplitMix64
        var seq: UInt64 = 0
        var recent: [UInt64: MQTTMessage] = [:]
        var published = 0
    }

    static let recentCapacity = 2_000

    init(elevatorID: String, region: String, floors: Int, seed: UInt64, host: String, port: Int, logger: Logger) throws {
        self.elevatorID = elevatorID
        self.region = region
        let base = "lift/\(region)/\(elevatorID)"
        client = try MQTTClient(
            configuration: MQTTConfiguration(
                host: host, port: port, clientID: "controller-\(elevatorID)", keepAlive: .seconds(60),
                will: MQTTMessage(topic: "\(base)/status", payload: PayloadEncoder.encode(StatusReport(state: .offline)), qos: .atLeastOnce, retain: true),
                subscriptions: [.init("\(base)/replay", qos: .atLeastOnce)],
                receiveBufferCapacity: 100, reconnectBackoff: .init(initial: .milliseconds(500), maximum: .seconds(15))),
            logger: logger)
        state = Mutex(State(model: ElevatorModel(floors: floors), generator: SplitMix64(seed: seed)))
    }

    var published: Int { state.withLock { $0.published } }

    /// Publishes the next message of `kind`, built from the model by `build` with the next seq.
    private func publish(_ kind: String, retain: Bool = false, _ build: (inout State, UInt64) -> [UInt8]) {
        let message = state.withLock { state -> MQTTMessage in
            state.seq += 1
            let payload = build(&state, state.seq)
            let message = MQTTMessage(topic: "lift/\(region)/\(elevatorID)/\(kind)", payload: payload, qos: .atLeastOnce, retain: retain)
            state.recent[state.seq] = message
            state.recent.removeValue(forKey: state.seq &- UInt64(Self.recentCapacity))
            state.published += 1
            return message
        }
        _ = try? client.enqueue(message)
    }

    func announceOnline(at ts: Int64) {
        publish("status", retain: true) { _, seq in PayloadEncoder.encode(StatusReport(seq: seq, ts: ts, state: .online, firmware: "sim-1.0")) }
    }

    /// A clean stop says so on the status topic (a crash leaves it to the will).
    func announceOffline(at ts: Int64) {
        publish("status", retain: true) { _, seq in PayloadEncoder.encode(StatusReport(seq: seq, ts: ts, state: .offline)) }
    }

    /// One simulated second: step the model, publish telemetry every `telemetryEvery` seconds and stats every
    /// `statsEvery` seconds.
    func tick(second: Int, ts: Int64, hour: Int, telemetryEvery: Int, statsEvery: Int) {
        state.withLock { state in state.model.step(hour: hour, using: &state.generator) }
        if second % telemetryEvery == 0 {
            publish("telemetry") { state, seq in PayloadEncoder.encode(state.model.sample(seq: seq, ts: ts)) }
        }
        if second % statsEvery == 0 {
            publish("stats") { state, seq in PayloadEncoder.encode(state.model.stats(seq: seq, ts: ts)) }
        }
    }

    /// Answers `{"from_seq":N,"to_seq":M}` requests from the recent-message buffer.
    func serveReplays() async {
        for await request in client.messages {
            guard case .object(let object)? = try? FlatJSON.parse(request.payload),
                case .integer(let from)? = object["from_seq"], case .integer(let to)? = object["to_seq"], from <= to
            else { continue }
            let messages = state.withLock { state in
                (UInt64(from)...UInt64(min(to, from + Int64(Self.recentCapacity)))).compactMap { state.recent[$0] }
            }
            for message in messages {
                var replayed = message
                replayed.retain = false
                _ = try? client.enqueue(replayed)
            }
        }
    }
}

