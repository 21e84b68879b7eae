/// The messages received by an `MQTTClient`, in arrival order.
///
/// Single consumer. Ends after `MQTTClient.shutdown()` once every message received before the shutdown
/// has been handed out, so a consumer that runs to the end loses nothing. See `MessageBuffer` for what
/// happens when the consumer falls behind.
public struct MQTTMessageStream: AsyncSequence, Sendable {
    public typealias Element = MQTTMessage
    let buffer: MessageBuffer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: MessageBuffer
        public mutating func next() async -> MQTTMessage? { await buffer.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }

    /// Up to `maximum` messages at once: all that are waiting (one lock for the lot), or the first to arrive.
    ///
    /// Returns an empty array when `timeout` passes with nothing received, so a consumer can do periodic
    /// work; nil once the stream has ended and everything was handed out.
    public func nextBatch(maximum: Int, timeout: Duration? = nil) async -> [MQTTMessage]? {
        await buffer.nextBatch(maximum: maximum, timeout: timeout)
    }

    /// Up to `maximum` messages waiting now; empty when there are none. Never waits.
    public func takeAvailable(maximum: Int) -> [MQTTMessage] {
        buffer.takeAvailable(maximum: maximum)
    }
}
