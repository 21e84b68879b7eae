/// Exponential backoff with full jitter for reconnect attempts.
///
/// Pure policy: the random source is passed in, so tests can fix it. The delay before attempt `n`
/// (1-based) is a uniformly random value in `[base/2, base]` where `base = min(maximum, initial·2^(n-1))`:
/// half-jitter keeps a lower bound so a fleet of clients cannot hammer a restarting broker, while still
/// spreading the fleet out.
public struct ReconnectBackoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration = .milliseconds(250), maximum: Duration = .seconds(30)) {
        precondition(initial > .zero && maximum >= initial, "backoff needs 0 < initial <= maximum")
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay to wait before attempt `attempt` (1 for the first retry).
    public func delay(forAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let initialMs = Double(initial.components.seconds) * 1000 + Double(initial.components.attoseconds) / 1e15
        let maximumMs = Double(maximum.components.seconds) * 1000 + Double(maximum.components.attoseconds) / 1e15
        let base = min(maximumMs, initialMs * Double(1 << exponent))
        let jittered = Double.random(in: (base / 2)...base, using: &generator)
        return .milliseconds(Int64(jittered.rounded()))
    }
}
