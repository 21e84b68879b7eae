/// MQTT delivery guarantee of a publish or a subscription.
public enum QoS: Int32, Sendable, Hashable, Codable, CaseIterable {
    /// Fire and forget: may be lost, never duplicated.
    case atMostOnce = 0
    /// Acknowledged: never lost while the session lives, may arrive twice.
    case atLeastOnce = 1
    /// Four-way handshake: delivered once.
    case exactlyOnce = 2
}
