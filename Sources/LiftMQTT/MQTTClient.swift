import CMosquitto
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// An async MQTT client over libmosquitto: connects, reconnects, publishes, subscribes and streams messages.
///
/// The network runs on one dedicated thread driving `mosquitto_loop`; everything public is safe to call from
/// any task. Lifecycle: `start()` (or `run()` as a `Service`) connects and keeps reconnecting with
/// exponential backoff and jitter until `shutdown()`. When the broker kept no session for us (clean session,
/// or a broker that lost its state) the configured subscriptions, and those added since, are made again.
///
/// Received messages arrive on `messages`, a single-consumer `AsyncSequence` with a bounded buffer: when it
/// is full, QoS 0 messages are dropped and counted, and QoS 1/2 messages hold the network thread until there is
/// room, which leaves the backlog with the broker (see `MessageBuffer`). `shutdown()` disconnects cleanly and
/// then ends the stream after everything already received has been handed out.
///
/// libmosquitto acknowledges a QoS 1 message when it hands it to us, so a message is safe from loss on a
/// clean shutdown but not from a crash of this process before the consumer has stored it.
public final class MQTTClient: Service, Sendable {
    public let configuration: MQTTConfiguration
    /// Messages received on the subscriptions, in order. Single consumer.
    public let messages: MQTTMessageStream
    let logger: Logger
    let buffer: MessageBuffer
    let handle: MosquittoHandle
    /// The read buffer under the socket (plain TCP; TLS reads go through OpenSSL's records), or nil.
    let reader: SocketReader?
    let state: Mutex<State>
    /// Wakes the network thread out of a backoff sleep when a stop is requested.
    let wakeup = NSCondition()

    struct State {
        var connection: MQTTConnectionState = .idle
        var started = false
        var stopRequested = false
        var stopped = false
        var socketOpen = false
        var disconnectAcknowledged = false
        var pendingPublishes: [Int32: CheckedContinuation<Void, any Error>] = [:]
        var earlyAcks: Set<Int32> = []
        var unawaitedPublishes: Set<Int32> = []
        var pendingSubscribes: [Int32: (filter: String, continuation: CheckedContinuation<QoS, any Error>)] = [:]
        var earlySubacks: [Int32: Int32] = [:]
        /// Subscriptions made on connecting, by message id, until their SUBACK.
        var connectSubscribes: [Int32: String] = [:]
        /// Filters the broker refused (or that could not be sent), until a later SUBACK grants them.
        var refusedSubscriptions: Set<String> = []
        var subscriptions: [MQTTConfiguration.Subscription] = []
        var observers: [Int: AsyncStream<MQTTConnectionState>.Continuation] = [:]
        var nextObserverID = 0
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
        var received = 0
        var reconnects = 0
        var flushTimeout: Duration = .seconds(2)

        /// Publishes handed to libmosquitto and not yet acknowledged (sent, for QoS 0).
        var publishesInFlight: Int { pendingPublishes.count + unawaitedPublishes.count }
    }

    /// Creates a client; nothing touches the network until `start()` or `run()`.
    /// - Throws: `MQTTError` when libmosquitto refuses the settings (a client id it cannot use, TLS files it
    ///   cannot read, a will it rejects).
    public init(configuration: MQTTConfiguration, logger: Logger = Logger(label: "liftwatch.mqtt")) throws(MQTTError) {
        _ = Mosquitto.libraryInitialised
        var logger = logger
        logger[metadataKey: "mqtt_client"] = "\(configuration.clientID)"
        guard configuration.receiveBufferCapacity > 0 else {
            throw MQTTError(kind: .invalidConfiguration, operation: "configure \(configuration.clientID)", message: "receive buffer capacity must be at least 1")
        }
        let reader = configuration.tls == nil && configuration.bufferedReads ? SocketReader() : nil
        let created = SocketReader.capturingWakeup(into: reader) {
            mosquitto_new(configuration.clientID, configuration.cleanSession, nil)
        }
        guard let pointer = created else {
            throw MQTTError(
                kind: .library, code: errno, operation: "create client \(configuration.clientID)",
                message: String(cString: strerror(errno)))
        }
        self.configuration = configuration
        self.logger = logger
        self.handle = MosquittoHandle(pointer: pointer)
        self.reader = reader
        self.buffer = MessageBuffer(capacity: configuration.receiveBufferCapacity, isUrgent: configuration.isUrgent ?? { _ in false })
        self.messages = MQTTMessageStream(buffer: buffer)
        var initial = State()
        initial.subscriptions = configuration.subscriptions
        self.state = Mutex(initial)
        // Every stored property is set: when this throws, `deinit` runs and destroys the handle (destroying it here
        // too freed it twice).
        try configure()
        // The callbacks find this object through libmosquitto's user-data pointer. Unretained: the network
        // thread holds a strong reference for as long as callbacks can fire.
        mosquitto_user_data_set(pointer, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        mosquitto_destroy(handle.pointer)
    }

    private func configure() throws(MQTTError) {
        let mosq = handle.pointer
        let id = configuration.clientID
        try Mosquitto.check(mosquitto_threaded_set(mosq, true), "configure threading for \(id)")
        let version = configuration.protocolVersion == .v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311
        try Mosquitto.check(
            mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, Int32(version)),
            "set MQTT \(configuration.protocolVersion) for \(id)")
        try Mosquitto.check(
            mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, configuration.tcpNoDelay ? 1 : 0), "set TCP_NODELAY for \(id)")
        if configuration.username != nil || configuration.password != nil {
            try Mosquitto.check(
                mosquitto_username_pw_set(mosq, configuration.username, configuration.password),
                "set credentials for \(id)")
        }
        if let will = configuration.will {
            let rc = will.payload.withUnsafeBytes { bytes in
                mosquitto_will_set(mosq, will.topic, Int32(bytes.count), bytes.baseAddress, will.qos.rawValue, will.retain)
            }
            try Mosquitto.check(rc, "set will on \(will.topic)")
        }
        if let tls = configuration.tls {
            for path in [tls.caFile, tls.certificateFile, tls.keyFile].compactMap({ $0 })
            where !FileManager.default.isReadableFile(atPath: path) {
                throw MQTTError(kind: .invalidConfiguration, operation: "configure TLS for \(id)", message: "cannot read \(path)")
            }
            try Mosquitto.check(
                mosquitto_tls_set(mosq, tls.caFile, nil, tls.certificateFile, tls.keyFile, nil),
                "configure TLS for \(id)")
        }
        installCallbacks()
    }

    // MARK: - Lifecycle

    /// Starts the network thread, which connects and keeps the connection up. Calling it again does nothing.
    public func start() {
        let shouldStart = state.withLock { state -> Bool in
            guard !state.started, !state.stopRequested else { return false }
            state.started = true
            return true
        }
        guard shouldStart else { return }
        let thread = Thread { [self] in
            self.runNetworkLoop()
        }
        thread.start()
        // Named once started (Foundation's `Thread.name` set before `start()` names nothing), for `top -H` and
        // `perf`: "mq " and the client id's last 12 bytes, as Linux keeps 15.
        thread.name = "mq " + String(decoding: configuration.clientID.utf8.suffix(12), as: UTF8.self)
    }

    /// Runs as a `Service`: connects, and on graceful shutdown or cancellation disconnects cleanly.
    public func run() async throws {
        start()
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await self.waitUntilStopped()
            } onCancel: {
                self.requestStop()
            }
        } onGracefulShutdown: {
            self.requestStop()
        }
    }

    /// Disconnects cleanly, stops reconnecting, and ends `messages` once the consumer has taken what was
    /// received. Publishes still in flight get up to `flushTimeout` to be sent and acknowledged first.
    /// Safe to call more than once.
    public func shutdown(flushTimeout: Duration = .seconds(2)) async {
        state.withLock { $0.flushTimeout = flushTimeout }
        requestStop()
        await waitUntilStopped()
    }

    /// Starts a clean shutdown without waiting for it (for graceful-shutdown handlers, which cannot wait).
    /// `messages` ends once the disconnect is done and everything received has been handed out.
    public func beginShutdown() {
        requestStop()
    }

    func requestStop() {
        let neverStarted = state.withLock { state -> Bool in
            state.stopRequested = true
            return !state.started
        }
        wakeup.lock()
        wakeup.broadcast()
        wakeup.unlock()
        if neverStarted { finishStopping() }
    }

    func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.stopped { return true }
                state.stopWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    // MARK: - Observing

    /// Configured filters the broker refused on the latest connection: nothing published on them arrives.
    public var refusedSubscriptions: [String] { state.withLock { $0.refusedSubscriptions.sorted() } }

    /// Configured filters sent on the latest connection whose SUBACK has not come: until it does, a message
    /// published on them may not arrive. Zero once connected and every subscription was answered.
    public var subscriptionsAwaitingGrant: Int { state.withLock { $0.connectSubscribes.count } }

    /// The connection state now.
    public var connectionState: MQTTConnectionState {
        state.withLock { $0.connection }
    }

    /// The current state, then every change, until the client stops.
    public func connectionStates() -> AsyncStream<MQTTConnectionState> {
        let (stream, continuation) = AsyncStream<MQTTConnectionState>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let id = state.withLock { state -> Int in
            let id = state.nextObserverID
            state.nextObserverID += 1
            continuation.yield(state.connection)
            if state.stopped {
                continuation.finish()
            } else {
                state.observers[id] = continuation
            }
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.observers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Waits until the broker has accepted the connection.
    /// - Throws: `MQTTError` of kind `.connectionRefused` when the broker refuses us (wrong password, not
    ///   authorised), `.timedOut` after `timeout`, `.shutDown` if the client stops first.
    public func waitUntilConnected(timeout: Duration = .seconds(10)) async throws {
        let states = connectionStates()
        let operation = "connect to \(configuration.host):\(configuration.port)"
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await state in states {
                    switch state {
                    case .connected: return
                    case .refused(let reason):
                        throw MQTTError(kind: .connectionRefused, operation: operation, message: reason)
                    case .stopped:
                        throw MQTTError(kind: .shutDown, operation: operation, message: "client stopped")
                    default: continue
                    }
                }
                throw MQTTError(kind: .shutDown, operation: operation, message: "client stopped")
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw MQTTError(kind: .timedOut, operation: operation, message: "not connected after \(timeout)")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Counters for metrics and tests.
    public var statistics: MQTTClientStatistics {
        let (buffered, dropped, blocked) = buffer.statistics
        return state.withLock {
            MQTTClientStatistics(
                received: $0.received, buffered: buffered, droppedQoS0: dropped, blockedOnFullBuffer: blocked,
                reconnects: $0.reconnects, publishesInFlight: $0.publishesInFlight,
                socketReads: reader?.socketReads, bufferedReads: reader?.bufferedReads)
        }
    }

    func setConnection(_ new: MQTTConnectionState) {
        let observers = state.withLock { state -> [AsyncStream<MQTTConnectionState>.Continuation] in
            // Counted with the state change, so that no reader sees the count of a new connection beside the
            // state of the lost one.
            if case .waitingToReconnect = new, state.connection.isConnected { state.reconnects += 1 }
            state.connection = new
            return Array(state.observers.values)
        }
        for observer in observers { observer.yield(new) }
        switch new {
        case .connected, .stopped:
            logger.info("mqtt connection state", metadata: ["state": "\(new)", "broker": "\(configuration.host):\(configuration.port)"])
        case .refused, .waitingToReconnect:
            logger.warning("mqtt connection state", metadata: ["state": "\(new)", "broker": "\(configuration.host):\(configuration.port)"])
        default:
            logger.debug("mqtt connection state", metadata: ["state": "\(new)"])
        }
    }
}

/// Counters of an `MQTTClient`.
public struct MQTTClientStatistics: Sendable, Hashable {
    /// Messages received from the broker since start.
    public var received: Int
    /// Messages waiting for the consumer now.
    public var buffered: Int
    /// QoS 0 messages dropped because the buffer was full.
    public var droppedQoS0: Int
    /// Times a QoS 1/2 message had to wait for room in the buffer.
    public var blockedOnFullBuffer: Int
    /// Connections lost and made again.
    public var reconnects: Int
    /// Publishes not yet acknowledged by the broker (QoS 1/2) or sent (QoS 0).
    public var publishesInFlight: Int
    /// `read(2)` calls on the socket, and reads served from the read buffer without one; nil without a
    /// buffer (TLS, or `MQTTConfiguration.bufferedReads` off).
    public var socketReads: Int?
    public var bufferedReads: Int?
}
