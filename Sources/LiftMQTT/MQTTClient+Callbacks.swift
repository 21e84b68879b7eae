import CMosquitto
import Logging

extension MQTTClient {
    /// Registers the C callbacks. Each finds its client through libmosquitto's user-data pointer.
    func installCallbacks() {
        let mosq = handle.pointer
        mosquitto_connect_with_flags_callback_set(mosq) { _, userData, rc, flags in
            MQTTClient.from(userData)?.didConnect(rc: rc, sessionPresent: flags & 1 == 1)
        }
        mosquitto_disconnect_callback_set(mosq) { _, userData, rc in
            MQTTClient.from(userData)?.didDisconnect(rc: rc)
        }
        mosquitto_publish_callback_set(mosq) { _, userData, mid in
            MQTTClient.from(userData)?.didAcknowledgePublish(mid: mid)
        }
        mosquitto_subscribe_callback_set(mosq) { _, userData, mid, count, grantedQoS in
            let granted = count > 0 ? grantedQoS?[0] ?? 0x80 : 0x80
            MQTTClient.from(userData)?.didSubscribe(mid: mid, granted: granted)
        }
        mosquitto_message_callback_set(mosq) { _, userData, message in
            guard let message, let client = MQTTClient.from(userData) else { return }
            client.didReceive(message.pointee)
        }
        // Only when traced: with a log callback set, libmosquitto formats a line for every packet sent and received
        // (a few percent of a core at 20,000 messages a second), whatever the callback does with it.
        if logger.logLevel <= .trace {
            mosquitto_log_callback_set(mosq) { _, userData, level, text in
                guard let text, let client = MQTTClient.from(userData) else { return }
                client.logger.trace("libmosquitto", metadata: ["level": "\(level)", "text": "\(String(cString: text))"])
            }
        }
    }

    static func from(_ userData: UnsafeMutableRawPointer?) -> MQTTClient? {
        guard let userData else { return nil }
        return Unmanaged<MQTTClient>.fromOpaque(userData).takeUnretainedValue()
    }

    private func didConnect(rc: Int32, sessionPresent: Bool) {
        guard rc == 0 else {
            setConnection(.refused(reason: Mosquitto.connackMessage(for: rc)))
            return
        }
        state.withLock {
            $0.disconnectAcknowledged = false
            $0.connectSubscribes.removeAll()  // SUBACKs of an earlier connection never come
        }
        // Every connection: drop what the configuration no longer has, then subscribe to what it has (a persistent
        // session keeps the subscriptions of the configuration it was made with). Called inside a callback, so
        // libmosquitto only queues the packets; the loop sends them. SUBACKs are checked in `didSubscribe`.
        for filter in configuration.unsubscribeOnConnect {
            let rc = mosquitto_unsubscribe(handle.pointer, nil, filter)
            if rc != Mosquitto.success {
                logger.error("unsubscribe failed", metadata: ["filter": "\(filter)", "error": "\(Mosquitto.message(for: rc))"])
            }
        }
        for subscription in state.withLock({ $0.subscriptions }) {
            var mid: Int32 = 0
            let rc = mosquitto_subscribe(handle.pointer, &mid, subscription.filter, subscription.qos.rawValue)
            if rc == Mosquitto.success {
                state.withLock { $0.connectSubscribes[mid] = subscription.filter }
            } else {
                logger.error("subscribe failed", metadata: ["filter": "\(subscription.filter)", "error": "\(Mosquitto.message(for: rc))"])
                state.withLock { $0.refusedSubscriptions.insert(subscription.filter) }
            }
        }
        setConnection(.connected(sessionPresent: sessionPresent))
    }

    private func didDisconnect(rc: Int32) {
        state.withLock { $0.disconnectAcknowledged = true }
        if rc != 0 {
            logger.debug("disconnected", metadata: ["reason": "\(Mosquitto.message(for: rc))"])
        }
    }

    private func didAcknowledgePublish(mid: Int32) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if let continuation = state.pendingPublishes.removeValue(forKey: mid) { return continuation }
            if state.unawaitedPublishes.remove(mid) != nil { return nil }
            state.earlyAcks.insert(mid)
            return nil
        }
        continuation?.resume()
    }

    private func didSubscribe(mid: Int32, granted: Int32) {
        if let filter = state.withLock({ $0.connectSubscribes.removeValue(forKey: mid) }) {
            if QoS(rawValue: granted) == nil {
                logger.critical("the broker refused a subscription: nothing on it will arrive", metadata: ["filter": "\(filter)"])
                state.withLock { _ = $0.refusedSubscriptions.insert(filter) }
            } else {
                state.withLock { _ = $0.refusedSubscriptions.remove(filter) }
            }
            return
        }
        let pending = state.withLock { state -> (filter: String, continuation: CheckedContinuation<QoS, any Error>)? in
            if let pending = state.pendingSubscribes.removeValue(forKey: mid) { return pending }
            state.earlySubacks[mid] = granted
            return nil
        }
        guard let pending else { return }
        resolveSubscription(pending.continuation, filter: pending.filter, granted: granted)
    }

    func resolveSubscription(_ continuation: CheckedContinuation<QoS, any Error>, filter: String, granted: Int32) {
        if let qos = QoS(rawValue: granted) {
            continuation.resume(returning: qos)
        } else {
            continuation.resume(throwing: MQTTError(
                kind: .subscriptionRefused, code: granted, operation: "subscribe \(filter)",
                message: "the broker refused the subscription"))
        }
    }

    private func didReceive(_ message: mosquitto_message) {
        let topic = String(cString: message.topic)
        let count = Int(message.payloadlen)
        let payload: [UInt8] = count > 0 && message.payload != nil
            ? Array(UnsafeRawBufferPointer(start: message.payload, count: count))
            : []
        let received = MQTTMessage(
            topic: topic, payload: payload, qos: QoS(rawValue: message.qos) ?? .atMostOnce, retain: message.retain)
        state.withLock { $0.received += 1 }
        if !buffer.push(received) {
            logger.debug("dropped QoS 0 message: receive buffer full", metadata: ["topic": "\(topic)"])
        }
    }
}
