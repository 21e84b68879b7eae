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
        let at = Self.t - secondsBefore * 1000
        return CarState(occupied: occupied, occupiedAt: occupied.map { _ in at }, speed: speed, direction: direction,
                        motionAt: speed != nil || direction != nil ? at : nil)
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

    @Test("the car's state is merged field by field in order of arrival, never by the controller's clock")
    func stateMergesByArrival() {
        var state = CarState()
        // Occupancy every 30 s, motion every second: motion samples do not erase occupancy.
        state.merge(TelemetrySample(seq: 1, ts: Self.t, occupied: true), receivedAt: Self.t - 20_000)
        for second in 0..<10 {
            state.merge(TelemetrySample(seq: UInt64(2 + second), ts: Self.t, direction: .idle, speed: 0), receivedAt: Self.t - Int64(10 - second) * 1000)
        }
        #expect(state.occupied == true && state.stopped == true)
        #expect(assess(event(.alarmButton), state) == .rescue)
        // A sample stamped a day ahead by a wrong clock, received earlier, does not hide the later ones.
        var skewed = CarState()
        skewed.merge(TelemetrySample(seq: 1, ts: Self.t + 23 * 3_600_000, speed: 1.5, occupied: false), receivedAt: Self.t - 60_000)
        skewed.merge(TelemetrySample(seq: 2, ts: Self.t, speed: 0, occupied: true), receivedAt: Self.t - 1_000)
        #expect(skewed.occupied == true && skewed.stopped == true)
        // An older arrival cannot replace a newer one.
        skewed.merge(TelemetrySample(seq: 3, ts: Self.t, speed: 2, occupied: false), receivedAt: Self.t - 30_000)
        #expect(skewed.occupied == true && skewed.stopped == true)
    }

    @Test("other faults keep their class whatever the car")
    func otherFaults() {
        for fault in FaultKey.allCases where fault != .powerFailure && fault != .alarmButton {
            #expect(FaultAssessment.assess(fault, event: event(fault), arrivedAt: Self.t, latest: car(occupied: true, speed: 0, secondsBefore: 1)).faultClass == fault.baseClass)
        }
    }
}
