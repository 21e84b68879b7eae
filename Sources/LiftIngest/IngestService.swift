import Foundation
import LiftCore
import LiftMQTT
import LiftStore
import Logging
import Metrics
import ServiceLifecycle

/// Takes controller messages from the MQTT client and commits them to the store, in batches.
///
/// Each pass takes every message waiting (up to `batchSize`), validates them, and commits them in one
/// transaction; fault events are in that same transaction, so one arriving under full telemetry load waits at
/// most for the pass in progress and its own. Committed events that are new (not duplicates) go to
/// `onCommittedEvents`. About once a second, gaps are checked: replay requests are published on
/// `lift/{region}/{elevator_id}/replay` and gaps past their timeout are recorded as lost.
///
/// The service owns the client's lifecycle: it starts it, and on graceful shutdown closes the MQTT session
/// first, then keeps consuming until the message stream ends, so everything received is committed before
/// `run()` returns.
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

        public init(
            batchSize: Int = 1_000, sequencePolicy: SequenceTracker.Policy = .init(), faultCodeMaps: [String: FaultCodeMap] = ["default": .standard],
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

    public init(
        client: MQTTClient, eventsClient: MQTTClient? = nil, database: LiftDatabase, clock: EpochClock = .system,
        configuration: Configuration = .init(), logger: Logger = Logger(label: "liftwatch.ingest"), onCommittedEvents: EventHandler? = nil
    ) {
        self.client = client
        self.eventsClient = eventsClient
        self.database = database
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
        self.onCommittedEvents = onCommittedEvents
        self.metrics = IngestMetrics()
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
        var processor = MessageProcessor(
            database: database, faultCodeMaps: configuration.faultCodeMaps, directory: ElevatorDirectory(regionPlatforms: configuration.regionPlatforms),
            tracker: SequenceTracker(states: try database.sequenceStates(), policy: configuration.sequencePolicy))
        try processor.directory.reload(from: database, now: clock.now())
        var lastMaintenance = clock.now()
        // The previous batch's commit, running on the database's writer thread while this task decodes the
        // next batch: decoding and writing overlap, and commits stay in order.
        var inFlight: Task<Bool, Never>?
        logger.info("ingestion started", metadata: ["batch_size": "\(configuration.batchSize)"])
        while var messages = await client.messages.nextBatch(maximum: configuration.batchSize, timeout: .seconds(1)) {
            // Fault events come alone (the buffer hands urgent messages over by themselves): commit them at once.
            let urgent = messages.contains { $0.topic.hasSuffix("/event") }
            if !urgent && !messages.isEmpty && messages.count < configuration.batchSize && inFlight == nil {
                // A trickle: linger briefly so that one transaction carries many messages, not one each.
                try? await Task.sleep(for: configuration.linger)
                messages += client.messages.takeAvailable(maximum: configuration.batchSize - messages.count)
            }
            var batch = IngestBatch()
            let now = clock.now()
            for message in messages {
                if let rejection = processor.process(topic: message.topic, payload: message.payload, receivedAt: now, into: &batch) {
                    metrics.deadLetter(rejection.reason)
                    logger.debug("dead letter", metadata: ["topic": "\(message.topic)", "reason": "\(rejection)"])
                }
            }
            var replayRequests: [(elevator: Int64, gap: SequenceGap)] = []
            if now - lastMaintenance >= 1_000 || messages.isEmpty {
                lastMaintenance = now
                processor.refreshRegistry(now: now)
                let (requests, lost) = processor.tracker.maintenance(now: now)
                replayRequests = requests
                batch.lostRanges = lost
                for range in lost {
                    batch.counters[range.elevator, default: CounterDelta()].lost += Int(range.gap.count)
                    logger.warning("gap recorded as lost", metadata: [
                        "elevator": "\(processor.directory.entry(forKey: range.elevator)?.elevatorID ?? "?")",
                        "from_seq": "\(range.gap.from)", "to_seq": "\(range.gap.to)", "requests": "\(range.gap.requests)",
                    ])
                }
            }
            batch.sequenceStates = processor.tracker.takeDirty()
            metrics.backlog.record(client.statistics.buffered)
            if let previous = inFlight {
                guard await previous.value else { return }
                inFlight = nil
            }
            guard !batch.isEmpty else { continue }
            let requests = replayRequests.compactMap { request in
                // A gap below the offset belongs to a replaced terminal and cannot be asked for.
                processor.directory.entry(forKey: request.elevator).flatMap {
                    request.gap.from > $0.seqOffset ? (entry: $0, gap: request.gap) : nil
                }
            }
            let eventArrivals = messages.filter { $0.topic.hasSuffix("/event") }.map(\.arrivedAt)
            // Events are handed on as soon as their batch is committed, from the commit's own task.
            inFlight = Task { [batch] in
                guard let result = await self.commitRetrying(batch) else { return false }
                await self.afterCommit(Committed(batch: batch, result: result, replayRequests: requests, eventArrivals: eventArrivals))
                return true
            }
        }
        _ = await inFlight?.value
        logger.info("ingestion stopped: message stream ended, everything received is committed")
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
        if !committed.result.newEvents.isEmpty, let onCommittedEvents {
            await onCommittedEvents(committed.result.newEvents)
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
