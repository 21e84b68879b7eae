/// An error from the MQTT client, carrying libmosquitto's own wording where it has one.
public struct MQTTError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Kind: Sendable, Hashable {
        /// A libmosquitto call returned a `MOSQ_ERR_*` code (kept in `code`).
        case library
        /// The broker refused the connection (CONNACK reason code in `code`).
        case connectionRefused
        /// The broker refused a subscription.
        case subscriptionRefused
        /// The client has been shut down; the operation can no longer complete.
        case shutDown
        /// The awaited state was not reached in time.
        case timedOut
        /// The configuration cannot be used (a file missing, a value out of range).
        case invalidConfiguration
    }

    public var kind: Kind
    /// The `MOSQ_ERR_*` value or CONNACK reason code, when there is one.
    public var code: Int32?
    /// What the client was doing (`connect to 127.0.0.1:1883`, `publish lift/…`).
    public var operation: String
    /// libmosquitto's message for `code`, or our own explanation.
    public var message: String

    public init(kind: Kind, code: Int32? = nil, operation: String, message: String) {
        self.kind = kind
        self.code = code
        self.operation = operation
        self.message = message
    }

    public var description: String {
        if let code { return "\(operation): \(message) (code \(code))" }
        return "\(operation): \(message)"
    }
}
