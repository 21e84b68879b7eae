import LiftCore
import LiftMQTT

/// One simulated controller: its elevator's model, one `seq` counter across all its messages, its clock, and
/// a ring buffer of recent messages from which it answers replay requests. Pure: `FleetEngine` drives it.
struct SimulatedController {
    struct Recorded {
        var seq: UInt64
        var message: MQTTMessage
    }

    let elevatorID: String
    let region: String
    /// Fleet connection (member) the controller publishes through now; a replaced terminal moves it.
    var member: Int
    var model: ElevatorModel
    var generator: SplitMix64
    var seq: UInt64 = 0
    var firmware = "sim-1.0"
    /// Added to every timestamp (clock skew).
    var skewMs: Int64 = 0
    /// Mains present (a power cut stops the controller: no steps, no messages).
    var powered = true
    /// Network present (a cut keeps the controller running; its messages wait in `recent` for a replay).
    var networkUp = true
    /// While positive, published messages are held back and then sent in reverse order.
    var reorderRemaining = 0
    var held: [MQTTMessage] = []
    private var recent: [Recorded?]

    init(elevatorID: String, region: String, member: Int, floors: Int, seed: UInt64, replayBuffer: Int) {
        self.elevatorID = elevatorID
        self.region = region
        self.member = member
        model = ElevatorModel(floors: floors)
        generator = SplitMix64(seed: seed)
        recent = Array(repeating: nil, count: max(1, replayBuffer))
    }

    /// One simulated second of the elevator.
    mutating func step(hour: Int) {
        model.step(hour: hour, using: &generator)
    }

    var topicBase: String { "lift/\(region)/\(elevatorID)" }

    /// The will message the broker publishes when the connection is lost.
    var will: MQTTMessage {
        MQTTMessage(topic: "\(topicBase)/status", payload: PayloadEncoder.encode(StatusReport(state: .offline)), qos: .atLeastOnce, retain: true)
    }

    /// Makes the next message: takes a `seq`, builds the payload with it, keeps it for replays, and returns
    /// what to publish now (nothing while the network is down or messages are being held for reordering).
    mutating func make(_ kind: String, retain: Bool = false, _ build: (inout SimulatedController, UInt64) -> [UInt8]) -> [MQTTMessage] {
        seq += 1
        let payload = build(&self, seq)
        let message = MQTTMessage(topic: "\(topicBase)/\(kind)", payload: payload, qos: .atLeastOnce, retain: retain)
        recent[Int(seq % UInt64(recent.count))] = Recorded(seq: seq, message: message)
        return emit(message)
    }

    /// Routes a message through the network state and any reordering.
    mutating func emit(_ message: MQTTMessage) -> [MQTTMessage] {
        guard networkUp else { return [] }
        if reorderRemaining > 0 {
            held.append(message)
            reorderRemaining -= 1
            if reorderRemaining == 0 {
                defer { held = [] }
                return held.reversed()
            }
            return []
        }
        return [message]
    }

    /// The kept messages with sequence numbers in `from...to` (those still in the buffer), not retained.
    func replay(from: UInt64, to: UInt64) -> [MQTTMessage] {
        guard from <= to, from >= 1 else { return [] }
        let lower = max(from, seq >= UInt64(recent.count) ? seq - UInt64(recent.count) + 1 : 1)
        let upper = min(to, seq)
        guard lower <= upper else { return [] }
        return (lower...upper).compactMap { number in
            guard let entry = recent[Int(number % UInt64(recent.count))], entry.seq == number else { return nil }
            var message = entry.message
            message.retain = false
            return message
        }
    }

    /// The last `count` messages made, in order, as they were first published.
    func last(_ count: Int) -> [MQTTMessage] {
        guard seq > 0 else { return [] }
        let from = seq >= UInt64(count) ? seq - UInt64(count) + 1 : 1
        return replay(from: from, to: seq)
    }
}
