import CMosquitto

extension MQTTClient {
    /// Publishes a message and, for QoS 1/2, waits until the broker has acknowledged it.
    ///
    /// While disconnected, QoS 1/2 messages are queued by libmosquitto and sent after reconnecting, so this
    /// call may wait through an outage. QoS 0 while disconnected fails at once.
    /// - Throws: `MQTTError` with libmosquitto's message, or `.shutDown` if the client stops first.
    public func publish(_ message: MQTTMessage) async throws {
        guard message.qos != .atMostOnce else {
            _ = try enqueue(message)
            return
        }
        try await enqueueAcknowledged(message).wait()
    }

    /// Hands a QoS 1/2 message to libmosquitto at once, without waiting for the network, and returns the broker's
    /// acknowledgement to await later. Every returned acknowledgement must be awaited (its bookkeeping is kept
    /// until then).
    public func enqueueAcknowledged(_ message: MQTTMessage) throws(MQTTError) -> MQTTAcknowledgement {
        precondition(message.qos != .atMostOnce, "QoS 0 messages are never acknowledged")
        return MQTTAcknowledgement(client: self, mid: try send(message, awaitingAcknowledgement: true), topic: message.topic)
    }

    /// Suspends until the broker acknowledges `mid`. The acknowledgement may arrive before the continuation is
    /// registered: `earlyAcks` keeps it.
    func awaitAcknowledgement(_ mid: Int32, topic: String) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Result<Bool, MQTTError> in
                if state.earlyAcks.remove(mid) != nil { return .success(true) }
                if state.stopped {
                    return .failure(MQTTError(kind: .shutDown, operation: "publish \(topic)", message: "client stopped before the broker acknowledged"))
                }
                state.pendingPublishes[mid] = continuation
                return .success(false)
            }
            switch outcome {
            case .success(true): continuation.resume()
            case .success(false): break
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
    }

    /// Hands a message to libmosquitto without waiting for the broker; returns its message id.
    ///
    /// For high-rate publishers (simulated fleets) that track delivery by other means.
    @discardableResult
    public func enqueue(_ message: MQTTMessage) throws(MQTTError) -> Int32 {
        try send(message, awaitingAcknowledgement: false)
    }

    /// `enqueue(_:)` for floods: while libmosquitto's queue is full (`MOSQ_ERR_ERRNO` with EAGAIN), waits a
    /// millisecond and tries again. Other errors are thrown.
    public func enqueueWhenRoom(_ message: MQTTMessage) async throws {
        while true {
            do {
                try enqueue(message)
                return
            } catch where error.code == Int32(MOSQ_ERR_ERRNO.rawValue) {
                try await Task.sleep(for: .milliseconds(1))
            }
        }
    }

    private func send(_ message: MQTTMessage, awaitingAcknowledgement: Bool) throws(MQTTError) -> Int32 {
        if state.withLock({ $0.stopped }) {
            throw MQTTError(kind: .shutDown, operation: "publish \(message.topic)", message: "client stopped")
        }
        var mid: Int32 = 0
        let rc = message.payload.withUnsafeBytes { bytes in
            mosquitto_publish(
                handle.pointer, &mid, message.topic, Int32(bytes.count), bytes.baseAddress, message.qos.rawValue,
                message.retain)
        }
        try Mosquitto.check(rc, "publish \(message.topic)")
        if !awaitingAcknowledgement {
            // Nobody waits for this one: make sure its acknowledgement is not kept in `earlyAcks`.
            state.withLock { state in
                if state.earlyAcks.remove(mid) == nil { state.unawaitedPublishes.insert(mid) }
            }
        }
        return mid
    }

    /// Subscribes to a filter, remembers it for reconnects, and returns the QoS the broker granted.
    ///
    /// When not connected, the subscription is remembered and made on the next connection; this call
    /// then returns the QoS asked for without waiting.
    /// - Throws: `MQTTError` of kind `.subscriptionRefused` when the broker refuses the filter.
    @discardableResult
    public func subscribe(_ filter: String, qos: QoS = .atLeastOnce) async throws -> QoS {
        let subscription = MQTTConfiguration.Subscription(filter, qos: qos)
        let connected = state.withLock { state -> Bool in
            if !state.subscriptions.contains(subscription) { state.subscriptions.append(subscription) }
            return state.connection.isConnected
        }
        guard connected else { return qos }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<QoS, any Error>) in
            var mid: Int32 = 0
            let rc = mosquitto_subscribe(handle.pointer, &mid, filter, qos.rawValue)
            guard rc == Mosquitto.success else {
                continuation.resume(throwing: MQTTError(
                    kind: .library, code: rc, operation: "subscribe \(filter)", message: Mosquitto.message(for: rc)))
                return
            }
            let outcome = state.withLock { state -> Result<Int32?, MQTTError> in
                if let granted = state.earlySubacks.removeValue(forKey: mid) { return .success(granted) }
                if state.stopped {
                    return .failure(MQTTError(kind: .shutDown, operation: "subscribe \(filter)", message: "client stopped before the broker answered"))
                }
                state.pendingSubscribes[mid] = (filter, continuation)
                return .success(nil)
            }
            switch outcome {
            case .success(let granted?): resolveSubscription(continuation, filter: filter, granted: granted)
            case .success(nil): break
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
    }
}

/// The broker's acknowledgement of one message handed over by `MQTTClient.enqueueAcknowledged(_:)`.
public struct MQTTAcknowledgement: Sendable {
    let client: MQTTClient
    let mid: Int32
    let topic: String

    /// Suspends until the broker has acknowledged the message (across reconnects: libmosquitto sends it again).
    /// - Throws: `MQTTError` of kind `.shutDown` when the client stops first.
    public func wait() async throws {
        try await client.awaitAcknowledgement(mid, topic: topic)
    }
}
