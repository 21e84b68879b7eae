import Testing
@testable import LiftCore

@Suite("Payload decoding and validation")
struct PayloadDecoderTests {
    let decoder = PayloadDecoder()
    let now: Int64 = 1_795_000_000_000

    func decode(_ kind: LiftTopic.Kind, _ json: String, codes: FaultCodeMap = .standard) throws(Rejection) -> LiftPayload {
        try decoder.decode(kind: kind, payload: Array(json.utf8), faultCodes: codes, now: now)
    }

    func rejection(_ kind: LiftTopic.Kind, _ json: String) -> Rejection? {
        do {
            _ = try decode(kind, json)
            return nil
        } catch {
            return error
        }
    }

    @Test("a full telemetry sample decodes every field; unknown fields are ignored")
    func telemetryObject() throws {
        let json = #"{"seq":41,"ts":1794999999000,"floor":3,"direction":"up","speed":1.02,"load_kg":320,"door":"closed","mode":"normal","occupied":true,"motor_temp_c":47.5,"cabin_temp_c":22,"vibration_mg":11.5,"level_error_mm":-3,"door_close_ms":2950,"power":"mains","vendor_extra":{"a":[1,2]}}"#
        guard case .telemetry(let samples, let rejected) = try decode(.telemetry, json) else { Issue.record("not telemetry"); return }
        #expect(rejected.isEmpty)
        #expect(samples == [TelemetrySample(
            seq: 41, ts: 1_794_999_999_000, floor: 3, direction: .up, speed: 1.02, loadKg: 320, door: .closed, mode: .normal,
            occupied: true, motorTempC: 47.5, cabinTempC: 22, vibrationMg: 11.5, levelErrorMm: -3, doorCloseMs: 2950, power: .mains)])
    }

    @Test("a telemetry array keeps good samples and reports each bad one with its index")
    func telemetryArray() throws {
        let json = #"[{"seq":1,"ts":1794999999000,"speed":1.0},{"seq":2,"ts":1794999999100,"speed":-1},{"seq":3,"ts":1794999999200}]"#
        guard case .telemetry(let samples, let rejected) = try decode(.telemetry, json) else { Issue.record("not telemetry"); return }
        #expect(samples.map(\.seq) == [1, 3])
        #expect(rejected.count == 1)
        #expect(rejected[0].index == 1 && rejected[0].seq == 2 && rejected[0].rejection.reason == .range)
    }

    @Test("impossible telemetry is rejected with the contract's reasons", arguments: [
        (#"{"seq":1,"ts":1794999999000,"speed":-0.5}"#, Rejection.Reason.range),
        (#"{"seq":1,"ts":1794999999000,"speed":21}"#, .range),
        (#"{"seq":1,"ts":1794999999000,"motor_temp_c":250}"#, .range),
        (#"{"seq":1,"ts":1794999999000,"cabin_temp_c":-60}"#, .range),
        (#"{"seq":1,"ts":1794999999000,"speed":"fast"}"#, .type),
        (#"{"seq":1,"ts":1794999999000,"door":"ajar"}"#, .range),
        (#"{"seq":1,"ts":1894999999000}"#, .range),
        (#"{"ts":1794999999000}"#, .missingField),
        (#"{"seq":1}"#, .missingField),
        (#"{"seq":"1","ts":1794999999000}"#, .type),
        (#"{"seq":-1,"ts":1794999999000}"#, .range),
        // v1.1 §11.3: seq is an integer from 1 to 2^53 - 1; any other number is out of range.
        (#"{"seq":1.5,"ts":1794999999000}"#, .range),
        (#"{"seq":0,"ts":1794999999000}"#, .range),
        (#"{"seq":9007199254740992,"ts":1794999999000}"#, .range),
        (#"{"seq":18446744073709551615,"ts":1794999999000}"#, .range),
        (#"{"seq":1e3,"ts":1794999999000}"#, .range),
        (#"{"seq":true,"ts":1794999999000}"#, .type),
        (#"{"seq":1,"ts":1794999999000"#, .json),
        ("not json", .json),
        ("", .json),
        (#"{"seq":1,"ts":1794999999000,"occupied":"yes"}"#, .type),
    ])
    func telemetryRejections(json: String, reason: Rejection.Reason) {
        let rejection = rejection(.telemetry, json)
        #expect(rejection?.reason == reason, "\(json) → \(String(describing: rejection))")
        #expect(rejection?.message.isEmpty == false)
    }

    @Test("seq 2^53 - 1 is the largest accepted, on the plain and the general path")
    func largestSeq() throws {
        let payload = #"{"seq":9007199254740991,"ts":1794999999000}"#
        guard case .telemetry(let samples, _) = try decode(.telemetry, payload) else { Issue.record("not telemetry"); return }
        #expect(samples.map(\.seq) == [9_007_199_254_740_991])
        #expect(PayloadDecoder().plainTelemetry(Array(payload.utf8), now: 1_795_000_000_000)?.seq == 9_007_199_254_740_991)
        #expect(PayloadDecoder().plainTelemetry(Array(#"{"seq":9007199254740992,"ts":1794999999000}"#.utf8), now: 1_795_000_000_000) == nil)
    }

    @Test("{kind: alarm, code: alarm_button} is fault 21 raised; alarm_test is recorded and raises nothing")
    func alarmButtonIsFault21() throws {
        guard case .event(let button) = try decode(.event, #"{"seq":5,"ts":1794999999000,"kind":"alarm","code":"alarm_button"}"#) else {
            Issue.record("not an event")
            return
        }
        #expect(button.kind == .alarm && button.fault == .alarmButton && button.state == .raised && button.raisedFault == .alarmButton)
        guard case .event(let test) = try decode(.event, #"{"seq":6,"ts":1794999999000,"kind":"alarm","code":"alarm_test"}"#) else {
            Issue.record("not an event")
            return
        }
        #expect(test.fault == nil && test.raisedFault == nil)
        guard case .event(let withCar) = try decode(.event, #"{"seq":7,"ts":1794999999000,"kind":"alarm","code":"alarm_button","occupied":true,"speed":0}"#) else {
            Issue.record("not an event")
            return
        }
        #expect(withCar.occupied == true && withCar.speed == 0)
        #expect(rejection(.event, #"{"seq":8,"ts":1794999999000,"kind":"fault","code":"power_failure","state":"raised","speed":-1}"#)?.reason == .range)
    }

    @Test("a payload over 64 KiB is rejected as too large")
    func tooLarge() {
        let big = "{\"seq\":1,\"ts\":1,\"detail\":\"" + String(repeating: "x", count: 70_000) + "\"}"
        #expect(rejection(.telemetry, big)?.reason == .tooLarge)
    }

    @Test("fault codes resolve by key, by standard number, and by another platform's number")
    func faultCodes() throws {
        guard case .event(let byKey) = try decode(.event, #"{"seq":5,"ts":1794999999000,"kind":"fault","code":"entrapment_between_floors","state":"raised","floor":3}"#) else { Issue.record("not an event"); return }
        #expect(byKey.fault == .entrapmentBetweenFloors && byKey.state == .raised && byKey.floor == 3)
        guard case .event(let byNumber) = try decode(.event, #"{"seq":6,"ts":1794999999000,"kind":"fault","code":8,"state":"cleared"}"#) else { Issue.record("not an event"); return }
        #expect(byNumber.fault == .entrapmentBetweenFloors && byNumber.code == "entrapment_between_floors")
        let other = FaultCodeMap(platform: "other", keysByNumber: [101: .overspeed])
        guard case .event(let byPlatform) = try decode(.event, #"{"seq":7,"ts":1794999999000,"kind":"fault","code":"101","state":"raised"}"#, codes: other) else { Issue.record("not an event"); return }
        #expect(byPlatform.fault == .overspeed)
        #expect(rejection(.event, #"{"seq":8,"ts":1794999999000,"kind":"fault","code":99,"state":"raised"}"#)?.reason == .unknownFault)
        #expect(rejection(.event, #"{"seq":8,"ts":1794999999000,"kind":"fault","code":"elevator_sad","state":"raised"}"#)?.reason == .unknownFault)
        #expect(rejection(.event, #"{"seq":8,"ts":1794999999000,"kind":"fault","code":3}"#)?.reason == .missingField)
    }

    @Test("mode, alarm and maintenance events check their codes")
    func otherEvents() throws {
        guard case .event(let visit) = try decode(.event, #"{"seq":9,"ts":1794999999000,"kind":"maintenance","code":"visit_start","technician":"T-17"}"#) else { Issue.record("not an event"); return }
        #expect(visit.kind == .maintenance && visit.technician == "T-17")
        #expect(rejection(.event, #"{"seq":9,"ts":1794999999000,"kind":"mode","code":"party"}"#)?.reason == .range)
        #expect(rejection(.event, #"{"seq":9,"ts":1794999999000,"kind":"alarm","code":"alarm_test"}"#) == nil)
        #expect(rejection(.event, #"{"seq":9,"ts":1794999999000,"kind":"gossip","code":"x"}"#)?.reason == .range)
    }

    @Test("the will message decodes without seq or ts; an online status carries them")
    func status() throws {
        #expect(try decode(.status, #"{"state":"offline"}"#) == .status(StatusReport(state: .offline)))
        #expect(try decode(.status, #"{"state":"online","seq":1,"ts":1794999999000,"firmware":"2.4.1"}"#)
            == .status(StatusReport(seq: 1, ts: 1_794_999_999_000, state: .online, firmware: "2.4.1")))
    }

    @Test("stats decode cumulative counters")
    func stats() throws {
        #expect(try decode(.stats, #"{"seq":3,"ts":1794999999000,"trips":123456,"door_cycles":234567,"run_hours":3456.7}"#)
            == .stats(CounterStats(seq: 3, ts: 1_794_999_999_000, trips: 123_456, doorCycles: 234_567, runHours: 3456.7)))
    }

    @Test("encoding then decoding gives back the same samples (seeded random samples)")
    func roundTrip() throws {
        var generator = SplitMix(seed: 2026)
        for _ in 0..<500 {
            let sample = TelemetrySample(
                seq: UInt64.random(in: 1...1_000_000_000, using: &generator), ts: Int64.random(in: 0...now, using: &generator),
                floor: Bool.random(using: &generator) ? Int.random(in: -2...30, using: &generator) : nil,
                direction: Direction.allCases.randomElement(using: &generator),
                speed: Double.random(in: 0...20, using: &generator), loadKg: Double.random(in: 0...1000, using: &generator),
                door: DoorState.allCases.randomElement(using: &generator), mode: ServiceMode.allCases.randomElement(using: &generator),
                occupied: Bool.random(using: &generator), motorTempC: Double.random(in: -50...200, using: &generator),
                cabinTempC: nil, vibrationMg: Double.random(in: 0...100, using: &generator),
                levelErrorMm: Double.random(in: -30...30, using: &generator), doorCloseMs: 3000, power: .battery)
            let decoded = try decode(.telemetry, String(decoding: PayloadEncoder.encode(sample), as: UTF8.self))
            #expect(decoded == .telemetry([sample], rejected: []))
        }
    }
}

typealias SplitMix = SplitMix64
