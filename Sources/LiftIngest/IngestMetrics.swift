import LiftCore
import LiftStore
import Metrics

/// The ingestion figures exported on /metrics.
struct IngestMetrics: Sendable {
    let telemetry = Counter(label: "liftwatch_ingest_samples_total", dimensions: [("kind", "telemetry")])
    let events = Counter(label: "liftwatch_ingest_samples_total", dimensions: [("kind", "event")])
    let stats = Counter(label: "liftwatch_ingest_samples_total", dimensions: [("kind", "stats")])
    let statuses = Counter(label: "liftwatch_ingest_samples_total", dimensions: [("kind", "status")])
    let duplicates = Counter(label: "liftwatch_ingest_duplicates_total")
    let gaps = Counter(label: "liftwatch_ingest_gaps_total")
    let lost = Counter(label: "liftwatch_ingest_lost_messages_total")
    let replayRequests = Counter(label: "liftwatch_ingest_replay_requests_total")
    let commitFailures = Counter(label: "liftwatch_ingest_commit_failures_total")
    /// Dead letters past their sender's limit: counted, not kept (`IngestLimits`).
    let deadLettersDropped = Counter(label: "liftwatch_ingest_dead_letters_dropped_total")
    /// Telemetry commits that gave way to fault events part-way.
    let yields = Counter(label: "liftwatch_ingest_commit_yields_total")
    let backlog = Gauge(label: "liftwatch_ingest_backlog_messages")
    /// From the network thread's receipt of an event to the commit of its batch.
    let eventLatency = Metrics.Timer(label: "liftwatch_ingest_event_commit_latency_seconds")
    /// From the network thread's receipt of an event to the end of the ticket engine's work on it (its ticket
    /// queued on the MQTT session): LiftWatch's share of the fault → ticket latency.
    let eventHandledLatency = Metrics.Timer(label: "liftwatch_ingest_event_handled_latency_seconds")

    func deadLetter(_ reason: Rejection.Reason) {
        Counter(label: "liftwatch_ingest_dead_letters_total", dimensions: [("reason", reason.rawValue)]).increment()
    }

    func record(batch: IngestBatch, result: IngestCommitResult) {
        telemetry.increment(by: result.storedTelemetry)
        events.increment(by: result.newEvents.count)
        stats.increment(by: batch.stats.count)
        statuses.increment(by: batch.statuses.count)
        duplicates.increment(by: result.duplicates.values.reduce(0, +))
        gaps.increment(by: batch.counters.values.reduce(0) { $0 + $1.gaps })
        lost.increment(by: batch.counters.values.reduce(0) { $0 + $1.lost })
    }
}
