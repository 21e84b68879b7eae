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
}
