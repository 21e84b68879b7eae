import LiftCore

/// Everything one ingestion step commits in a single transaction.
///
/// Built by LiftIngest from a run of received messages; `LiftDatabase.commit(_:)` writes it atomically, so a
/// crash leaves either all of it or none.
public struct IngestBatch: Sendable {
    public var telemetry: [Item<TelemetrySample>] = []
    public var events: [Item<ElevatorEvent>] = []
    public var stats: [Item<CounterStats>] = []
    public var statuses: [Item<StatusReport>] = []
    public var deadLetters: [NewDeadLetter] = []
    /// Counter increments per elevator key (duplicates are counted by the store itself).
    public var counters: [Int64: CounterDelta] = [:]
    /// Sequence state per elevator key that changed in this batch: the highest seq and the open gaps.
    public var sequenceStates: [Int64: SequenceState] = [:]
    /// Gaps given up on in this batch.
    public var lostRanges: [LostRange] = []
    /// Latest arrival per elevator key.
    public var lastSeen: [Int64: Int64] = [:]
    /// Raised faults already stored whose class telemetry received after them changed (see `FaultAssessment.revised`).
    public var reassessed: [Item<ElevatorEvent>] = []
    /// Dead letters replayed in this batch, with what became of them. `at` is nil when the replay was
    /// rejected again: the letter stays pending.
    public var replayedDeadLetters: [(id: Int64, outcome: String, at: Int64?)] = []

    public init() {}

    public var isEmpty: Bool {
        telemetry.isEmpty && events.isEmpty && stats.isEmpty && statuses.isEmpty && deadLetters.isEmpty
            && counters.isEmpty && sequenceStates.isEmpty && lostRanges.isEmpty && lastSeen.isEmpty
            && replayedDeadLetters.isEmpty && reassessed.isEmpty
    }

    /// A decoded value bound for the store, with its elevator and arrival time.
    public struct Item<Value: Sendable>: Sendable {
        public var elevator: Int64
        public var elevatorID: String
        public var region: String
        public var value: Value
        public var receivedAt: Int64

        public init(elevator: Int64, elevatorID: String, region: String, value: Value, receivedAt: Int64) {
            self.elevator = elevator
            self.elevatorID = elevatorID
            self.region = region
            self.value = value
            self.receivedAt = receivedAt
        }
    }
}

/// Increments of an elevator's ingestion counters.
public struct CounterDelta: Sendable, Hashable, Codable {
    public var received = 0
    public var rejected = 0
    public var gaps = 0
    public var replayed = 0
    public var lost = 0
    public init() {}
}

/// An elevator's seq bookkeeping: highest seq seen and the ranges still missing.
public struct SequenceState: Sendable, Hashable {
    public var highSeq: UInt64?
    public var gaps: [SequenceGap]
    /// Whether `gaps` changed since the state was last persisted (the commit rewrites them only then).
    public var gapsChanged: Bool
    /// Tracking started afresh (a replaced terminal): while `highSeq` is nil the commit clears the stored one.
    public var isReset: Bool

    public init(highSeq: UInt64? = nil, gaps: [SequenceGap] = [], gapsChanged: Bool = false, isReset: Bool = false) {
        self.highSeq = highSeq
        self.gaps = gaps
        self.gapsChanged = gapsChanged
        self.isReset = isReset
    }
}

/// A missing range of seq numbers, inclusive.
public struct SequenceGap: Sendable, Hashable, Codable {
    public var from: UInt64
    public var to: UInt64
    public var openedAt: Int64
    public var lastRequestAt: Int64?
    public var requests: Int

    public init(from: UInt64, to: UInt64, openedAt: Int64, lastRequestAt: Int64? = nil, requests: Int = 0) {
        self.from = from
        self.to = to
        self.openedAt = openedAt
        self.lastRequestAt = lastRequestAt
        self.requests = requests
    }

    public var count: UInt64 { to - from + 1 }
}

/// A gap recorded as lost data.
public struct LostRange: Sendable, Hashable, Codable {
    public var elevator: Int64
    public var gap: SequenceGap
    public var lostAt: Int64

    public init(elevator: Int64, gap: SequenceGap, lostAt: Int64) {
        self.elevator = elevator
        self.gap = gap
        self.lostAt = lostAt
    }
}

/// A message that cannot be used, about to be kept.
public struct NewDeadLetter: Sendable, Hashable {
    public var topic: String
    public var payload: [UInt8]
    public var receivedAt: Int64
    public var rejection: Rejection
    /// The elevator named by the topic, when the topic could be read.
    public var elevatorID: String?
    /// Its compact key, when registered (to count the rejection).
    public var elevator: Int64?

    public init(topic: String, payload: [UInt8], receivedAt: Int64, rejection: Rejection, elevatorID: String? = nil, elevator: Int64? = nil) {
        self.topic = topic
        self.payload = payload
        self.receivedAt = receivedAt
        self.rejection = rejection
        self.elevatorID = elevatorID
        self.elevator = elevator
    }
}

/// What a commit stored.
public struct IngestCommitResult: Sendable {
    /// Events stored for the first time (duplicates left out): these act, for example open tickets.
    public var newEvents: [IngestBatch.Item<ElevatorEvent>] = []
    /// Stored faults whose class was revised in this batch, to hand on as `newEvents` are.
    public var reassessed: [IngestBatch.Item<ElevatorEvent>] = []
    /// Messages that were stored already, per elevator key.
    public var duplicates: [Int64: Int] = [:]
    public var storedTelemetry = 0
    public init() {}

    /// Adds what another part of the same batch stored.
    public mutating func add(_ other: IngestCommitResult) {
        newEvents += other.newEvents
        reassessed += other.reassessed
        duplicates.merge(other.duplicates, uniquingKeysWith: +)
        storedTelemetry += other.storedTelemetry
    }
}
