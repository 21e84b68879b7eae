/// Sends a message on the broker: the server wires it to its MQTT client (QoS 1). Kept as a closure so that
/// the scheduler depends on no MQTT library.
public typealias TicketPublisher = @Sendable (_ topic: String, _ payload: [UInt8]) async throws -> Void
