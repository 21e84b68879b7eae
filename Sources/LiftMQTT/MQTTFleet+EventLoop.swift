import CMosquitto
import Foundation

extension MQTTFleet {
    /// Starts the connection attempts that are due, at most `connectsPerIteration` of them.
    func startDueConnections(now: ContinuousClock.Instant) {
        var started = 0
        for connection in connections where connection.phase == .down && connection.wanted {
            guard let due = connection.retryAt, due <= now else { continue }
            guard started < connectsPerIteration else { return }
            started += 1
            connection.retryAt = nil
            // Non-blocking: the TCP handshake completes in the kernel, CONNECT is written when the socket is
            // writable, CONNACK comes through epoll. A blocking connect would stall every other connection
            // whenever the broker's accept queue is full.
            let broker = brokers[(connection.index + connection.brokerTurn) % brokers.count]
            let rc = mosquitto_connect_async(connection.mosq, broker.host, Int32(broker.port), keepAlive)
            if rc == Mosquitto.success {
                connection.phase = .connecting
                watch(connection)
            } else {
                stats.failedAttempts += 1
                scheduleRetry(connection, now: now)
            }
        }
    }

    func scheduleRetry(_ connection: FleetConnection, now: ContinuousClock.Instant = .now) {
        connection.attempt += 1
        connection.brokerTurn &+= 1
        connection.retryAt = now + backoff.delay(forAttempt: connection.attempt, using: &generator)
    }

    /// A connection ended without our asking (read or write error, refused CONNACK, broker gone).
    func connectionLost(_ connection: FleetConnection) {
        guard connection.phase != .down else { return }
        let wasConnected = connection.phase == .connected
        connection.markDown()
        unwatch(connection)
        if connection.wanted {
            if wasConnected { stats.lost += 1 }
            scheduleRetry(connection)
        }
        if wasConnected { onConnectionChange?(connection.index, false) }
    }

    // MARK: - epoll

    /// Registers the connection's current socket: readable always, writable while libmosquitto has bytes
    /// to send. Sockets change on every reconnect.
    func watch(_ connection: FleetConnection) {
        let fd = mosquitto_socket(connection.mosq)
        guard fd >= 0 else { return }
        if connection.watchedSocket != fd {
            unwatch(connection)
            connection.watchedSocket = fd
            connection.watchingWrites = mosquitto_want_write(connection.mosq)
            var event = epoll_event()
            event.events = Self.interest(writes: connection.watchingWrites)
            event.data.u64 = UInt64(connection.index)
            if epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) != 0 && errno == EEXIST {
                _ = epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
            }
        } else {
            updateWriteInterest(connection)
        }
    }

    /// Forgets the connection's socket (closing a socket also drops it from epoll; this covers sockets
    /// still open).
    func unwatch(_ connection: FleetConnection) {
        guard connection.watchedSocket >= 0 else { return }
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, connection.watchedSocket, nil)
        connection.watchedSocket = -1
        connection.watchingWrites = false
    }

    /// Asks for writability only while libmosquitto has something to write.
    func updateWriteInterest(_ connection: FleetConnection) {
        guard connection.watchedSocket >= 0 else { return }
        let wants = mosquitto_want_write(connection.mosq)
        guard wants != connection.watchingWrites else { return }
        connection.watchingWrites = wants
        var event = epoll_event()
        event.events = Self.interest(writes: wants)
        event.data.u64 = UInt64(connection.index)
        _ = epoll_ctl(epollFD, EPOLL_CTL_MOD, connection.watchedSocket, &event)
    }

    static func interest(writes: Bool) -> UInt32 {
        UInt32(EPOLLIN.rawValue) | (writes ? UInt32(EPOLLOUT.rawValue) : 0)
    }

    /// Waits until a socket is ready or `deadline` passes, and lets libmosquitto read and write what is
    /// ready. Cost is proportional to the ready sockets, not to the fleet.
    func pollOnce(until deadline: ContinuousClock.Instant) {
        // Publishes made since the last turn may have left bytes waiting.
        for index in dirty { updateWriteInterest(connections[index]) }
        dirty.removeAll(keepingCapacity: true)
        let remaining = deadline - .now
        let timeout = Int32(clamping: max(0, min(remaining.nanoseconds / 1_000_000, 100)))
        let ready = events.withUnsafeMutableBufferPointer { epoll_wait(epollFD, $0.baseAddress, Int32($0.count), timeout) }
        guard ready > 0 else { return }
        for position in 0..<Int(ready) {
            let event = events[position]
            let connection = connections[Int(event.data.u64)]
            guard connection.phase != .down else { continue }
            if event.events & (UInt32(EPOLLIN.rawValue) | UInt32(EPOLLHUP.rawValue) | UInt32(EPOLLERR.rawValue)) != 0 {
                // On failure libmosquitto closes the socket and calls the disconnect callback (connectionLost).
                if mosquitto_loop_read(connection.mosq, 1) != Mosquitto.success {
                    connectionLost(connection)
                    continue
                }
            }
            if connection.phase != .down, mosquitto_want_write(connection.mosq) {
                if mosquitto_loop_write(connection.mosq, 1) != Mosquitto.success {
                    connectionLost(connection)
                    continue
                }
            }
            updateWriteInterest(connection)
        }
    }

    /// Gives unacknowledged publishes up to `flushTimeout`, then sends DISCONNECT on every open connection.
    func shutDownAll(flushTimeout: Duration) {
        let deadline = ContinuousClock.now + flushTimeout
        while stats.acknowledged < stats.published, ContinuousClock.now < deadline {
            startDueConnections(now: .now)
            pollOnce(until: min(deadline, .now + .milliseconds(50)))
        }
        for connection in connections {
            connection.wanted = false
            if connection.phase != .down {
                _ = mosquitto_disconnect(connection.mosq)
                dirty.append(connection.index)
            }
        }
        let closing = ContinuousClock.now + .milliseconds(500)
        while connections.contains(where: { $0.phase != .down && mosquitto_want_write($0.mosq) }), ContinuousClock.now < closing {
            pollOnce(until: min(closing, .now + .milliseconds(20)))
        }
        for connection in connections where connection.phase != .down {
            connection.markDown()
            unwatch(connection)
        }
    }
}
