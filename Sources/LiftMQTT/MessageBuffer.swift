import DequeModule
import Foundation

/// The bounded hand-off between libmosquitto's network thread and the async consumer.
///
/// Policy when full: a QoS 0 message is dropped and counted (it promised no delivery); a QoS 1/2 message
/// makes the network thread wait for room. While it waits the client reads nothing more from its socket,
/// so TCP flow control pushes the backlog back to the broker, which queues it for our session. Memory
/// stays bounded by `capacity` messages either way.
final class MessageBuffer: @unchecked Sendable {
    // @unchecked: every mutable field below is guarded by `condition`.
    private let condition = NSCondition()
    private var items: Deque<MQTTMessage> = []
    /// Messages the consumer takes before any in `items` (fault events before telemetry).
    private var urgent: Deque<MQTTMessage> = []
    private let isUrgent: @Sendable (MQTTMessage) -> Bool
    private var waiter: Waiter?
    private var nextWaiterToken = 0
    private var finished = false
    private var dropped = 0
    private var blockedPushes = 0
    let capacity: Int

    init(capacity: Int, isUrgent: @escaping @Sendable (MQTTMessage) -> Bool = { _ in false }) {
        precondition(capacity > 0, "buffer capacity must be positive")
        self.capacity = capacity
        self.isUrgent = isUrgent
    }

    private var count: Int { items.count + urgent.count }

    /// Takes up to `maximum` messages: urgent ones alone when there are any (so that a fault event travels
    /// in a small batch, not with thousands of samples), else the oldest others. Caller holds the lock.
    private func take(_ maximum: Int) -> [MQTTMessage] {
        var batch: [MQTTMessage] = []
        let fromUrgent = min(maximum, urgent.count)
        if fromUrgent > 0 {
            batch.append(contentsOf: urgent.prefix(fromUrgent))
            urgent.removeFirst(fromUrgent)
            return batch
        }
        let fromItems = min(maximum - fromUrgent, items.count)
        if fromItems > 0 {
            batch.append(contentsOf: items.prefix(fromItems))
            items.removeFirst(fromItems)
        }
        return batch
    }

    /// Hands a message to the consumer. Called on the network thread; may block for QoS 1/2 (see type doc).
    /// Returns false when the message was dropped.
    @discardableResult
    func push(_ message: MQTTMessage) -> Bool {
        // Asked before taking the lock: the predicate is the caller's code, and the consumer waits on the lock.
        let isUrgent = isUrgent(message)
        condition.lock()
        defer { condition.unlock() }
        if finished { return false }
        if isUrgent {
            // Urgent messages (fault events) go to the front and wait for room only past `capacity` of their own:
            // a flood from a controller then waits at the broker, as telemetry does, instead of in memory.
            if let waiter {
                self.waiter = nil
                waiter.continuation.resume(returning: [message])
                return true
            }
            if urgent.count >= capacity {
                if message.qos == .atMostOnce {
                    dropped += 1
                    return false
                }
                blockedPushes += 1
                while urgent.count >= capacity && !finished { condition.wait() }
                if finished { return false }
                if let waiter {
                    self.waiter = nil
                    waiter.continuation.resume(returning: [message])
                    return true
                }
            }
            urgent.append(message)
            return true
        }
        if items.count >= capacity {
            if message.qos == .atMostOnce {
                dropped += 1
                return false
            }
            blockedPushes += 1
            while items.count >= capacity && !finished {
                condition.wait()
            }
            if finished { return false }
        }
        // A waiting consumer means the queue is empty (it drained everything while we waited, perhaps).
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: [message])
        } else {
            items.append(message)
        }
        return true
    }

    /// The next message, or nil once the buffer is finished and drained (or the caller is cancelled).
    func next() async -> MQTTMessage? {
        await nextBatch(maximum: 1, timeout: nil)?.first
    }

    /// Up to `maximum` messages: those waiting now, or the first to arrive. Returns an empty array when
    /// `timeout` passes with nothing received, and nil once the buffer is finished and drained (or the
    /// caller is cancelled).
    func nextBatch(maximum: Int, timeout: Duration?) async -> [MQTTMessage]? {
        let token = condition.withLock { () -> Int in
            nextWaiterToken += 1
            return nextWaiterToken
        }
        let batch: [MQTTMessage] = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[MQTTMessage], Never>) in
                condition.lock()
                defer { condition.unlock() }
                if count > 0 {
                    let batch = take(maximum)
                    condition.broadcast()
                    continuation.resume(returning: batch)
                } else if finished || Task.isCancelled {
                    continuation.resume(returning: [])
                } else {
                    precondition(waiter == nil, "MQTTClient.messages supports a single consumer")
                    waiter = Waiter(token: token, continuation: continuation)
                    if let timeout {
                        Task { [weak self] in
                            try? await Task.sleep(for: timeout)
                            self?.expireWaiter(token: token)
                        }
                    }
                }
            }
        } onCancel: {
            expireWaiter(token: token)
        }
        if batch.isEmpty && (condition.withLock { finished && count == 0 } || Task.isCancelled) { return nil }
        return batch
    }

    /// Up to `maximum` messages waiting now, without waiting for more.
    func takeAvailable(maximum: Int) -> [MQTTMessage] {
        condition.lock()
        defer { condition.unlock() }
        guard count > 0 else { return [] }
        let batch = take(maximum)
        condition.broadcast()
        return batch
    }

    /// Wakes the waiting consumer with nothing, if it is still the one identified by `token`.
    private func expireWaiter(token: Int) {
        condition.lock()
        guard let waiter, waiter.token == token else {
            condition.unlock()
            return
        }
        self.waiter = nil
        condition.unlock()
        waiter.continuation.resume(returning: [])
    }

    private struct Waiter {
        let token: Int
        let continuation: CheckedContinuation<[MQTTMessage], Never>
    }

    /// No more messages will come; the consumer drains what is left, then sees nil.
    func finish() {
        condition.lock()
        finished = true
        let waiter = self.waiter
        self.waiter = nil
        condition.broadcast()
        condition.unlock()
        waiter?.continuation.resume(returning: [])
    }

    /// Counters for metrics: messages waiting now, QoS 0 messages dropped, pushes that had to wait.
    var statistics: (buffered: Int, dropped: Int, blocked: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (count, dropped, blockedPushes)
    }
}
