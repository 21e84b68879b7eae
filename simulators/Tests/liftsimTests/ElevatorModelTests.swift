import LiftCore
import Testing
@testable import LiftSim

@Suite("Simulated elevator")
struct ElevatorModelTests {
    func run(seed: UInt64, seconds: Int, hour: Int = 8) -> [TelemetrySample] {
        var model = ElevatorModel(floors: 7)
        var generator = SplitMix64(seed: seed)
        return (1...seconds).map { second in
            model.step(hour: hour, using: &generator)
            return model.sample(seq: UInt64(second), ts: Int64(second) * 1000)
        }
    }

    @Test("the same seed gives the same samples, byte for byte; another seed differs")
    func deterministic() {
        let a = run(seed: 42, seconds: 3_600).map(PayloadEncoder.encode)
        let b = run(seed: 42, seconds: 3_600).map(PayloadEncoder.encode)
        let c = run(seed: 43, seconds: 3_600).map(PayloadEncoder.encode)
        #expect(a == b)
        #expect(a != c)
    }

    @Test("samples stay within the contract's physical ranges and decode cleanly")
    func samplesAreValid() throws {
        for sample in run(seed: 7, seconds: 7_200) {
            let decoded = try PayloadDecoder().decode(kind: .telemetry, payload: PayloadEncoder.encode(sample), now: 10_000_000)
            #expect(decoded == .telemetry([sample], rejected: []))
            #expect((1...7).contains(sample.floor ?? 0))
            #expect((-10...10).contains(sample.levelErrorMm ?? 99))
        }
    }

    @Test("the morning peak makes more trips than the night")
    func peaks() {
        func trips(hour: Int) -> Int64 {
            var model = ElevatorModel(floors: 7)
            var generator = SplitMix64(seed: 1)
            for _ in 0..<(4 * 3_600) { model.step(hour: hour, using: &generator) }
            return model.trips
        }
        #expect(trips(hour: 8) > 3 * trips(hour: 3))
        #expect(trips(hour: 8) >= 30)
    }
}
