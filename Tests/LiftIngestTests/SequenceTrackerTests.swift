import LiftStore
import Testing
@testable import LiftIngest

@Suite("Sequence tracking")
struct SequenceTrackerTests {
    @Test("the first seq is a baseline; a jump opens a gap; late messages split it")
    func gapsOpenAndSplit() {
        var tracker = SequenceTracker()
        #expect(tracker.observe(elevator: 1, seq: 100, now: 0) == .first)
        #expect(tracker.observe(elevator: 1, seq: 101, now: 0) == .inOrder)
        #expect(tracker.observe(elevator: 1, seq: 106, now: 5) == .gapOpened(SequenceGap(from: 102, to: 105, openedAt: 5)))
        #expect(tracker.observe(elevator: 1, seq: 104, now: 6) == .filledGap(requested: false))
        #expect(tracker.states[1]?.gaps.map { [$0.from, $0.to] } == [[102, 103], [105, 105]])
        #expect(tracker.observe(elevator: 1, seq: 101, now: 7) == .seenBefore)
    }

    @Test("requests wait for the first delay, repeat at the interval, respect the budget; old gaps are lost")
    func maintenancePolicy() {
        let policy = SequenceTracker.Policy(firstRequestDelayMs: 1_000, requestIntervalMs: 10_000, maximumRequestsPerPass: 1, gapTimeoutMs: 60_000)
        var tracker = SequenceTracker(policy: policy)
        _ = tracker.observe(elevator: 1, seq: 1, now: 0)
        _ = tracker.observe(elevator: 1, seq: 5, now: 0)
        _ = tracker.observe(elevator: 2, seq: 1, now: 0)
        _ = tracker.observe(elevator: 2, seq: 9, now: 0)
        #expect(tracker.maintenance(now: 500).requests.isEmpty)
        #expect(tracker.maintenance(now: 1_000).requests.map(\.elevator) == [1], "budget of one per pass")
        #expect(tracker.maintenance(now: 1_001).requests.map(\.elevator) == [2])
        #expect(tracker.maintenance(now: 5_000).requests.isEmpty, "interval not yet passed")
        #expect(tracker.maintenance(now: 11_000).requests.count == 1)
        let (_, lost) = tracker.maintenance(now: 60_000)
        #expect(lost.map(\.gap.count) == [3, 7])
        #expect(tracker.states[1]?.gaps.isEmpty == true)
    }

    @Test("a jump beyond the maximum gap size is lost at once rather than asked for")
    func oversizedGap() {
        var tracker = SequenceTracker(policy: .init(maximumGapSize: 10))
        _ = tracker.observe(elevator: 1, seq: 1, now: 0)
        _ = tracker.observe(elevator: 1, seq: 1_000, now: 0)
        #expect(tracker.states[1]?.gaps.isEmpty == true)
        let (requests, lost) = tracker.maintenance(now: 0)
        #expect(requests.isEmpty && lost.first?.gap.count == 998)
    }

    @Test("only elevators with open gaps are asked for, in elevator order, including gaps restored from the store")
    func maintenanceFollowsOpenGaps() {
        let policy = SequenceTracker.Policy(firstRequestDelayMs: 0, requestIntervalMs: 1, maximumRequestsPerPass: 100)
        let restored = SequenceState(highSeq: 50, gaps: [SequenceGap(from: 40, to: 41, openedAt: 0)])
        var tracker = SequenceTracker(states: [7: restored, 8: SequenceState(highSeq: 9)], policy: policy)
        for elevator: Int64 in [30, 20, 10] {
            _ = tracker.observe(elevator: elevator, seq: 1, now: 0)
            _ = tracker.observe(elevator: elevator, seq: 4, now: 0)
        }
        #expect(tracker.maintenance(now: 10).requests.map(\.elevator) == [7, 10, 20, 30])
        // Elevator 20's gap filled, elevator 7's too: neither is asked for again; a new gap of 20 is.
        _ = tracker.observe(elevator: 20, seq: 2, now: 11)
        _ = tracker.observe(elevator: 20, seq: 3, now: 11)
        _ = tracker.observe(elevator: 7, seq: 40, now: 11)
        _ = tracker.observe(elevator: 7, seq: 41, now: 11)
        #expect(tracker.maintenance(now: 20).requests.map(\.elevator) == [10, 30])
        _ = tracker.observe(elevator: 20, seq: 8, now: 21)
        #expect(tracker.maintenance(now: 30).requests.map { [$0.elevator, Int64($0.gap.from), Int64($0.gap.to)] } == [[10, 2, 3], [20, 5, 7], [30, 2, 3]])
        tracker.forget(elevator: 30)
        #expect(tracker.maintenance(now: 40).requests.map(\.elevator) == [10, 20])
    }

    @Test("forgetting an elevator is persisted as a reset, and its next seq is a new baseline")
    func forgetIsPersisted() {
        var tracker = SequenceTracker()
        _ = tracker.observe(elevator: 5, seq: 1, now: 0)
        _ = tracker.observe(elevator: 5, seq: 9, now: 0)
        _ = tracker.takeDirty()
        tracker.forget(elevator: 5)
        #expect(tracker.takeDirty() == [5: SequenceState(gapsChanged: true, isReset: true)])
        #expect(tracker.observe(elevator: 5, seq: 1_000_001, now: 1) == .first)
        #expect(tracker.takeDirty() == [5: SequenceState(highSeq: 1_000_001)])
    }
}
