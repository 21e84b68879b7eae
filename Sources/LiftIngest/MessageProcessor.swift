import LiftCore
import LiftStore

/// Turns received messages into an `IngestBatch`: validates, resolves the elevator, tracks `seq`, decides a raised
/// fault's class from the car's latest state, applies the per-elevator limits, and sends everything unusable to the
/// dead letters with its reason. No I/O but registry reloads and, after a restart, a car's last stored sample.
struct MessageProcessor {
    let database: LiftDatabase
    let decoder = PayloadDecoder()
    let faultCodeMaps: [String: FaultCodeMap]
    var directory: ElevatorDirectory
    var tracker: SequenceTracker
    /// Replays of dead letters add to the store but leave `seq` tracking to live traffic.
    var trackSequence = true
    /// Events and dead letters one controller may add.
    var limits: IngestLimits
    /// The latest occupancy and motion heard from each elevator (one entry per registered elevator at most).
    private(set) var carStates: [Int64: CarState] = [:]
    /// Raised faults whose class telemetry still on its way may change: one per elevator, for
    /// `FaultAssessment.revisionWindowMs` after its arrival.
    private var provisional: [Int64: IngestBatch.Item<ElevatorEvent>] = [:]
    /// When the store was last asked for an elevator's car state (one entry per registered elevator at most).
    private var carStateLookups: [Int64: Int64] = [:]
    /// Dead letters counted but not kept (past `limits`), since the last `takeDroppedDeadLetters()`.
    private(set) var droppedDeadLetters = 0

    init(
        database: LiftDatabase, faultCodeMaps: [String: FaultCodeMap], directory: ElevatorDirectory, tracker: SequenceTracker,
        trackSequence: Bool = true, limits: IngestLimits = IngestLimits()
    ) {
        self.database = database
        self.faultCodeMaps = faultCodeMaps
        self.directory = directory
        self.tracker = tracker
        self.trackSequence = trackSequence
        self.limits = limits
    }

    /// Adds one message to `batch`. Returns the rejection when the message went to the dead letters.
    @discardableResult
    mutating func process(topic: String, payload: [UInt8], receivedAt: Int64, into batch: inout IngestBatch) -> Rejection? {
        let parsed: LiftTopic
        switch LiftTopic.parse(topic) {
        case .success(let topic): parsed = topic
        case .failure(let rejection):
            keep(NewDeadLetter(topic: topic, payload: clipped(payload), receivedAt: receivedAt, rejection: rejection), into: &batch)
            return rejection
        }
        if parsed.kind == .replay { return nil }  // our own requests, seen through a wide filter
        guard let elevator = directory.lookup(parsed.elevatorID, database: database, now: receivedAt) else {
            let rejection = Rejection(.unregistered, "elevator \(parsed.elevatorID) is not registered")
            keep(NewDeadLetter(topic: topic, payload: clipped(payload), receivedAt: receivedAt, rejection: rejection, elevatorID: parsed.elevatorID),
                 into: &batch)
            return rejection
        }
        // The lookup may have reloaded the registry (an elevator new to it): a terminal replaced meanwhile
        // starts its tracking afresh before its first message, or the jump to the new offset counts as lost.
        if directory.hasOffsetChanges { for key in directory.takeOffsetChanges() { tracker.forget(elevator: key) } }
        batch.counters[elevator.key, default: CounterDelta()].received += 1
        batch.lastSeen[elevator.key] = max(batch.lastSeen[elevator.key] ?? 0, receivedAt)
        guard elevator.region == parsed.region else {
            return reject(
                Rejection(.region, "topic region \(parsed.region) is not \(parsed.elevatorID)'s registered region \(elevator.region)"),
                topic: topic, payload: payload, receivedAt: receivedAt, elevator: elevator, into: &batch)
        }
        let decoded: LiftPayload
        do throws(Rejection) {
            decoded = try decoder.decode(
                kind: parsed.kind, payload: payload, faultCodes: faultCodeMaps[elevator.platform] ?? .standard, now: receivedAt
            ).offsettingSeq(by: elevator.seqOffset)
        } catch {
            return reject(error, topic: topic, payload: payload, receivedAt: receivedAt, elevator: elevator, into: &batch)
        }
        if case .event(let event) = decoded,
            !limits.admitEvent(elevator: elevator.key, signature: "\(event.kind.rawValue)/\(event.code)/\(event.state?.rawValue ?? "")", at: receivedAt)
        {
            return reject(
                Rejection(.rateLimited, "\(elevator.elevatorID) sent more than \(limits.policy.eventsPerMinute) events a minute; this one repeats a recent event"),
                topic: topic, payload: payload, receivedAt: receivedAt, elevator: elevator, into: &batch)
        }
        for seq in decoded.sequenceNumbers { observe(seq, elevator: elevator.key, at: receivedAt, into: &batch) }
        func item<Value>(_ value: Value) -> IngestBatch.Item<Value> {
            IngestBatch.Item(elevator: elevator.key, elevatorID: elevator.elevatorID, region: elevator.region, value: value, receivedAt: receivedAt)
        }
        switch decoded {
        case .telemetry(let samples, let rejected):
            // One at a time: `append(contentsOf: samples.map(item))` made an array per message.
            for sample in samples {
                batch.telemetry.append(item(sample))
                if sample.occupied != nil || sample.speed != nil || sample.direction != nil {
                    carStates[elevator.key, default: CarState()].merge(sample, receivedAt: receivedAt)
                    if provisional[elevator.key] != nil { revise(elevator.key, at: receivedAt, into: &batch) }
                }
            }
            if !rejected.isEmpty {
                let reasons = rejected.map { "sample \($0.index)\($0.seq.map { " (seq \($0))" } ?? ""): \($0.rejection.message)" }
                let rejection = Rejection(rejected[0].rejection.reason, reasons.joined(separator: "; "))
                batch.counters[elevator.key, default: CounterDelta()].rejected += 1
                keep(NewDeadLetter(
                    topic: topic, payload: clipped(payload), receivedAt: receivedAt, rejection: rejection,
                    elevatorID: elevator.elevatorID, elevator: elevator.key), into: &batch)
                return rejection
            }
        case .event(var event):
            assess(&event, elevator: elevator.key, receivedAt: receivedAt)
            let stored = item(event)
            batch.events.append(stored)
            if event.assessment?.provisional == true, event.assessment?.faultClass != .rescue { provisional[elevator.key] = stored }
        case .stats(let stats): batch.stats.append(item(stats))
        case .status(let status): batch.statuses.append(item(status))
        }
        return nil
    }

    /// Decides a raised fault's class (v1.1 §11.2) from the event and the car's latest state: the one heard by this
    /// process, else (after a restart) the last sample stored.
    mutating func assess(_ event: inout ElevatorEvent, elevator: Int64, receivedAt: Int64) {
        guard let fault = event.raisedFault else { return }
        var latest = carStates[elevator]
        // After a restart nothing is in memory: the last stored sample, read at most once a minute per elevator (an
        // elevator whose telemetry never says it would otherwise cost a scan of its hot rows per event).
        if latest == nil, FaultAssessment.needsCarState(fault, event: event), carStateLookups[elevator].map({ receivedAt - $0 > 60_000 }) ?? true {
            carStateLookups[elevator] = receivedAt
            latest = try? database.latestCarState(elevator: elevator)
            if let latest { carStates[elevator] = latest }
        }
        event.assessment = FaultAssessment.assess(fault, event: event, arrivedAt: receivedAt, latest: latest)
    }

    /// Decides a provisional fault's class again from the car's state now known; when it became more urgent (a
    /// rescue), the fault goes on in `batch.reassessed` for its ticket to be escalated.
    private mutating func revise(_ elevator: Int64, at now: Int64, into batch: inout IngestBatch) {
        guard let original = provisional[elevator], let fault = original.value.raisedFault, let before = original.value.assessment else { return }
        guard now - original.receivedAt <= FaultAssessment.revisionWindowMs else {
            provisional[elevator] = nil
            return
        }
        var revised = FaultAssessment.assess(
            fault, event: original.value, arrivedAt: original.receivedAt, latest: carStates[elevator], laterBy: FaultAssessment.revisionWindowMs)
        guard TicketType(faultClass: revised.faultClass).priority < TicketType(faultClass: before.faultClass).priority else {
            if !revised.provisional { provisional[elevator] = nil }
            return
        }
        revised.revised = true
        var item = original
        item.value.assessment = revised
        batch.reassessed.append(item)
        provisional[elevator] = nil
    }

    /// Whether an event's class waits on the car's state (telemetry still on its way may tell it).
    static func needsCarState(_ item: IngestBatch.Item<ElevatorEvent>) -> Bool {
        guard let fault = item.value.raisedFault else { return false }
        return FaultAssessment.needsCarState(fault, event: item.value)
    }

    /// Picks up registry changes; a replaced terminal starts its elevator's `seq` tracking afresh.
    mutating func refreshRegistry(now: Int64) {
        for key in directory.refreshIfChanged(from: database, now: now) { tracker.forget(elevator: key) }
    }

    /// The count of dead letters not kept since the last call.
    mutating func takeDroppedDeadLetters() -> Int {
        defer { droppedDeadLetters = 0 }
        return droppedDeadLetters
    }

    private mutating func reject(
        _ rejection: Rejection, topic: String, payload: [UInt8], receivedAt: Int64, elevator: ElevatorDirectory.Entry,
        into batch: inout IngestBatch
    ) -> Rejection {
        batch.counters[elevator.key, default: CounterDelta()].rejected += 1
        // A bad message still used up its seq: counting it as received keeps it from looking like a gap.
        for seq in decoder.sequenceNumbers(in: payload) {
            if let stored = try? LiftPayload.offset(seq, by: elevator.seqOffset) { observe(stored, elevator: elevator.key, at: receivedAt, into: &batch) }
        }
        keep(NewDeadLetter(
            topic: topic, payload: clipped(payload), receivedAt: receivedAt, rejection: rejection,
            elevatorID: elevator.elevatorID, elevator: elevator.key), into: &batch)
        return rejection
    }

    /// Keeps a dead letter with its bytes, or only counts it when its sender is past its limit.
    private mutating func keep(_ letter: NewDeadLetter, into batch: inout IngestBatch) {
        if limits.admitDeadLetter(elevator: letter.elevator, at: letter.receivedAt) {
            batch.deadLetters.append(letter)
        } else {
            droppedDeadLetters += 1
        }
    }

    private mutating func observe(_ seq: UInt64, elevator: Int64, at now: Int64, into batch: inout IngestBatch) {
        guard trackSequence else { return }
        switch tracker.observe(elevator: elevator, seq: seq, now: now) {
        case .gapOpened:
            // Lost counts are added when `maintenance` gives a gap up, including oversized ones.
            batch.counters[elevator, default: CounterDelta()].gaps += 1
        case .filledGap(let requested):
            if requested { batch.counters[elevator, default: CounterDelta()].replayed += 1 }
        case .first, .inOrder, .seenBefore:
            break
        }
    }

    /// Dead letters keep at most the contract's 64 KiB of an oversized payload.
    private func clipped(_ payload: [UInt8]) -> [UInt8] {
        payload.count <= PayloadDecoder.maximumPayloadSize ? payload : Array(payload.prefix(PayloadDecoder.maximumPayloadSize))
    }
}
