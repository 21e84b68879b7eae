import Testing
@testable import LiftCore

/// v1.1 §11.2: a power failure or an alarm is a rescue from the car's real state, said by the event or, when it is
/// silent, by the latest telemetry received within 5 minutes.
@Suite("Fault class from the car's state")
struct FaultAssessmentTests {
    static let t: Int64 = 1_795_000_000_000

    func event(_ fault: FaultKey, occupied: Bool? = nil, speed: Double? = nil) -> ElevatorEvent {
        ElevatorEvent(seq: 9, ts: Self.t, kind: fault == .alarmButton ? .alarm : .fault, code: fault.rawValue, fault: fault, state: .raised,
                      occupied: occupied, speed: speed)
    }

    func car(occupied: Bool?, speed: Double?, direction: Direction? = nil, secondsBefore: Int64) -> CarState {
        CarState(occupied: occupied, speed: speed, direction: direction, ts: Self.t - secondsBefore * 1000, receivedAt: Self.t - secondsBefore * 1000)
    }

    func assess(_ event: ElevatorEvent, _ latest: CarState?) -> FaultClass {
        FaultAssessment.assess(event.fault!, event: event, arrivedAt: Self.t, latest: latest).faultClass
    }

    @Test("the event's own fields decide: occupied power failure and stopped occupied alarm are rescues")
    func eventFieldsDecide() {
        #expect(assess(event(.powerFailure, occupied: true), nil) == .rescue)
        #expect(assess(event(.powerFailure, occupied: false), nil) == .repair)
        #expect(assess(event(.alarmButton, occupied: true, speed: 0), nil) == .rescue)
        #expect(assess(event(.alarmButton, occupied: true, speed: 1.0), nil) == .minor)
        #expect(assess(event(.alarmButton, occupied: false, speed: 0), nil) == .minor)
        // The event's fields win over telemetry that says otherwise.
        #expect(assess(event(.powerFailure, occupied: false), car(occupied: true, speed: 0, secondsBefore: 5)) == .repair)
        #expect(assess(event(.alarmButton, occupied: true, speed: 1.2), car(occupied: true, speed: 0, secondsBefore: 5)) == .minor)
    }

    @Test("an event that says nothing of the car takes occupancy and motion from telemetry of the last 5 minutes")
    func telemetryFillsIn() {
        #expect(assess(event(.powerFailure), car(occupied: true, speed: 0, secondsBefore: 10)) == .rescue)
        #expect(assess(event(.powerFailure), car(occupied: false, speed: 0, secondsBefore: 10)) == .repair)
        #expect(assess(event(.alarmButton), car(occupied: true, speed: 0, secondsBefore: 10)) == .rescue)
        #expect(assess(event(.alarmButton), car(occupied: true, speed: 1.0, secondsBefore: 10)) == .minor)
        #expect(assess(event(.alarmButton), car(occupied: true, speed: nil, direction: .idle, secondsBefore: 10)) == .rescue)
        #expect(assess(event(.alarmButton), car(occupied: true, speed: nil, direction: .up, secondsBefore: 10)) == .minor)
        // Each field separately: the event says occupied, telemetry says moving.
        #expect(assess(event(.alarmButton, occupied: true), car(occupied: false, speed: 1.5, secondsBefore: 3)) == .minor)
        #expect(assess(event(.alarmButton, speed: 0), car(occupied: true, speed: 1.5, secondsBefore: 3)) == .rescue)
    }

    @Test("telemetry older than 5 minutes says nothing; with the car's state unknown the base class stands")
    func staleTelemetry() {
        #expect(assess(event(.powerFailure), car(occupied: true, speed: 0, secondsBefore: 301)) == .repair)
        #expect(assess(event(.powerFailure), car(occupied: true, speed: 0, secondsBefore: 300)) == .rescue)
        #expect(assess(event(.alarmButton), nil) == .minor)
        #expect(assess(event(.powerFailure), nil) == .repair)
    }

    @Test("an occupied car whose motion nothing tells: the alarm is taken as a rescue")
    func occupiedMotionUnknown() {
        let assessment = FaultAssessment.assess(.alarmButton, event: event(.alarmButton, occupied: true), arrivedAt: Self.t, latest: nil)
        #expect(assessment.faultClass == .rescue)
        #expect(assessment.stopped == nil)
        #expect(assessment.basis == "occupied true (event), motion unknown")
    }

    @Test("other faults keep their class whatever the car")
    func otherFaults() {
        for fault in FaultKey.allCases where fault != .powerFailure && fault != .alarmButton {
            #expect(FaultAssessment.assess(fault, event: event(fault), arrivedAt: Self.t, latest: car(occupied: true, speed: 0, secondsBefore: 1)).faultClass == fault.baseClass)
        }
    }
}
