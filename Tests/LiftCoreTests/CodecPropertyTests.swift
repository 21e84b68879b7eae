import Testing
@testable import LiftCore

/// Property tests of the payload codec: whatever valid message a controller could send, encoding it and
/// decoding it again gives the same value. Inputs come from a seeded generator, so a failure reproduces.
@Suite("Payload codec properties")
struct CodecPropertyTests {
    static let now: Int64 = 1_764_000_000_000

    /// The value `make` draws, or nil, each half the time.
    static func maybe<T>(_ g: inout SplitMix64, _ make: (inout SplitMix64) -> T) -> T? { Bool.random(using: &g) ? make(&g) : nil }

    /// A number as controllers send them: integers, decimals, extreme but valid magnitudes.
    static func number(in range: ClosedRange<Double>, _ g: inout SplitMix64) -> Double {
        switch Int.random(in: 0..<4, using: &g) {
        case 0: return Double(Int.random(in: Int(range.lowerBound)...Int(range.upperBound), using: &g))
        case 1: return (Double.random(in: range, using: &g) * 10).rounded() / 10
        case 2: return Double.random(in: range, using: &g)
        default: return [range.lowerBound, range.upperBound, 0].filter(range.contains).randomElement(using: &g)!
        }
    }

    static func sample(_ g: inout SplitMix64) -> TelemetrySample {
        TelemetrySample(
            seq: UInt64.random(in: 1...(1 << 53 - 1), using: &g), ts: Int64.random(in: 0...now, using: &g),
            floor: maybe(&g) { g in Int.random(in: -20...300, using: &g) }, direction: maybe(&g) { g in Direction.allCases.randomElement(using: &g)! },
            speed: maybe(&g) { g in number(in: 0...20, &g) }, loadKg: maybe(&g) { g in number(in: 0...20_000, &g) },
            door: maybe(&g) { g in DoorState.allCases.randomElement(using: &g)! }, mode: maybe(&g) { g in ServiceMode.allCases.randomElement(using: &g)! },
            occupied: maybe(&g) { g in Bool.random(using: &g) }, motorTempC: maybe(&g) { g in number(in: -50...200, &g) },
            cabinTempC: maybe(&g) { g in number(in: -50...200, &g) }, vibrationMg: maybe(&g) { g in number(in: 0...100_000, &g) },
            levelErrorMm: maybe(&g) { g in number(in: -10_000...10_000, &g) }, doorCloseMs: maybe(&g) { g in number(in: 0...600_000, &g) },
            power: maybe(&g) { g in PowerSource.allCases.randomElement(using: &g)! })
    }

    static func text(_ g: inout SplitMix64) -> String {
        let alphabet = Array("abcXYZ 0129\"\\/\n\t\u{1}é电梯😀{}[],:")
        return String((0..<Int.random(in: 0...40, using: &g)).map { _ in alphabet.randomElement(using: &g)! })
    }

    @Test("telemetry: encode then decode gives the same samples, one or a batch (10,000 random samples)")
    func telemetryRoundTrip() throws {
        var g = SplitMix64(seed: 20261125)
        let decoder = PayloadDecoder()
        for round in 0..<10_000 {
            let samples = (0..<(round % 10 == 0 ? Int.random(in: 2...5, using: &g) : 1)).map { _ in Self.sample(&g) }
            let payload = samples.count == 1 ? PayloadEncoder.encode(samples[0]) : PayloadEncoder.encode(samples)
            let decoded = try decoder.decode(kind: .telemetry, payload: payload, now: Self.now)
            #expect(decoded == .telemetry(samples, rejected: []), "\(String(decoding: payload, as: UTF8.self))")
            if decoded != .telemetry(samples, rejected: []) { return }
        }
    }

    @Test("the plain telemetry path takes every sample the encoder writes and decides every edited payload as the general path does")
    func plainTelemetryAgreesWithGeneralPath() {
        var g = SplitMix64(seed: 20261203)
        let decoder = PayloadDecoder()
        func outcome(_ body: () throws(Rejection) -> LiftPayload) -> Result<LiftPayload, Rejection> {
            do throws(Rejection) { return .success(try body()) } catch { return .failure(error) }
        }
        // Edits that keep a payload JSON-like: values and keys swapped for others from the same payloads.
        let pieces = [
            " ", "\n", ",", ":", "null", "true", "false", "-0", "1e2", "-1", "1.5", "301", "\"up\"", "\"UP\"", "\"clos\\u0065d\"",
            "\"é\"", "\"seq\"", "\"ts\"", "\"floor\"", "\"speed\"", "\"door\"", "\"power\"", "\"extra\"", "{}", "[1]", "9999999999999999999",
            "\"seq\":1,", "\"ts\":9999999999999999,", "300", "-20", "-21", "20.0001", "200", "-50.5", "600000", "\"out_of_service\"", "\"battery\"",
        ].map { Array($0.utf8) }
        var plain = 0
        for round in 0..<20_000 {
            let sample = Self.sample(&g)
            var payload = PayloadEncoder.encode(sample)
            if round % 4 != 0 {
                for _ in 0..<Int.random(in: 1...3, using: &g) {
                    let at = Int.random(in: 0...payload.count, using: &g)
                    switch Int.random(in: 0..<4, using: &g) {
                    case 0: payload.insert(contentsOf: pieces.randomElement(using: &g)!, at: at)
                    case 3:  // a field's whole value replaced
                        guard let colon = payload.indices.filter({ payload[$0] == UInt8(ascii: ":") }).randomElement(using: &g) else { break }
                        let end = payload[(colon + 1)...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") } ?? payload.count
                        payload.replaceSubrange((colon + 1)..<end, with: pieces.randomElement(using: &g)!)
                    case 1 where at < payload.count: payload.remove(at: at)
                    default: payload.replaceSubrange(at..<min(payload.count, at + Int.random(in: 1...4, using: &g)), with: pieces.randomElement(using: &g)!)
                    }
                }
            }
            let text = String(decoding: payload, as: UTF8.self)
            if round % 4 == 0 {
                #expect(decoder.plainTelemetry(payload, now: Self.now) == sample, "\(text)")
            }
            let general = outcome { () throws(Rejection) in try decoder.decodeInGeneral(kind: .telemetry, payload: payload, now: Self.now) }
            #expect(outcome { () throws(Rejection) in try decoder.decode(kind: .telemetry, payload: payload, now: Self.now) } == general, "\(text)")
            if let fast = decoder.plainTelemetry(payload, now: Self.now) {
                plain += 1
                #expect(general == .success(.telemetry([fast], rejected: [])), "\(text)")
            }
        }
        // Most edited payloads are still valid (a space, a null): the plain path must have taken those too.
        #expect(plain > 5_000)
    }

    @Test("events, stats and status: encode then decode gives the same value, whatever the text fields hold")
    func otherKindsRoundTrip() throws {
        var g = SplitMix64(seed: 7)
        let decoder = PayloadDecoder()
        for _ in 0..<5_000 {
            let key = FaultKey.allCases.randomElement(using: &g)!
            let event = ElevatorEvent(
                seq: UInt64.random(in: 1...1_000_000_000, using: &g), ts: Int64.random(in: 0...Self.now, using: &g), kind: .fault, code: key.rawValue,
                fault: key, state: FaultState.allCases.randomElement(using: &g)!, floor: Self.maybe(&g) { g in Int.random(in: -20...300, using: &g) },
                detail: Self.maybe(&g) { g in Self.text(&g) }, technician: nil, occupied: Self.maybe(&g) { g in Bool.random(using: &g) },
                speed: Self.maybe(&g) { g in Self.number(in: 0...20, &g) })
            let eventPayload = PayloadEncoder.encode(event)
            #expect(try decoder.decode(kind: .event, payload: eventPayload, now: Self.now) == .event(event), "\(String(decoding: eventPayload, as: UTF8.self))")
            let stats = CounterStats(
                seq: UInt64.random(in: 1...1_000_000_000, using: &g), ts: Int64.random(in: 0...Self.now, using: &g),
                trips: Self.maybe(&g) { g in Int64.random(in: 0...Int64(1) << 40, using: &g) }, doorCycles: Self.maybe(&g) { g in Int64.random(in: 0...Int64(1) << 40, using: &g) },
                runHours: Self.maybe(&g) { g in Self.number(in: 0...1_000_000, &g) })
            #expect(try decoder.decode(kind: .stats, payload: PayloadEncoder.encode(stats), now: Self.now) == .stats(stats))
            let status = StatusReport(
                seq: Self.maybe(&g) { g in UInt64.random(in: 1...1_000_000, using: &g) }, ts: Self.maybe(&g) { g in Int64.random(in: 0...Self.now, using: &g) },
                state: StatusReport.State.allCases.randomElement(using: &g)!, firmware: Self.maybe(&g) { g in Self.text(&g) })
            let statusPayload = PayloadEncoder.encode(status)
            #expect(try decoder.decode(kind: .status, payload: statusPayload, now: Self.now) == .status(status), "\(String(decoding: statusPayload, as: UTF8.self))")
        }
    }
}
