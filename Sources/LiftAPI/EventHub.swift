import Foundation
import LiftCore

/// Fans ticket changes and alerts out to the live streams (`GET /api/v1/stream`), each subscriber seeing only
/// what its role may read. Slow subscribers lose the oldest events (bounded buffer), never block the engine.
public final class EventHub: Sendable {
    /// One event of the stream.
    public struct Event: Sendable {
        /// `ticket` or `alert`.
        public var name: String
        public var region: String
        public var contractorID: String?
        /// The JSON data line.
        public var data: String
    }

    private let state = Mutex()

    public init() {}

    /// Publishes a ticket change (and an `alert` event per regulator alert it raised).
    public func publish(ticket: Ticket, alerts: [String]) {
        let body = String(decoding: (try? JSONEncoder().encode(ticket)) ?? Data("{}".utf8), as: UTF8.self)
        send(Event(name: "ticket", region: ticket.region, contractorID: ticket.contractorID, data: body))
        for alert in alerts {
            let quoted = String(decoding: (try? JSONEncoder().encode(alert)) ?? Data("\"\"".utf8), as: UTF8.self)
            send(Event(name: "alert", region: ticket.region, contractorID: ticket.contractorID, data: "{\"alert\":\(quoted),\"ticket\":\(body)}"))
        }
    }

    func send(_ event: Event) {
        for continuation in state.subscribers() { continuation.yield(event) }
    }

    /// A stream of every event from now on; ends when the caller stops iterating.
    public func subscribe() -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(1_000))
        let id = state.add(continuation)
        continuation.onTermination = { [state] _ in state.remove(id) }
        return stream
    }

    public var subscriberCount: Int { state.subscribers().count }

    /// The subscriber list behind a lock.
    final class Mutex: @unchecked Sendable {
        // @unchecked: every access holds `lock`.
        private let lock = NSLock()
        private var next = 0
        private var continuations: [Int: AsyncStream<Event>.Continuation] = [:]

        func add(_ continuation: AsyncStream<Event>.Continuation) -> Int {
            lock.withLock {
                next += 1
                continuations[next] = continuation
                return next
            }
        }

        func remove(_ id: Int) { lock.withLock { _ = continuations.removeValue(forKey: id) } }
        func subscribers() -> [AsyncStream<Event>.Continuation] { lock.withLock { Array(continuations.values) } }
    }
}
