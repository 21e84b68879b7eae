/// Why a message cannot be used: a machine-readable reason and a sentence for people.
///
/// Rejected messages go to the dead letters with both (spec section 3).
public struct Rejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable reason codes, as stored with a dead letter and shown by the API.
    public enum Reason: String, Sendable, Hashable, CaseIterable, Codable {
        /// Topic outside `lift/{region}/{elevator_id}/{kind}`.
        case topic = "bad_topic"
        /// Region in the topic is not a 6-digit code, or not the elevator's registered region.
        case region = "bad_region"
        /// The elevator is not in the registry.
        case unregistered = "unregistered_elevator"
        /// Payload over 64 KiB.
        case tooLarge = "too_large"
        /// Not JSON, or not a JSON object (or array of objects, for telemetry).
        case json = "invalid_json"
        /// `seq` or `ts` missing.
        case missingField = "missing_field"
        /// A field of the wrong type.
        case type = "wrong_type"
        /// A value outside what is physically possible or allowed.
        case range = "out_of_range"
        /// A fault code neither a key of the taxonomy nor a number of the elevator's platform.
        case unknownFault = "unknown_fault_code"
        /// An elevator sending more events than its limit (a repeated event in a flood).
        case rateLimited = "rate_limited"
    }

    public var reason: Reason
    public var message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}
