import Foundation
import LiftCore
import LiftStore
import Logging
import ServiceLifecycle
import Synchronization

/// Publishes the durable outbox (`Outbox`) on the broker until each message is acknowledged.
///
/// The ticket engine hands it each change's messages right after their commit (`send(_:)`: no wait, no extra
/// read); what is left pending (LiftWatch restarted, the broker was away, another process such as the CLI queued
/// it) goes out from `run()`, highest priority first. Acknowledgements are recorded in small batches. A message
/// not acknowledged within `acknowledgementTimeout` is published again: delivery is at least once.
public final class OutboxDispatcher: Service, Sendable {
    /// Hands a message to the broker without waiting for the network, and returns its acknowledgement.
    public typealias Transport = @Sendable (_ topic: String, _ payload: [UInt8]) throws -> Acknowledgement
    /// Waits until the broker has acknowledged one message.
    public typealias Acknowledgement = @Sendable () async throws -> Void

    let database: LiftDatabase
    let transport: Transport?
    let clock: EpochClock
    let logger: Logger
    /// A message handed over and not acknowledged within this is handed over again.
    public let acknowledgementTimeout: Duration
    /// How often pending messages are looked for when nothing wakes the dispatcher (other processes' messages,
    /// retries).
    public let interval: Duration
    /// Most messages in flight at once; more wait pending (a broker away for long must not grow memory).
    public let maximumInFlight: Int

    private struct State {
        var inFlight: [Int64: ContinuousClock.Instant] = [:]
        /// While `sendDue()` works from its read of the table: the newest ticket message handed over meanwhile per
        /// (ticket, topic), so that an older one from that read is not published after it. Cleared with each read.
        var scanning = false
        var handedDuringScan: [TicketTopic: Int64] = [:]
        var delivered: [Int64] = []
        var failed: [(id: Int64, error: String)] = []
        var wake: CheckedContinuation<Void, Never>?
        var woken = false
    }
    private let state = Mutex(State())

    public init(
        database: LiftDatabase, transport: Transport?, clock: EpochClock = .system, acknowledgementTimeout: Duration = .seconds(60),
        interval: Duration = .seconds(1), maximumInFlight: Int = 10_000, logger: Logger = Logger(label: "liftwatch.outbox")
    ) {
        self.database = database
        self.transport = transport
        self.clock = clock
        self.acknowledgementTimeout = acknowledgementTimeout
        self.interval = interval
        self.maximumInFlight = maximumInFlight
        self.logger = logger
    }

    private struct TicketTopic: Hashable {
        var ticket: Int64
        var topic: String
    }

    /// Hands freshly committed messages to the broker now. Returns at once.
    public func send(_ messages: [OutboxMessage]) {
        hand(messages, fromScan: false)
    }

    private func hand(_ messages: [OutboxMessage], fromScan: Bool) {
        guard let transport, !messages.isEmpty else { return }
        for message in messages {
            let key = message.ticketID.map { TicketTopic(ticket: $0, topic: message.topic) }
            let taken = state.withLock { state -> Bool in
                guard state.inFlight[message.id] == nil, state.inFlight.count < maximumInFlight else { return false }
                if let key, state.scanning {
                    // A snapshot older than one already handed over since the read is superseded: not published.
                    if fromScan, let newer = state.handedDuringScan[key], newer > message.id { return false }
                    if !fromScan { state.handedDuringScan[key] = max(state.handedDuringScan[key] ?? 0, message.id) }
                }
                state.inFlight[message.id] = .now
                return true
            }
            guard taken else { continue }
            let acknowledgement: Acknowledgement
            do {
                acknowledgement = try transport(message.topic, message.payload)
            } catch {
                finish(message.id, error: "\(error)")
                continue
            }
            Task { [self] in
                do {
                    try await acknowledgement()
                    finish(message.id, error: nil)
                } catch {
                    finish(message.id, error: "\(error)")
                }
            }
        }
    }

    private func finish(_ id: Int64, error: String?) {
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.inFlight.removeValue(forKey: id) != nil else { return nil }
            if let error { state.failed.append((id, error)) } else { state.delivered.append(id) }
            // Wake the loop once enough has gathered to be worth a write.
            guard state.delivered.count + state.failed.count >= 64 else { return nil }
            return takeWake(&state)
        }
        wake?.resume()
    }

    /// Waits until every message handed over is acknowledged (or `timeout` passes), and records the outcome: for
    /// a command that exits after its change.
    public func drain(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while state.withLock({ !$0.inFlight.isEmpty }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        try? flush()
    }

    /// Asks the loop to look for pending messages now (another part of this process queued some).
    public func wake() {
        state.withLock { takeWake(&$0) }?.resume()
    }

    private func takeWake(_ state: inout State) -> CheckedContinuation<Void, Never>? {
        guard let wake = state.wake else {
            state.woken = true
            return nil
        }
        state.wake = nil
        return wake
    }

    public func run() async throws {
        guard transport != nil else { return }
        var lastPrune: Int64 = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try flush()
                try sendDue()
                let now = clock.now()
                if now - lastPrune > 3_600_000 {
                    lastPrune = now
                    try database.outbox.prune(now: now)
                }
            } catch {
                logger.error("outbox pass failed; retrying", metadata: ["error": "\(error)"])
            }
            await sleep()
        }
        try? flush()
    }

    /// Records acknowledgements and failures gathered since the last flush.
    func flush() throws {
        let (delivered, failed) = state.withLock { state in
            defer {
                state.delivered = []
                state.failed = []
            }
            return (state.delivered, state.failed)
        }
        let now = clock.now()
        try database.outbox.markDelivered(delivered, at: now)
        if !failed.isEmpty {
            logger.warning("messages not acknowledged; publishing them again", metadata: ["count": "\(failed.count)", "error": "\(failed[0].error)"])
            try database.outbox.recordAttempts(failed.map(\.id), error: failed[0].error, retryAt: now + 2_000)
        }
    }

    /// Publishes pending messages that are due and not in flight; gives up waiting on those in flight too long.
    func sendDue() throws {
        let expired = state.withLock { state -> [Int64] in
            let limit = ContinuousClock.now - acknowledgementTimeout
            let old = state.inFlight.filter { $0.value < limit }.map(\.key)
            for id in old { state.inFlight[id] = nil }
            return old
        }
        if !expired.isEmpty { logger.warning("no acknowledgement in time; publishing again", metadata: ["count": "\(expired.count)"]) }
        state.withLock { state in
            state.scanning = true
            state.handedDuringScan = [:]
        }
        defer {
            state.withLock { state in
                state.scanning = false
                state.handedDuringScan = [:]
            }
        }
        let due = try database.outbox.due(now: clock.now(), limit: 500)
        let inFlight = state.withLock { Set($0.inFlight.keys) }
        hand(due.filter { !inFlight.contains($0.id) }, fromScan: true)
    }

    private func sleep() async {
        let interval = self.interval
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state -> Bool in
                        if state.woken {
                            state.woken = false
                            return true
                        }
                        state.wake = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: interval)
                self.wake()
            }
            await group.next()
            group.cancelAll()
        }
        state.withLock { $0.woken = false }
    }
}
