/// Sends a message on the broker: the server wires it to its MQTT client (QoS 1). Kept as a closure so that
/// the scheduler depends on no MQTT library.
///
/// `nonisolated(nonsending)`: it runs on the ticket engine's own isolation, without leaving it. A plain async
/// closure would hop off the engine to the shared pool and back for every ticket; under full telemetry load
/// the pool's threads were busy (the scheduler's once-a-minute pass over every elevator among them) and a
/// fault's ticket waited up to 2.6 s there, with every ticket behind it.
public typealias TicketPublisher = nonisolated(nonsending) @Sendable (_ topic: String, _ payload: [UInt8]) async throws -> Void
