import Foundation
import LiftCore

/// Fans ticket changes and alerts out to the live streams (`GET /api/v1/stream`), each subscriber seeing only
/// what its role may read.
///
/// Bounds: each stream buffers at most `bufferPerStream` events; a subscriber that falls that far behind is cut off
/// (its browser's `EventSource` reconnects and reloads), never holding memory or blocking the engine. At most
/// `streamsPerPrincipal` streams per token, and `maximumStreams` in all.
public final class EventHub: Sendable {
    /// One event of the stream.
    public struct Event: Sendable {
        /// `ticket` or `alert`.
        public var name: String
        /// Where it happened (the ticket's place): scopes of every level match on it.
        public var place: String
        public var contractorID: String?
        /// The JSON data line.
        public var data: String
    }

    private let state = Mutex()
    public let bufferPerStream: Int
    public let streamsPerPrincipal: Int
    public let maximumStreams: Int

    public init(bufferPerStream: Int = 256, streamsPerPrincipal: Int = 4, maximumStreams: Int = 1_000) {
        self.bufferPerStream = bufferPerStream
        self.streamsPerPrincipal = streamsPerPrincipal
        self.maximumStreams = maximumStreams
    }

    /// Publishes a ticket change (and an `alert` event per regulator alert it raised).
    public func publish(ticket: Ticket, alerts: [String]) {
        let body = String(decoding: (try? JSONEncoder().encode(ticket)) ?? Data("{}".utf8), as: UTF8.self)
        send(Event(name: "ticket", place: ticket.place ?? ticket.region, contractorID: ticket.contractorID, data: body))
        for alert in alerts {
            let quoted = String(decoding: (try? JSONEncoder().encode(alert)) ?? Data("\"\"".utf8), as: UTF8.self)
            send(Event(name: "alert", place: ticket.place ?? ticket.region, contractorID: ticket.contractorID, data: "{\"alert\":\(quoted),\"ticket\":\(body)}"))
        }
    }

    func send(_ event: Event) {
        for continuation in state.subscribers() {
            if case .dropped = continuation.yield(event) { continuation.finish() }
        }
    }

    /// Why a stream was refused.
    public enum Refusal: Error, Sendable {
        case tooManyForPrincipal(Int)
        case tooMany(Int)
        /// The server is shutting down.
        case closed
    }

    /// Ends every live stream and refuses new ones: at shutdown, so that no open stream holds the HTTP server up.
    public func close() {
        for continuation in state.close() { continuation.finish() }
    }

    /// A stream of every event from now on for the token `principal`; ends when the caller stops iterating, or when
    /// it falls `bufferPerStream` events behind.
    /// - Throws: `Refusal` past `streamsPerPrincipal` streams of this token or `maximumStreams` in all.
    public func subscribe(principal: Int64) throws(Refusal) -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingOldest(bufferPerStream))
        let id = try state.add(continuation, principal: principal, perPrincipal: streamsPerPrincipal, total: maximumStreams)
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
        private var owners: [Int: Int64] = [:]
        private var closed = false

        func add(_ continuation: AsyncStream<Event>.Continuation, principal: Int64, perPrincipal: Int, total: Int) throws(Refusal) -> Int {
            lock.lock()
            defer { lock.unlock() }
            guard !closed else { throw .closed }
            guard continuations.count < total else { throw .tooMany(total) }
            guard owners.values.filter({ $0 == principal }).count < perPrincipal else { throw .tooManyForPrincipal(perPrincipal) }
            next += 1
            continuations[next] = continuation
            owners[next] = principal
            return next
        }

        func remove(_ id: Int) {
            lock.withLock {
                _ = continuations.removeValue(forKey: id)
                owners[id] = nil
            }
        }
        func subscribers() -> [AsyncStream<Event>.Continuation] { lock.withLock { Array(continuations.values) } }

        func close() -> [AsyncStream<Event>.Continuation] {
            lock.withLock {
                closed = true
                return Array(continuations.values)
            }
        }
    }
}
