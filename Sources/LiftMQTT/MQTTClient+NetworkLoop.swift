import CMosquitto
import Foundation

extension MQTTClient {
    private var isStopRequested: Bool { state.withLock { $0.stopRequested } }

    /// The body of the network thread: connect, drive `mosquitto_loop`, back off and retry, until stopped.
    func runNetworkLoop() {
        reader?.enter()
        defer { reader?.leave() }
        var generator = SystemRandomNumberGenerator()
        var attempt = 0
        let brokers = configuration.brokers
        var brokerIndex = 0
        while !isStopRequested {
            attempt += 1
            setConnection(.connecting(attempt: attempt))
            let rc = connectOnce(to: brokers[brokerIndex])
            var reason: String
            if rc == Mosquitto.success {
                state.withLock { $0.socketOpen = true }
                reader?.attach(socket: mosquitto_socket(handle.pointer))
                reason = driveUntilLost()
                reader?.detach()
                state.withLock { $0.socketOpen = false }
                if isStopRequested { break }
                // A connection the broker had accepted resets the backoff: this is a new outage.
                if state.withLock({ $0.connection.isConnected }) { attempt = 1 }
            } else {
                reason = Mosquitto.message(for: rc)
                if rc == Int32(MOSQ_ERR_ERRNO.rawValue) { reason = String(cString: strerror(errno)) }
            }
            if case .refused(let refusal) = connectionState { reason = "refused: \(refusal)" }
            // The next node of a clustered broker: the one just tried is down or unreachable, most likely.
            brokerIndex = (brokerIndex + 1) % brokers.count
            // Once round the cluster without a connection before backing off.
            let delay = brokerIndex != 0 && attempt < brokers.count
                ? .milliseconds(50) : configuration.reconnectBackoff.delay(forAttempt: attempt, using: &generator)
            setConnection(.waitingToReconnect(attempt: attempt, retryIn: delay, reason: reason))
            sleep(for: delay)
        }
        finishStopping()
    }

    /// One connection attempt (TCP and CONNECT sent; CONNACK arrives later through the loop).
    private func connectOnce(to broker: BrokerAddress) -> Int32 {
        let mosq = handle.pointer
        let keepAlive = Int32(configuration.keepAlive.components.seconds)
        guard configuration.protocolVersion == .v5, !configuration.cleanSession else {
            return mosquitto_connect(mosq, broker.host, Int32(broker.port), keepAlive)
        }
        // MQTT 5 ends a session at disconnect unless CONNECT asks for an expiry interval.
        var properties: OpaquePointer? = nil
        let expiry = UInt32(clamping: configuration.sessionExpiry.components.seconds)
        mosquitto_property_add_int32(&properties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), expiry)
        defer { mosquitto_property_free_all(&properties) }
        return mosquitto_connect_bind_v5(mosq, broker.host, Int32(broker.port), keepAlive, nil, properties)
    }

    /// Runs the loop on an open socket until the connection is lost or a stop is requested.
    /// Returns why the connection ended.
    private func driveUntilLost() -> String {
        let mosq = handle.pointer
        while true {
            if isStopRequested {
                disconnectGracefully()
                return "stopped"
            }
            var rc = mosquitto_loop(mosq, 100, 1)
            if rc == Mosquitto.success { rc = readQueuedPackets(mosq) }
            if rc != Mosquitto.success {
                if rc == Int32(MOSQ_ERR_ERRNO.rawValue) { return String(cString: strerror(errno)) }
                return Mosquitto.message(for: rc)
            }
        }
    }

    /// Most packets read in one burst before `mosquitto_loop` runs again (keepalive, outgoing packets).
    private static let readBurst = 64

    /// Reads the packets already waiting on the socket, then sends what they queued (PUBACKs).
    ///
    /// `mosquitto_loop` reads one packet per call, behind a `pselect` and a read of libmosquitto's wake-up
    /// socket pair: for a stream of small messages those cost about as much as the packet itself. While packets
    /// are waiting, this reads on without them, until a read finds the socket empty (`EAGAIN`) or the burst is
    /// done. libmosquitto reports an empty socket as success with `errno` set, hence `errno` is cleared first.
    private func readQueuedPackets(_ mosq: OpaquePointer) -> Int32 {
        var packets = 0
        while packets < Self.readBurst {
            errno = 0
            let rc = mosquitto_loop_read(mosq, 1)
            if rc != Mosquitto.success { return rc }
            if errno == EAGAIN || errno == EWOULDBLOCK { break }
            packets += 1
        }
        guard packets > 0, mosquitto_want_write(mosq) else { return Mosquitto.success }
        return mosquitto_loop_write(mosq, 1)
    }

    /// Gives publishes in flight (awaited or not) up to `flushTimeout` to be sent and acknowledged, then
    /// disconnects and flushes the DISCONNECT packet.
    private func disconnectGracefully() {
        let mosq = handle.pointer
        let flushDeadline = ContinuousClock.now + state.withLock { $0.flushTimeout }
        while state.withLock({ $0.publishesInFlight > 0 && $0.connection.isConnected }), ContinuousClock.now < flushDeadline {
            if mosquitto_loop(mosq, 50, 1) != Mosquitto.success { break }
        }
        guard mosquitto_disconnect(mosq) == Mosquitto.success else { return }
        let deadline = ContinuousClock.now + .seconds(1)
        while !state.withLock({ $0.disconnectAcknowledged }), ContinuousClock.now < deadline {
            if mosquitto_loop(mosq, 50, 1) != Mosquitto.success { break }
        }
    }

    /// Sleeps on the wake-up condition so that a stop request cuts the wait short.
    private func sleep(for delay: Duration) {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        let deadline = Date(timeIntervalSinceNow: seconds)
        wakeup.lock()
        defer { wakeup.unlock() }
        while !isStopRequested, Date() < deadline {
            _ = wakeup.wait(until: deadline)
        }
    }

    /// Fails what can no longer complete, ends the message stream, and wakes everyone waiting for the stop.
    func finishStopping() {
        let (publishes, subscribes, waiters, observers) = state.withLock { state in
            state.stopped = true
            defer {
                state.pendingPublishes = [:]
                state.pendingSubscribes = [:]
                state.stopWaiters = []
                state.observers = [:]
            }
            return (
                Array(state.pendingPublishes.values), Array(state.pendingSubscribes.values), state.stopWaiters,
                Array(state.observers.values)
            )
        }
        let error = MQTTError(kind: .shutDown, operation: "client \(configuration.clientID)", message: "client stopped before the broker acknowledged")
        for publish in publishes { publish.resume(throwing: error) }
        for subscribe in subscribes { subscribe.continuation.resume(throwing: error) }
        setConnection(.stopped)
        for observer in observers { observer.finish() }
        buffer.finish()
        for waiter in waiters { waiter.resume() }
    }
}

extension MQTTClient {
    /// Cuts the TCP connection without an MQTT DISCONNECT, as a network failure or a crash would: the
    /// broker then publishes our will, and the client reconnects by itself. For failure tests.
    func dropConnectionAbruptly() {
        let fd = mosquitto_socket(handle.pointer)
        if fd >= 0 { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }
}
