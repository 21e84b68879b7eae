import LiftMQTT
import LiftScheduler

extension OutboxDispatcher {
    /// The transport over an MQTT client: QoS 1, handed to libmosquitto at once, acknowledged by the broker's PUBACK.
    static func transport(over client: MQTTClient) -> Transport {
        { topic, payload in
            let acknowledgement = try client.enqueueAcknowledged(MQTTMessage(topic: topic, payload: payload, qos: .atLeastOnce))
            return { try await acknowledgement.wait() }
        }
    }
}
