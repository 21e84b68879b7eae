import Testing
@testable import LiftCore

@Suite("Topics and fault taxonomy")
struct TopicAndTaxonomyTests {
    @Test("controller topics parse; anything else says why not")
    func topics() {
        #expect(LiftTopic("lift/430102/E-001_a/telemetry") == LiftTopic(region: "430102", elevatorID: "E-001_a", kind: .telemetry))
        #expect(LiftTopic("lift/430102/E1/status")?.kind == .status)
        for bad in ["lift/4301/E1/telemetry", "lift/430102/E1", "lift/430102/E1/telemetry/x", "elevator/430102/E1/event",
                    "lift/430102/E 1/event", "lift/430102/E1/gossip", "lift/430102//event"] {
            guard case .failure(let rejection) = LiftTopic.parse(bad) else { Issue.record("accepted \(bad)"); continue }
            #expect([.topic, .region].contains(rejection.reason))
        }
    }

    @Test("the standard numbering is 1…22 in the spec's order, with the spec's classes")
    func numbering() {
        #expect(FaultKey.allCases.count == 22)
        #expect(FaultKey.overtravelTop.standardNumber == 1)
        #expect(FaultKey.entrapmentBetweenFloors.standardNumber == 8)
        #expect(FaultKey.batteryLow.standardNumber == 22)
        #expect(FaultKey.brakeFault.baseClass == .safety)
        #expect(FaultKey.powerFailure.faultClass(occupied: true, carStopped: nil) == .rescue)
        #expect(FaultKey.powerFailure.faultClass(occupied: false, carStopped: nil) == .repair)
        #expect(FaultKey.alarmButton.faultClass(occupied: true, carStopped: true) == .rescue)
        #expect(FaultKey.alarmButton.faultClass(occupied: true, carStopped: false) == .minor)
    }
}
