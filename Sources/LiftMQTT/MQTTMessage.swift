/// A message received from, or to be published to, an MQTT broker.
///
/// The payload is raw bytes; decoding is the caller's business.
public struct MQTTMessage: Sendable, Hashable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: QoS
    public var retain: Bool
    /// When the network thread received it (monotonic clock), for latency measurements. For a message to
    /// publish, when it was made.
    public var arrivedAt: ContinuousClock.Instant

    public init(topic: String, payload: [UInt8], qos: QoS = .atLeastOnce, retain: Bool = false, arrivedAt: ContinuousClock.Instant = .now) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.arrivedAt = arrivedAt
    }

    public init(topic: String, string: String, qos: QoS = .atLeastOnce, retain: Bool = false) {
        self.init(topic: topic, payload: Array(string.utf8), qos: qos, retain: retain)
    }

    /// Equal when topic, payload, QoS and retain flag are; the arrival instant is not part of the message.
    public static func == (lhs: MQTTMessage, rhs: MQTTMessage) -> Bool {
        lhs.topic == rhs.topic && lhs.payload == rhs.payload && lhs.qos == rhs.qos && lhs.retain == rhs.retain
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(topic)
        hasher.combine(payload)
    }

    /// The payload read as UTF-8 (lossy), for logs and tests.
    public var payloadString: String { String(decoding: payload, as: UTF8.self) }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
