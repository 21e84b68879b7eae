import Testing
@testable import LiftCore

@Suite("Topics and fault taxonomy")
struct TopicAndTaxonomyTests {
    @Test("controller topics parse; anything else says why not")
    func topics() {
        #expect(LiftTopic("lift/430102/E-001_a/telemetry") == LiftTopic(region: "430102", elevatorID: "E-001_a", kind: .telemetry))
        #expect(LiftTopic("lift/430102/E1/status")?.kind == .status)
        let bad: [(topic: String, reason: Rejection.Reason)] = [
            ("lift/4301/E1/telemetry", .region), ("lift/43010a/E1/event", .region), ("lift/430102/E1", .topic),
            ("lift/430102/E1/telemetry/x", .topic), ("elevator/430102/E1/event", .topic), ("lift/430102/E 1/event", .topic),
            ("lift/430102/E1/gossip", .topic), ("lift/430102//event", .topic),
        ]
        for (topic, reason) in bad {
            guard case .failure(let rejection) = LiftTopic.parse(topic) else { Issue.record("accepted \(topic)"); continue }
            #expect(rejection.reason == reason, "\(topic)")
        }
    }

    @Test("the byte-level topic path accepts exactly the topics the general path accepts, with the same parts")
    func plainTopicPathAgreesWithGeneralPath() {
        var g = SplitMix64(seed: 1203)
        let pieces = ["lift", "lif", "lift2", "430102", "43010", "4301022", "43O102", "E-001_a", "SIM-0001", String(repeating: "x", count: 64),
                      String(repeating: "y", count: 65), "E 1", "电梯", "", "telemetry", "event", "stats", "status", "replay", "Telemetry", "statu", "/", "#"]
        var accepted = 0
        for _ in 0..<20_000 {
            // Mostly the right kind of piece at each level, so that both outcomes are common.
            let levels = [["lift"], ["430102", "000000"], ["E-001_a", "SIM-0001", String(repeating: "x", count: 64)], ["telemetry", "event", "stats", "status", "replay"]]
            let count = [3, 4, 4, 4, 4, 5].randomElement(using: &g)!
            let topic = (0..<count).map { level in
                level < 4 && Int.random(in: 0..<6, using: &g) > 0 ? levels[level].randomElement(using: &g)! : pieces.randomElement(using: &g)!
            }.joined(separator: "/")
            let general = LiftTopic.parseInGeneral(topic)
            let plain = Array(topic.utf8).withUnsafeBufferPointer(LiftTopic.plain)
            switch general {
            case .success(let parsed): accepted += 1; #expect(plain == parsed, "\(topic)")
            case .failure: #expect(plain == nil, "\(topic)")
            }
            #expect(LiftTopic.parse(topic) == general, "\(topic)")
        }
        #expect(accepted > 5_000)
    }

    @Test("the standard numbering is 1…22 in the spec's order, with the spec's classes")
    func numbering() {
        #expect(FaultKey.allCases.count == 22)
        #expect(FaultKey.overtravelTop.standardNumber == 1)
        #expect(FaultKey.entrapmentBetweenFloors.standardNumber == 8)
        #expect(FaultKey.batteryLow.standardNumber == 22)
        #expect(FaultKey.brakeFault.baseClass == .safety)
        #expect(FaultKey.entrapmentAtFloor.baseClass == .rescue)
        #expect(FaultKey.powerFailure.baseClass == .repair)
        #expect(FaultKey.alarmButton.baseClass == .minor)
    }
}

@Suite("Topic filters")
struct TopicFilterTests {
    @Test("wildcards are whole levels, '#' only last; anything else is refused with why")
    func filters() {
        for good in ["lift/+/+/telemetry", "lift/4301/+/event", "lift/#", "#", "+", "lift/430102/E1/status", "$share/g/lift/+/+/event"] {
            #expect(TopicFilter.problem(good) == nil, "\(good)")
        }
        for bad in ["lift/4301+/+/telemetry", "lift/#/event", "lift/+/E1#", "", "lift/+a/x", "a\u{0}b"] {
            #expect(TopicFilter.problem(bad) != nil, "\(bad)")
        }
    }
}
