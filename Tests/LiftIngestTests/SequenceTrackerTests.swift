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
}
