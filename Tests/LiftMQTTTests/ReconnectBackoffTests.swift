import Foundation
import Testing
@testable import LiftMQTT

@Suite("Reconnect backoff")
struct ReconnectBackoffTests {
    @Test("delays grow exponentially, stay within half-jitter bounds, and are capped")
    func exponentialWithJitter() {
        let backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(2))
        var generator = SeededGenerator(seed: 42)
        let expectedBases: [Int64] = [100, 200, 400, 800, 1600, 2000, 2000]
        for (index, base) in expectedBases.enumerated() {
            let delay = backoff.delay(forAttempt: index + 1, using: &generator)
            #expect(delay >= .milliseconds(base / 2) && delay <= .milliseconds(base), "attempt \(index + 1): \(delay)")
        }
    }

    @Test("the same seed gives the same delays, so a fleet's spread is reproducible")
    func deterministicForASeed() {
        let backoff = ReconnectBackoff()
        var first = SeededGenerator(seed: 7)
        var second = SeededGenerator(seed: 7)
        let a = (1...10).map { backoff.delay(forAttempt: $0, using: &first) }
        let b = (1...10).map { backoff.delay(forAttempt: $0, using: &second) }
        #expect(a == b)
        #expect(Set(a).count > 1)
    }
}

@Suite("Receive buffer")
struct MessageBufferTests {
    @Test("urgent messages overtake queued ones and have room of their own")
    func urgentFirst() async {
        let buffer = MessageBuffer(capacity: 3, isUrgent: { $0.topic.hasSuffix("/event") })
        for index in 0..<3 { buffer.push(MQTTMessage(topic: "lift/430102/E1/telemetry", string: "\(index)")) }
        #expect(buffer.push(MQTTMessage(topic: "lift/430102/E1/event", string: "fault")), "a buffer full of telemetry still takes an urgent message")
        // The urgent message travels alone, so that its batch is small; the others follow.
        #expect(await buffer.nextBatch(maximum: 10, timeout: nil)?.map(\.payloadString) == ["fault"])
        #expect(await buffer.nextBatch(maximum: 10, timeout: nil)?.map(\.payloadString) == ["0", "1", "2"])
        buffer.finish()
        #expect(await buffer.nextBatch(maximum: 10, timeout: nil) == nil)
    }

    @Test("the urgent lane is bounded: past its capacity a QoS 1 event waits for room and a QoS 0 one is dropped")
    func urgentLaneBounded() async throws {
        let buffer = MessageBuffer(capacity: 3, isUrgent: { $0.topic.hasSuffix("/event") })
        for index in 0..<3 { #expect(buffer.push(MQTTMessage(topic: "lift/430102/E1/event", string: "e\(index)"))) }
        #expect(!buffer.push(MQTTMessage(topic: "lift/430102/E1/event", string: "qos0", qos: .atMostOnce)))
        #expect(buffer.statistics.dropped == 1)
        // A fourth QoS 1 event holds the pushing (network) thread until the consumer takes some.
        let pushed = DispatchSemaphore(value: 0)
        Thread { buffer.push(MQTTMessage(topic: "lift/430102/E1/event", string: "e3")); pushed.signal() }.start()
        #expect(pushed.wait(timeout: .now() + .milliseconds(300)) == .timedOut, "it waited for room")
        #expect(buffer.statistics.buffered == 3)
        #expect(await buffer.nextBatch(maximum: 2, timeout: nil)?.map(\.payloadString) == ["e0", "e1"])
        #expect(pushed.wait(timeout: .now() + .seconds(2)) == .success)
        #expect(await buffer.nextBatch(maximum: 10, timeout: nil)?.map(\.payloadString) == ["e2", "e3"])
    }

    @Test("a batch wait with a timeout returns empty when nothing comes, and nil once finished")
    func timeoutAndFinish() async {
        let buffer = MessageBuffer(capacity: 3)
        #expect(await buffer.nextBatch(maximum: 5, timeout: .milliseconds(20)) == [])
        buffer.push(MQTTMessage(topic: "t", string: "x", qos: .atMostOnce))
        buffer.finish()
        #expect(await buffer.nextBatch(maximum: 5, timeout: nil)?.count == 1)
        #expect(await buffer.nextBatch(maximum: 5, timeout: nil) == nil)
    }
}
