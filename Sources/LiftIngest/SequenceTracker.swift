import LiftCore
import LiftStore

/// Per-elevator `seq` bookkeeping: detects gaps, notices when they fill, decides when to ask for a replay and
/// when to give a gap up as lost. Pure state: time comes in as arguments, nothing is sent from here.
public struct SequenceTracker: Sendable {
    /// When and how often to ask for missing messages, and when to give up.
    public struct Policy: Sendable, Hashable {
        /// Wait this long after a gap opens before asking: out-of-order messages often fill it by themselves.
        public var firstRequestDelayMs: Int64
        /// Ask again for the same gap no sooner than this.
        public var requestIntervalMs: Int64
        /// At most this many replay requests per maintenance pass (the pass runs about once a second).
        public var maximumRequestsPerPass: Int
        /// A gap still open after this long is recorded as lost.
        public var gapTimeoutMs: Int64
        /// A jump larger than this is not asked for (a controller reset, not a network loss): recorded lost at once.
        public var maximumGapSize: UInt64

        public init(
            firstRequestDelayMs: Int64 = 2_000, requestIntervalMs: Int64 = 30_000, maximumRequestsPerPass: Int = 20,
            gapTimeoutMs: Int64 = 600_000, maximumGapSize: UInt64 = 100_000
        ) {
            self.firstRequestDelayMs = firstRequestDelayMs
            self.requestIntervalMs = requestIntervalMs
            self.maximumRequestsPerPass = maximumRequestsPerPass
            self.gapTimeoutMs = gapTimeoutMs
            self.maximumGapSize = maximumGapSize
        }
    }

    /// What one arriving seq means.
    public enum Observation: Sendable, Hashable {
        /// The first seq heard from this elevator: the baseline, nothing before it is asked for.
        case first
        /// The next expected seq.
        case inOrder
        /// A jump: the range between was opened as a gap (or recorded lost when too large).
        case gapOpened(SequenceGap)
        /// It filled (part of) an open gap; `requested` tells whether a replay had been asked for.
        case filledGap(requested: Bool)
        /// At or below the highest seq and in no gap: already received, most likely a duplicate.
        case seenBefore
    }

    public private(set) var states: [Int64: SequenceState]
    /// Elevators whose state changed since `takeDirty()`.
    private var dirty: Set<Int64> = []
    /// Elevators with open gaps: the only ones `maintenance` looks at (it runs every second; a province's fleet
    /// is a hundred thousand states, nearly all without a gap).
    private var withGaps: Set<Int64>
    /// Gaps too large to ask for, waiting to be recorded lost.
    private var pendingLost: [LostRange] = []
    public let policy: Policy

    public init(states: [Int64: SequenceState] = [:], policy: Policy = Policy()) {
        self.states = states
        self.policy = policy
        withGaps = Set(states.compactMap { $0.value.gaps.isEmpty ? nil : $0.key })
    }

    public mutating func observe(elevator: Int64, seq: UInt64, now: Int64) -> Observation {
        var state = states[elevator] ?? SequenceState()
        defer { states[elevator] = state }
        guard let high = state.highSeq else {
            state.highSeq = seq
            dirty.insert(elevator)
            return .first
        }
        if seq == high &+ 1 {
            state.highSeq = seq
            dirty.insert(elevator)
            return .inOrder
        }
        if seq > high {
            let gap = SequenceGap(from: high + 1, to: seq - 1, openedAt: now)
            state.highSeq = seq
            dirty.insert(elevator)
            if gap.count > policy.maximumGapSize {
                pendingLost.append(LostRange(elevator: elevator, gap: gap, lostAt: now))
            } else {
                state.gaps.append(gap)
                state.gapsChanged = true
                withGaps.insert(elevator)
            }
            return .gapOpened(gap)
        }
        guard let index = state.gaps.firstIndex(where: { $0.from <= seq && seq <= $0.to }) else {
            return .seenBefore
        }
        dirty.insert(elevator)
        let gap = state.gaps.remove(at: index)
        var pieces: [SequenceGap] = []
        if gap.from < seq { pieces.append(SequenceGap(from: gap.from, to: seq - 1, openedAt: gap.openedAt, lastRequestAt: gap.lastRequestAt, requests: gap.requests)) }
        if seq < gap.to { pieces.append(SequenceGap(from: seq + 1, to: gap.to, openedAt: gap.openedAt, lastRequestAt: gap.lastRequestAt, requests: gap.requests)) }
        state.gaps.insert(contentsOf: pieces, at: index)
        state.gapsChanged = true
        if state.gaps.isEmpty { withGaps.remove(elevator) }
        return .filledGap(requested: gap.requests > 0)
    }

    /// Gaps to ask for now (respecting delay, interval and the per-pass budget), and gaps given up as lost.
    public mutating func maintenance(now: Int64) -> (requests: [(elevator: Int64, gap: SequenceGap)], lost: [LostRange]) {
        var requests: [(Int64, SequenceGap)] = []
        var lost = pendingLost
        pendingLost = []
        for elevator in withGaps.sorted() {
            guard var state = states[elevator], !state.gaps.isEmpty else {
                withGaps.remove(elevator)
                continue
            }
            var kept: [SequenceGap] = []
            var changed = false
            for var gap in state.gaps {
                if now - gap.openedAt >= policy.gapTimeoutMs {
                    lost.append(LostRange(elevator: elevator, gap: gap, lostAt: now))
                    changed = true
                    continue
                }
                let due = gap.lastRequestAt.map { now - $0 >= policy.requestIntervalMs } ?? (now - gap.openedAt >= policy.firstRequestDelayMs)
                if due && requests.count < policy.maximumRequestsPerPass {
                    gap.lastRequestAt = now
                    gap.requests += 1
                    requests.append((elevator, gap))
                    changed = true
                }
                kept.append(gap)
            }
            if changed {
                state.gaps = kept
                state.gapsChanged = true
                states[elevator] = state
                dirty.insert(elevator)
                if kept.isEmpty { withGaps.remove(elevator) }
            }
        }
        return (requests, lost)
    }

    /// Drops an elevator's state and open gaps: its next seq is a new baseline (a replaced terminal). The reset
    /// is persisted with the next batch, so that gaps or a high seq a batch in flight wrote back after the
    /// replacement cleared them do not outlive it (nor come back at the next start).
    public mutating func forget(elevator: Int64) {
        states[elevator] = SequenceState(gapsChanged: true, isReset: true)
        dirty.insert(elevator)
        withGaps.remove(elevator)
        pendingLost.removeAll { $0.elevator == elevator }
    }

    /// The states changed since the last call, to persist with the batch.
    public mutating func takeDirty() -> [Int64: SequenceState] {
        defer { dirty.removeAll(keepingCapacity: true) }
        var changed: [Int64: SequenceState] = [:]
        for elevator in dirty {
            changed[elevator] = states[elevator]
            states[elevator]?.gapsChanged = false
            states[elevator]?.isReset = false
        }
        return changed
    }
}
