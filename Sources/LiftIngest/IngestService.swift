import AsyncAlgorithms
import Foundation
import LiftCore
import LiftMQTT
import LiftStore
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Takes controller messages from the MQTT client and commits them to the store, in batches.
///
/// Each pass takes every message waiting (up to `batchSize`), validates them, and commits them in one
/// transaction. Committed events that are new (not duplicates) go to `onCommittedEvents`. About once a second,
/// gaps are checked: replay requests are published on `lift/{region}/{elevator_id}/replay` and gaps past their
/// timeout are recorded as lost.
///
/// With `eventsClient` (fault events on a session of their own), events have a loop of their own that commits
/// each run of them in a small transaction and hands it on at once, while the main loop gathers telemetry for
/// `telemetryInterval` into large batches whose commits give way to waiting events (see
/// `LiftDatabase.commitInBackground(_:yieldingWhen:discardOnYield:)`). Without it, events travel in the main
/// buffer's urgent lane and are committed alone, after the commit in flight.
///
/// The service owns the clients' lifecycle: it starts them, and on graceful shutdown closes the MQTT sessions
/// first (events first), then keeps consuming until the message streams end, so everything received is
/// committed before `run()` returns.
public final class IngestService: Service, Sendable {
    public struct Configuration: Sendable {
        /// Most messages committed in one transaction. Bounds the wait of a fault event behind telemetry.
        public var batchSize: Int
        public var sequencePolicy: SequenceTracker.Policy
        /// Fault-code maps by platform name; `default` is the standard numbering.
        public var faultCodeMaps: [String: FaultCodeMap]
        /// Region prefix → platform, for elevators whose own platform is `default` (a region on another numbering).
        public var regionPlatforms: [String: String] = [:]
        /// How long a small batch waits for more messages before it is committed.
        public var linger: Duration = .milliseconds(5)
        /// With an events session, how long telemetry gathers before a commit (unless the batch fills first).
        /// A thousand elevators' samples dirty a page each whatever their number: at 20,000 msg/s, commits
        /// of whatever arrived during the previous one (~500 samples) cost about twice the CPU per sample of
        /// commits four times a second, and once a second writes each page to the WAL a quarter as often again.
        /// Fault events do not wait for it: they have their own loop. Telemetry reaches the store up to this
        /// much later.
        public var telemetryInterval: Duration = .milliseconds(1000)
        /// Most elevators per transaction when a batch is committed. A commit writes a page or more per elevator
        /// and cannot give way once it has begun: at 1,000 elevators one COMMIT took 20–230 ms, during which a
        /// fault event waited.
        public var elevatorsPerTransaction = 256
        /// Events one elevator may send per minute, sustained, and in a burst (see `IngestLimits`).
        public var eventsPerMinute = 120
        public var eventBurst = 60
        /// Dead letters kept with their bytes per elevator per minute; past it they are only counted.
        public var deadLettersPerMinute = 120
        /// How long a telemetry commit waits for urgent work each time it gives way, at most: a storm of fault
        /// events delays telemetry by this much per part, it never stops it.
        public var giveWayLimit: Duration = .milliseconds(500)
        /// How long a power failure or alarm whose class depends on the car waits for telemetry that arrived before
        /// it on the other session to be read (v1.1 §11.2: "the latest telemetry").
        public var carStateWait: Duration = .milliseconds(100)

        public init(
            batchSize: Int = 20_000, sequencePolicy: SequenceTracker.Policy = .init(), faultCodeMaps: [String: FaultCodeMap] = ["default": .standard],
            regionPlatforms: [String: String] = [:]
        ) {
            self.batchSize = batchSize
            self.sequencePolicy = sequencePolicy
            self.faultCodeMaps = faultCodeMaps
            self.regionPlatforms = regionPlatforms
        }
    }

    public typealias EventHandler = @Sendable ([IngestBatch.Item<ElevatorEvent>]) async -> Void

    let client: MQTTClient
    /// A second session delivering into `client.messages` (fault events, kept apart at the broker), which
    /// also carries replay requests. Started and stopped with `client`; stopped first.
    let eventsClient: MQTTClient?
    let database: LiftDatabase
    let clock: EpochClock
    let configuration: Configuration
    let logger: Logger
    let onCommittedEvents: EventHandler?
    let metrics: IngestMetrics
    let waited: @Sendable (ContinuousClock.Instant) -> Duration
    private let appliedRegistry = Atomic<Int64>(-1)

    /// The registry version (`LiftDatabase.registryVersion()`) ingestion applies now; -1 before it starts. A
    /// change made meanwhile (a replaced terminal, a new elevator's region) applies once this reaches its
    /// version: the loop checks at most once a second of its clock.
    public var appliedRegistryVersion: Int64 { appliedRegistry.load(ordering: .acquiring) }

    /// - Parameter waited: how long a message has been inside LiftWatch since the network thread took it (its
    ///   `arrivedAt`), taken off its arrival time past `arrivalCorrection`. Real time by default; a test whose
    ///   `clock` stands still passes a fixed wait, so that arrivals do not depend on how busy the machine is.
    public init(
        client: MQTTClient, eventsClient: MQTTClient? = nil, database: LiftDatabase, clock: EpochClock = .system,
        configuration: Configuration = .init(), logger: Logger = Logger(label: "liftwatch.ingest"),
        waited: @escaping @Sendable (ContinuousClock.Instant) -> Duration = { ContinuousClock.now - $0 },
        onCommittedEvents: EventHandler? = nil
    ) {
        self.waited = waited
        self.client = client
        self.eventsClient = eventsClient
        self.database = database
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
        self.onCommittedEvents = onCommittedEvents
        self.metrics = IngestMetrics()
    }

    /// Which messages are urgent (fault events): what a session's receive buffer hands over first. The one place
    /// ingestion states its lanes; the store decides who writes first (`WriterPriority`).
    public static let isUrgent: @Sendable (MQTTMessage) -> Bool = { $0.topic.hasSuffix("/event") }

    var limits: IngestLimits {
        var policy = IngestLimits.Policy()
        policy.eventsPerMinute = configuration.eventsPerMinute
        policy.eventBurst = configuration.eventBurst
        policy.deadLettersPerMinute = configuration.deadLettersPerMinute
        return IngestLimits(policy: policy)
    }

    public func run() async throws {
        client.start()
        eventsClient?.start()
        try await withGracefulShutdownHandler {
            try await consume()
        } onGracefulShutdown: {
            // The events session first: once the main client ends the shared stream, anything the other
            // session still received would have nowhere to go.
            if let events = self.eventsClient {
                Task {
                    await events.shutdown()
                    self.client.beginShutdown()
                }
            } else {
                self.client.beginShutdown()
            }
        }
        await eventsClient?.shutdown()
        await client.shutdown()
    }

    private func consume() async throws {
        // The registry before the seq states: a terminal replaced between the two reads is then seen as a
        // change by the next check (and its tracking reset), instead of its old high seq meeting the new offset.
        var directory = ElevatorDirectory(regionPlatforms: configuration.regionPlatforms)
        try directory.reload(from: database, now: clock.now())
        appliedRegistry.store(directory.version, ordering: .releasing)
        let processor = SharedProcessor(MessageProcessor(
            database: database, faultCodeMaps: configuration.faultCodeMaps, directory: directory,
            tracker: SequenceTracker(states: try database.sequenceStates(), policy: configuration.sequencePolicy), limits: limits))
        logger.info("ingestion started", metadata: ["batch_size": "\(configuration.batchSize)", "events_session": "\(eventsClient != nil)"])
        let progress = LaneProgress()
        guard let eventsClient else {
            await consumeMain(processor, progress: progress, eventsLane: false)
            logger.info("ingestion stopped: message stream ended, everything received is committed")
            return
        }
        // The events lane: urgent work for the store's writer from the moment events wait in their buffer.
        database.priority.addPendingSource { eventsClient.statistics.buffered > 0 }
        // Fault events and their tickets run on a thread of their own: the shared pool's two threads are busy
        // with telemetry, HTTP and the scheduler, and a fault event would queue behind them at every step.
        // Two: one commits events, the other waits for the ticket engine (which the scheduler and the API use too).
        let eventsExecutor = DedicatedExecutor(name: "lw-events")
        let handOffExecutor = DedicatedExecutor(name: "lw-tickets")
        await withTaskGroup(of: Void.self) { group in
            // Committed events are handed on by a task of their own, in order, so that the next run of events
            // is committed while the ticket engine works on the previous one. Bounded: a run waits for the engine
            // to take the one before (`AsyncChannel` holds none), so a flood waits at the broker, not in memory.
            let handOff = AsyncChannel<Committed>()
            group.addTask(executorPreference: eventsExecutor) {
                await self.consumeEvents(from: eventsClient, processor, progress: progress, handOff: handOff)
            }
            group.addTask(executorPreference: handOffExecutor) {
                for await events in handOff {
                    await self.afterCommit(events)
                    self.database.priority.leave()
                }
            }
            group.addTask { await self.consumeMain(processor, progress: progress, eventsLane: true) }
        }
        eventsExecutor.shutdown()
        handOffExecutor.shutdown()
        logger.info("ingestion stopped: message streams ended, everything received is committed")
    }

    /// The one `MessageProcessor` (directory, seq tracker, car states, limits) both loops use, one at a time.
    final class SharedProcessor: Sendable {
        private let mutex: Mutex<MessageProcessor>
        init(_ processor: sending MessageProcessor) { mutex = Mutex(processor) }
        func withLock<Result>(_ body: (inout MessageProcessor) throws -> Result) rethrows -> Result {
            try mutex.withLock { try body(&$0) }
        }
    }

    /// How far the main loop has read: the arrival of the last message it decoded, and whether it holds messages
    /// taken and not yet decoded. The events loop waits on it (briefly) for telemetry that arrived before an alarm.
    final class LaneProgress: Sendable {
        private struct State {
            var decodedThrough: ContinuousClock.Instant?
            var inHand = false
            var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
            var nextWaiter = 0
        }
        private let state = Mutex(State())

        func taking() { state.withLock { $0.inHand = true } }

        /// The main loop decoded messages up to `arrival` (nil: it holds nothing more).
        func decoded(through arrival: ContinuousClock.Instant?) {
            let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                if let arrival {
                    state.decodedThrough = max(state.decodedThrough ?? arrival, arrival)
                } else {
                    state.inHand = false
                }
                defer { state.waiters = [:] }
                return Array(state.waiters.values)
            }
            for waiter in waiters { waiter.resume() }
        }

        /// Waits until the main loop has decoded everything that arrived by `arrival` (nothing of it left in
        /// `buffered` or in hand), or `limit` passes. Woken by each slice the main loop decodes.
        func waitUntilDecoded(_ arrival: ContinuousClock.Instant, buffered: @escaping @Sendable () -> Int, atMost limit: Duration) async {
            let deadline = ContinuousClock.now + limit
            while ContinuousClock.now < deadline {
                let done = state.withLock { state in
                    (state.decodedThrough.map { $0 >= arrival } ?? false) || (!state.inHand && buffered() == 0)
                }
                if done { return }
                await nextSlice(within: min(.milliseconds(10), deadline - ContinuousClock.now))
            }
        }

        /// Suspends until the main loop's next decoded slice, or `timeout` (a slice decoded between the check and
        /// the registration is caught by the next check).
        private func nextSlice(within timeout: Duration) async {
            let id = state.withLock { state -> Int in
                state.nextWaiter += 1
                return state.nextWaiter
            }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                state.withLock { $0.waiters[id] = continuation }
                Task {
                    try? await Task.sleep(for: timeout)
                    self.state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
                }
            }
        }
    }

    /// The events session's loop: each run of events is committed in a small transaction of its own and handed
    /// on at once. Its seq bookkeeping stays with the tracker for the main loop's next batch (counters are
    /// increments, so they go with the events).
    private func consumeEvents(
        from eventsClient: MQTTClient, _ processor: SharedProcessor, progress: LaneProgress, handOff: AsyncChannel<Committed>
    ) async {
        defer { handOff.finish() }
        let mainClient = client
        while let messages = await eventsClient.messages.nextBatch(maximum: 256, timeout: .seconds(1)) {
            guard !messages.isEmpty else { continue }
            // Announced until handed on (the hand-off task leaves): telemetry and rollups give way to the tickets'
            // writes too.
            database.priority.enter()
            var batch = IngestBatch()
            let now = clock.now()
            processor.withLock { processor in
                for message in messages { process(message, with: &processor, now: now, into: &batch) }
            }
            // A power failure or alarm that does not say whether the car is occupied (or moving) takes it from the
            // car's latest telemetry: first let the main loop read what arrived before it on the other session.
            if batch.events.contains(where: MessageProcessor.needsCarState), let last = messages.last?.arrivedAt {
                await progress.waitUntilDecoded(last, buffered: { mainClient.statistics.buffered }, atMost: configuration.carStateWait)
                processor.withLock { processor in
                    for index in batch.events.indices where MessageProcessor.needsCarState(batch.events[index]) {
                        processor.assess(&batch.events[index].value, elevator: batch.events[index].elevator, receivedAt: batch.events[index].receivedAt)
                    }
                }
            }
            recordDropped(processor)
            guard !batch.isEmpty, let result = await commitRetrying(batch) else {
                database.priority.leave()
                continue
            }
            await handOff.send(Committed(batch: batch, result: result, replayRequests: [], eventArrivals: messages.map(\.arrivedAt)))
        }
    }

    private func recordDropped(_ processor: SharedProcessor) {
        let dropped = processor.withLock { $0.takeDroppedDeadLetters() }
        if dropped > 0 { metrics.deadLettersDropped.increment(by: dropped) }
    }

    /// The main session's loop: large batches, decoded as they arrive and written while the next one gathers.
    private func consumeMain(_ processor: SharedProcessor, progress: LaneProgress, eventsLane: Bool) async {
        var lastMaintenance = clock.now()
        // The previous batch's commit, running on the database's writer thread while this task decodes the
        // next batch: decoding and writing overlap, and commits stay in order.
        var inFlight: Task<Bool, Never>?
        var gatheringSince = ContinuousClock.now
        let messagesStream = client.messages
        while let first = await messagesStream.nextBatch(maximum: configuration.batchSize, timeout: .seconds(1)) {
            progress.taking()
            var batch = IngestBatch()
            var eventArrivals: [ContinuousClock.Instant] = []
            var taken = 0
            // Each slice is decoded as it is taken (not after the gathering), so that the car's state the events
            // loop reads is current; in slices, so that the events loop gets the processor within a fraction of a
            // millisecond.
            func decode(_ messages: [MQTTMessage]) {
                let now = clock.now()
                var start = messages.startIndex
                while start < messages.endIndex {
                    let end = min(start + 256, messages.endIndex)
                    processor.withLock { processor in
                        for message in messages[start..<end] { process(message, with: &processor, now: now, into: &batch) }
                    }
                    progress.decoded(through: messages[end - 1].arrivedAt)
                    start = end
                }
                taken += messages.count
                for message in messages where Self.isUrgent(message) { eventArrivals.append(message.arrivedAt) }
            }
            decode(first)
            // Fault events come alone (the buffer hands urgent messages over by themselves): commit them at once.
            let hasEvents = !eventArrivals.isEmpty
            if eventsLane {
                // Events have their own loop: gather telemetry for a while, so that each commit carries many
                // samples per page it writes.
                let deadline = gatheringSince + configuration.telemetryInterval
                while taken > 0, taken < configuration.batchSize, ContinuousClock.now < deadline {
                    try? await Task.sleep(for: min(.milliseconds(10), deadline - ContinuousClock.now))
                    progress.taking()
                    decode(messagesStream.takeAvailable(maximum: configuration.batchSize - taken))
                }
                gatheringSince = ContinuousClock.now
            } else if !hasEvents && taken > 0 && taken < configuration.batchSize && inFlight == nil {
                // A trickle: linger briefly so that one transaction carries many messages, not one each.
                try? await Task.sleep(for: configuration.linger)
                progress.taking()
                decode(messagesStream.takeAvailable(maximum: configuration.batchSize - taken))
            }
            progress.decoded(through: nil)
            let now = clock.now()
            recordDropped(processor)
            var replayRequests: [(entry: ElevatorDirectory.Entry, gap: SequenceGap)] = []
            processor.withLock { processor in
                if now - lastMaintenance >= 1_000 || taken == 0 {
                    lastMaintenance = now
                    processor.refreshRegistry(now: now)
                    appliedRegistry.store(processor.directory.version, ordering: .releasing)
                    let (requests, lost) = processor.tracker.maintenance(now: now)
                    batch.lostRanges = lost
                    for range in lost {
                        batch.counters[range.elevator, default: CounterDelta()].lost += Int(range.gap.count)
                        logger.warning("gap recorded as lost", metadata: [
                            "elevator": "\(processor.directory.entry(forKey: range.elevator)?.elevatorID ?? "?")",
                            "from_seq": "\(range.gap.from)", "to_seq": "\(range.gap.to)", "requests": "\(range.gap.requests)",
                        ])
                    }
                    replayRequests = requests.compactMap { request in
                        // A gap below the offset belongs to a replaced terminal and cannot be asked for.
                        processor.directory.entry(forKey: request.elevator).flatMap {
                            request.gap.from > $0.seqOffset ? (entry: $0, gap: request.gap) : nil
                        }
                    }
                }
                batch.sequenceStates = processor.tracker.takeDirty()
            }
            metrics.backlog.record(client.statistics.buffered)
            if let previous = inFlight {
                guard await previous.value else { return }
                inFlight = nil
            }
            guard !batch.isEmpty else { continue }
            // Events are handed on as soon as their batch is committed, from the commit's own task.
            inFlight = Task { [batch, replayRequests, eventArrivals] in
                // A transaction per few hundred elevators: the same pages written, in shorter commits that a
                // fault event can slip between (see `IngestBatch.partitioned(maximumElevators:)`).
                var total = IngestCommitResult()
                var complete = true
                for part in batch.partitioned(maximumElevators: self.configuration.elevatorsPerTransaction) {
                    let committed = if eventsLane, !part.telemetry.isEmpty {
                        await self.commitGivingWay(part)
                    } else {
                        await self.commitRetrying(part)
                    }
                    guard let result = committed else {
                        complete = false
                        break
                    }
                    total.add(result)
                }
                await self.afterCommit(Committed(batch: batch, result: total, replayRequests: replayRequests, eventArrivals: eventArrivals))
                return complete
            }
        }
        _ = await inFlight?.value
    }

    /// A wait inside LiftWatch longer than this (a busy ticket engine holding the hand-off, a backlog in the receive
    /// buffer) is taken off a message's arrival time; shorter ones are noise and the processing time stands for it.
    static let arrivalCorrection: Duration = .milliseconds(100)

    private func process(_ message: MQTTMessage, with processor: inout MessageProcessor, now: Int64, into batch: inout IngestBatch) {
        // Arrival (v1.1 §11.1) is when the network thread received the message, not when a loop got to it.
        var receivedAt = now
        let waited = waited(message.arrivedAt)
        if waited > Self.arrivalCorrection {
            let (seconds, attoseconds) = waited.components
            receivedAt -= seconds * 1000 + attoseconds / 1_000_000_000_000_000
        }
        if let rejection = processor.process(topic: message.topic, payload: message.payload, receivedAt: receivedAt, into: &batch) {
            metrics.deadLetter(rejection.reason)
            logger.debug("dead letter", metadata: ["topic": "\(message.topic)", "reason": "\(rejection)"])
        }
    }

    /// How many times one batch's commit may be rolled back for urgent work before it commits part-way instead.
    static let discardsPerBatch = 3

    /// Commits a telemetry batch as bulk work: while urgent work runs or waits (`LiftDatabase.priority`), the
    /// transaction is rolled back (the first `discardsPerBatch` times; after that the part written is committed) and
    /// resumed when its turn comes, after at most `giveWayLimit` each time. Returns what all parts stored, or nil
    /// when cancelled with part of the batch uncommitted.
    private func commitGivingWay(_ batch: IngestBatch) async -> IngestCommitResult? {
        var remaining = batch
        var total = IngestCommitResult()
        var delay = Duration.milliseconds(100)
        var yields = 0
        while true {
            let progress: IngestCommitProgress
            do {
                progress = try await database.commitGivingWay(remaining, discardOnYield: yields < Self.discardsPerBatch)
            } catch {
                logger.error("commit failed; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                metrics.commitFailures.increment()
                do { try await Task.sleep(for: delay) } catch {
                    logger.critical("cancelled with an uncommitted batch", metadata: ["messages": "\(remaining.telemetry.count + remaining.events.count)"])
                    return nil
                }
                delay = min(delay * 2, .seconds(10))
                continue
            }
            switch progress {
            case .committed(let result):
                total.add(result)
                return total
            case .yielded(let stored, let rest):
                total.add(stored)
                yields += 1
                metrics.yields.increment()
                remaining = rest
                // Let the events through: their commit, and their tickets' transactions.
                await database.priority.waitForTurn(atMost: configuration.giveWayLimit)
            }
        }
    }

    /// A batch once written, with what to do next.
    struct Committed: Sendable {
        var batch: IngestBatch
        var result: IngestCommitResult
        var replayRequests: [(entry: ElevatorDirectory.Entry, gap: SequenceGap)]
        var eventArrivals: [ContinuousClock.Instant]
    }

    private func afterCommit(_ committed: Committed) async {
        metrics.record(batch: committed.batch, result: committed.result)
        if !committed.result.newEvents.isEmpty {
            // Arrival (network thread) to commit: the fault-latency figure.
            let now = ContinuousClock.now
            for arrival in committed.eventArrivals { metrics.eventLatency.recordNanoseconds((now - arrival).nanoseconds) }
        }
        for request in committed.replayRequests { requestReplay(request.gap, entry: request.entry) }
        if !committed.result.newEvents.isEmpty || !committed.result.reassessed.isEmpty, let onCommittedEvents {
            await onCommittedEvents(committed.result.newEvents + committed.result.reassessed)
            let now = ContinuousClock.now
            for arrival in committed.eventArrivals { metrics.eventHandledLatency.recordNanoseconds((now - arrival).nanoseconds) }
        }
    }

    /// Commits, retrying with backoff while the database refuses (disk full, locked): the messages wait in
    /// memory and, behind them, at the broker. Gives up only when cancelled.
    private func commitRetrying(_ batch: IngestBatch) async -> IngestCommitResult? {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                return try await database.commitInBackground(batch)
            } catch {
                logger.error("commit failed; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                metrics.commitFailures.increment()
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    logger.critical("cancelled with an uncommitted batch", metadata: ["messages": "\(batch.telemetry.count + batch.events.count)"])
                    return nil
                }
                delay = min(delay * 2, .seconds(10))
            }
        }
    }

    private func requestReplay(_ gap: SequenceGap, entry: ElevatorDirectory.Entry) {
        let topic = "lift/\(entry.region)/\(entry.elevatorID)/replay"
        do {
            try (eventsClient ?? client).enqueue(MQTTMessage(topic: topic, payload: PayloadEncoder.replayRequest(from: gap.from - entry.seqOffset, to: gap.to - entry.seqOffset), qos: .atLeastOnce))
            metrics.replayRequests.increment()
            logger.info("replay requested", metadata: ["elevator": "\(entry.elevatorID)", "from_seq": "\(gap.from)", "to_seq": "\(gap.to)"])
        } catch {
            logger.warning("replay request not sent", metadata: ["elevator": "\(entry.elevatorID)", "error": "\(error)"])
        }
    }
}
