import Foundation
import LiftCore
import LiftMQTT
import Testing
@testable import liftsim

@Suite("Recorded streams")
struct RecordedStreamTests {
    @Test("each loop of a replay continues every elevator's seq without a gap, telemetry every 10 s in phases")
    func loopsContinueSeq() throws {
        let path = NSTemporaryDirectory() + "stream-\(UUID().uuidString).bin"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let count = try RecordedStream.record(to: path, elevators: 20, seconds: 60, interval: 10, region: "430102", prefix: "T", seed: 7, start: 1_800_000_000_000)
        let messages = try RecordedStream.read(path)
        #expect(messages.count == count)
        let telemetry = messages.filter { $0.topic.hasSuffix("/telemetry") }
        #expect(telemetry.count == 20 * 6, "one sample per elevator every 10 s")
        let spans = RecordedStream.spans(messages)
        #expect(spans.count == 20)

        func seqs(_ stream: [MQTTMessage]) throws -> [String: [UInt64]] {
            var result: [String: [UInt64]] = [:]
            for message in stream {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any])
                let seq = try #require(object["seq"] as? NSNumber)
                result[String(message.topic.split(separator: "/")[2]), default: []].append(seq.uint64Value)
            }
            return result
        }
        let looped = try seqs(messages + messages.map { RecordedStream.shifted($0, by: 1, spans: spans) }
            + messages.map { RecordedStream.shifted($0, by: 2, spans: spans) })
        #expect(looped.count == 20)
        for (elevator, sequence) in looped {
            #expect(sequence == Array(1...UInt64(sequence.count)), "\(elevator): \(sequence)")
        }
    }
}
