/// Where the client's connection to the broker stands.
public enum MQTTConnectionState: Sendable, Hashable, CustomStringConvertible {
    /// Not started yet.
    case idle
    /// A connection attempt is under way.
    case connecting(attempt: Int)
    /// The broker accepted the connection. `sessionPresent` tells whether it kept our persistent session.
    case connected(sessionPresent: Bool)
    /// The connection failed or was lost; the client retries after `retryIn`.
    case waitingToReconnect(attempt: Int, retryIn: Duration, reason: String)
    /// The broker refused the connection (bad credentials, not authorised…); the client keeps retrying.
    case refused(reason: String)
    /// `shutdown()` completed; the client will not connect again.
    case stopped

    public var isConnected: Bool {
        if case .connected = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .idle: "idle"
        case .connecting(let attempt): "connecting (attempt \(attempt))"
        case .connected(let present): "connected (session present: \(present))"
        case .waitingToReconnect(let attempt, let delay, let reason): "waiting \(delay) before attempt \(attempt + 1): \(reason)"
        case .refused(let reason): "refused: \(reason)"
        case .stopped: "stopped"
        }
    }
}
