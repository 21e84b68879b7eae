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
