import Foundation
import LiftCore
import LiftMQTT
import LiftSim

/// A recorded fleet stream: what a fleet publishes, in order, written once and replayed as fast as the
/// broker takes it (the benchmark harness's input).
///
/// File format: repeated records `[u16 topic length][topic][u32 payload length][payload]`, big-endian.
enum RecordedStream {
    /// Simulates `elevators` controllers for `seconds` simulated seconds from `start` and writes every
    /// message: telemetry every `interval` seconds, stats each minute, a status at start, and rare fault events
    /// (about one per elevator-hour, raised then cleared).
    static func record(
        to path: String, elevators: Int, seconds: Int, interval: Int = 1, region: String, prefix: String, seed: UInt64, start: Int64
    ) throws -> Int {
        precondition(interval >= 1, "the telemetry interval is at least a second")
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw ValidationFailure("cannot write \(path)") }
        defer { try? handle.close() }
        let ids = LiftSimCommand.elevatorIDs(prefix: prefix, count: elevators)
        var models = ids.map { _ in ElevatorModel(floors: 7) }
        var generator = SplitMix64(seed: seed)
        var seqs = Array(repeating: UInt64(0), count: elevators)
        var buffer = Data()
        var count = 0
        func append(_ elevator: Int, _ kind: String, _ payload: [UInt8]) {
            let topic = Array("lift/\(region)/\(ids[elevator])/\(kind)".utf8)
            var topicLength = UInt16(topic.count).bigEndian
            var payloadLength = UInt32(payload.count).bigEndian
            withUnsafeBytes(of: &topicLength) { buffer.append(contentsOf: $0) }
            buffer.append(contentsOf: topic)
            withUnsafeBytes(of: &payloadLength) { buffer.append(contentsOf: $0) }
            buffer.append(contentsOf: payload)
            count += 1
        }
        for elevator in 0..<elevators {
            seqs[elevator] += 1
            append(elevator, "status", PayloadEncoder.encode(StatusReport(seq: seqs[elevator], ts: start, state: .online, firmware: "sim-1.0")))
        }
        for second in 1...seconds {
            let ts = start + Int64(second) * 1000
            let hour = Int((ts / 3_600_000) % 24)
            for elevator in 0..<elevators {
                models[elevator].step(hour: (hour + 8) % 24, using: &generator)
                // Controllers of one fleet do not all send in the same second: each its own phase in the interval.
                if (second + elevator) % interval == 0 {
                    seqs[elevator] += 1
                    append(elevator, "telemetry", PayloadEncoder.encode(models[elevator].sample(seq: seqs[elevator], ts: ts)))
                }
                if second % 60 == 0 {
                    seqs[elevator] += 1
                    append(elevator, "stats", PayloadEncoder.encode(models[elevator].stats(seq: seqs[elevator], ts: ts)))
                }
                if Int.random(in: 0..<3_600, using: &generator) == 0 {
                    seqs[elevator] += 1
                    let fault = [FaultKey.doorCloseFailure, .doorObstructed, .entrapmentAtFloor, .buttonStuck].randomElement(using: &generator)!
                    append(elevator, "event", PayloadEncoder.encode(ElevatorEvent(seq: seqs[elevator], ts: ts, kind: .fault, code: fault.rawValue, state: .raised, floor: models[elevator].floor)))
                }
            }
            if buffer.count > 4 << 20 {
                handle.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        handle.write(buffer)
        return count
    }

    /// Reads every message of a recorded stream.
    static func read(_ path: String) throws -> [MQTTMessage] {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var messages: [MQTTMessage] = []
        var index = 0
        func integer(_ width: Int) throws -> Int {
            guard index + width <= data.count else { throw ValidationFailure("\(path) is truncated at byte \(index)") }
            var value = 0
            for offset in 0..<width { value = value << 8 | Int(data[index + offset]) }
            index += width
            return value
        }
        while index < data.count {
            let topicLength = try integer(2)
            let topic = String(decoding: data[index..<index + topicLength], as: UTF8.self)
            index += topicLength
            let payloadLength = try integer(4)
            guard index + payloadLength <= data.count else { throw ValidationFailure("\(path) is truncated at byte \(index)") }
            messages.append(MQTTMessage(topic: topic, payload: Array(data[index..<index + payloadLength]), qos: .atLeastOnce))
            index += payloadLength
        }
        return messages
    }
}

struct ValidationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension RecordedStream {
    /// How many messages each elevator (the topic's third level) has in the stream: its seqs run 1...span, as
    /// `record` writes them.
    static func spans(_ messages: [MQTTMessage]) -> [Substring: UInt64] {
        var spans: [Substring: UInt64] = [:]
        for message in messages {
            let levels = message.topic.split(separator: "/", maxSplits: 3)
            if levels.count > 2 { spans[levels[2], default: 0] += 1 }
        }
        return spans
    }

    /// The message as the `loop`-th repetition of the stream: its elevator's seq continued after `loop` whole
    /// spans (`spans(_:)`: no gap between loops, nothing repeated), ts moved by a second per loop.
    static func shifted(_ message: MQTTMessage, by loop: Int, spans: [Substring: UInt64]) -> MQTTMessage {
        // Byte-level, no regular expressions: a paced replay shifts every message, and a regex per message
        // cost the publisher most of a core at 20,000 msg/s.
        let levels = message.topic.split(separator: "/", maxSplits: 3)
        let span = levels.count > 2 ? spans[levels[2]] ?? 0 : 0
        var shifted = message
        replaceNumber(after: Array(#""seq":"#.utf8), in: &shifted.payload) { $0 + UInt64(loop) * span }
        replaceNumber(after: Array(#""ts":"#.utf8), in: &shifted.payload) { $0 + UInt64(loop) * 1_000 }
        return shifted
    }

    /// Replaces the first unsigned number right after `key` with `transform(number)`.
    private static func replaceNumber(after key: [UInt8], in bytes: inout [UInt8], _ transform: (UInt64) -> UInt64) {
        guard let found = bytes.firstRange(of: key) else { return }
        var end = found.upperBound
        var value: UInt64 = 0
        while end < bytes.endIndex, bytes[end] >= UInt8(ascii: "0"), bytes[end] <= UInt8(ascii: "9") {
            value = value &* 10 &+ UInt64(bytes[end] - UInt8(ascii: "0"))
            end += 1
        }
        guard end > found.upperBound else { return }
        bytes.replaceSubrange(found.upperBound..<end, with: Array(String(transform(value)).utf8))
    }
}
