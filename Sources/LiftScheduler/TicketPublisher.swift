/// Sends a message on the broker: the server wires it to its MQTT client (QoS 1). Kept as a closure so that
/// the scheduler depends on no MQTT library.
///
/// `nonisolated(nonsending)`: it runs inside the ticket engine's isolation, so a change is stored and published
/// in one piece. A plain async closure stepped off the engine for every message: meanwhile the scheduler's
/// calls took the engine, and the ticket waited for them and for a shared-pool thread (busy, among others, with
/// the scheduler's pass) to run the engine again — up to 2.6 s under full load, with every ticket behind it.
public typealias TicketPublisher = nonisolated(nonsending) @Sendable (_ topic: String, _ payload: [UInt8]) async throws -> Void
