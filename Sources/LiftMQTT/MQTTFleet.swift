import CMosquitto
import Foundation
import Logging

/// Many MQTT connections, each with its own client id, will and subscriptions, driven from one thread with
/// libmosquitto's non-threaded calls (epoll over every socket, then `mosquitto_loop_read`/`_write`/`_misc`).
///
/// This is how one process holds ten thousand simulated controllers on two cores: no thread per connection.
/// The type is confined to the thread that calls `run(tickEvery:onTick:)`: `publish`, `cut` and `resume`
/// are meant to be called from `onTick` or `onMessage`, which run on that thread.
///
/// A member whose connection is lost (or `cut`) reconnects by itself with backoff, unless it was cut: a cut
/// member stays down until `resume`. libmosquitto keeps unacknowledged QoS 1 publishes and sends them again
/// after a reconnect.
public final class MQTTFleet {
    /// One connection of the fleet.
    public struct Member: Sendable, Hashable {
        public var clientID: String
        /// Published by the broker when this connection is lost without a DISCONNECT.
        public var will: MQTTMessage?
        /// Filters subscribed at QoS 1 on every connect (the fleet uses clean sessions).
        public var subscriptions: [String]
        public var username: String?
        public var password: String?

        public init(clientID: String, will: MQTTMessage? = nil, subscriptions: [String] = [], username: String? = nil, password: String? = nil) {
            self.clientID = clientID
            self.will = will
            self.subscriptions = subscriptions
            self.username = username
            self.password = password
        }
    }

    /// Counters of the fleet, read on its thread (typically in `onTick`).
    public struct Statistics: Sendable, Hashable {
        public var members = 0
        /// Members whose connection the broker has accepted and that are up now.
        public var connected = 0
        /// CONNACKs received, first connections and reconnections alike.
        public var connects = 0
        /// Connections lost without our asking (cuts excluded).
        public var lost = 0
        /// Messages handed to libmosquitto.
        public var published = 0
        /// QoS 1 publishes the broker acknowledged.
        public var acknowledged = 0
        /// Messages received on the members' subscriptions.
        public var received = 0
        /// Connection attempts refused or failed (TCP or CONNACK).
        public var failedAttempts = 0
    }

    /// Called on the fleet's thread for each message received: the member's index and the message.
    public var onMessage: ((Int, MQTTMessage) -> Void)?
    /// Called on the fleet's thread when a member's connection comes up (`true`) or goes down (`false`).
    public var onConnectionChange: ((Int, Bool) -> Void)?

    public let host: String
    public let port: Int
    /// `host:port` and the other nodes of a clustered broker. Members start spread over them (member i on node
    /// i mod n) and move to the next node each time an attempt fails or a connection is lost.
    public let brokers: [BrokerAddress]
    let keepAlive: Int32
    let backoff: ReconnectBackoff
    let logger: Logger
    /// How many connection attempts one loop iteration may start: pacing keeps the broker's accept queue
    /// from overflowing when thousands connect at once.
    let connectsPerIteration: Int
    /// The shortest time between two passes over the sockets (see `run`).
    let minimumTurn: Duration
    var connections: [FleetConnection] = []
    var generator: SystemRandomNumberGenerator = .init()
    var stats = Statistics()
    /// The epoll instance every socket of the fleet is registered with.
    let epollFD: Int32
    /// Ready events of one `epoll_wait`.
    var events = [epoll_event](repeating: epoll_event(), count: 1_024)
    /// Members that published since the last turn: their write interest may have changed.
    var dirty: [Int] = []

    /// Creates the fleet's libmosquitto handles; nothing touches the network until `run`.
    /// - Throws: `MQTTError` when libmosquitto refuses a member's settings (an unusable client id or will).
    public init(
        host: String, port: Int, alternateBrokers: [BrokerAddress] = [], members: [Member], keepAlive: Duration = .seconds(60),
        backoff: ReconnectBackoff = .init(initial: .milliseconds(500), maximum: .seconds(15)),
        connectsPerIteration: Int = 100, minimumTurn: Duration = .milliseconds(2), logger: Logger = Logger(label: "liftwatch.mqtt.fleet")
    ) throws(MQTTError) {
        _ = Mosquitto.libraryInitialised
        let available = Self.raiseOpenFileLimit(to: Self.openFilesNeeded(members: members.count))
        guard available >= Self.openFilesNeeded(members: members.count) else {
            throw MQTTError(
                kind: .invalidConfiguration, operation: "set up \(members.count) connections",
                message: "they need about \(Self.openFilesNeeded(members: members.count)) open files and this process may open \(available); raise the limit (ulimit -n)")
        }
        self.host = host
        self.port = port
        self.brokers = [BrokerAddress(host: host, port: port)] + alternateBrokers
        self.keepAlive = Int32(keepAlive.components.seconds)
        self.backoff = backoff
        self.logger = logger
        self.connectsPerIteration = max(1, connectsPerIteration)
        self.minimumTurn = minimumTurn
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else {
            throw MQTTError(kind: .library, code: errno, operation: "create the fleet's epoll instance", message: String(cString: strerror(errno)))
        }
        stats.members = members.count
        connections = try Self.withoutSocketPairs { () throws(MQTTError) -> [FleetConnection] in
            var made: [FleetConnection] = []
            made.reserveCapacity(members.count)
            for (index, member) in members.enumerated() { made.append(try FleetConnection(index: index, member: member)) }
            return made
        }
        for connection in connections {
            connection.fleet = self
            connection.installCallbacks()
        }
    }

    deinit {
        for connection in connections { mosquitto_destroy(connection.mosq) }
        close(epollFD)
    }

    /// Open files a fleet of `members` needs: one socket each, and some to spare.
    public static func openFilesNeeded(members: Int) -> Int { members + 64 }

    /// Runs `body` (which creates libmosquitto handles) while this process can open no file.
    ///
    /// libmosquitto gives every handle a socket pair whose only use is to wake a threaded loop out of
    /// `select`; the fleet never runs one, and at 10,000 handles the pairs would take 20,000 descriptors.
    /// When the pair cannot be made libmosquitto logs a warning and carries on without it, so the handles
    /// are created with the open-file limit at zero. The window is short and happens before the fleet's
    /// thread opens anything.
    static func withoutSocketPairs<T>(_ body: () throws(MQTTError) -> T) throws(MQTTError) -> T {
        var saved = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved) == 0 else { return try body() }
        var none = saved
        none.rlim_cur = 0
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &none)
        defer { _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved) }
        return try body()
    }

    /// Raises this process's open-file limit to `needed` if it can (the hard limit too, when privileged),
    /// else as high as the hard limit allows, and returns the limit now.
    @discardableResult
    public static func raiseOpenFileLimit(to needed: Int = 0) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if needed > 0, limit.rlim_max < rlim_t(needed) {
            var raised = limit
            raised.rlim_max = rlim_t(needed)
            raised.rlim_cur = rlim_t(needed)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return needed }
        }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        return Int(limit.rlim_cur)
    }

    public var count: Int { connections.count }

    /// The fleet's counters now.
    public var statistics: Statistics { stats }

    /// Whether member `index` is connected now.
    public func isConnected(_ index: Int) -> Bool { connections[index].phase == .connected }

    /// Publishes `message` from member `index`.
    ///
    /// Returns `false` when the member is not connected; a QoS 1 message is then still kept by libmosquitto
    /// and sent once the member reconnects. Returns `false` and keeps nothing when libmosquitto refuses it.
    @discardableResult
    public func publish(_ message: MQTTMessage, from index: Int) -> Bool {
        let connection = connections[index]
        let rc = message.payload.withUnsafeBytes { bytes in
            mosquitto_publish(connection.mosq, nil, message.topic, Int32(bytes.count), bytes.baseAddress, message.qos.rawValue, message.retain)
        }
        if rc == Mosquitto.success {
            stats.published += 1
            dirty.append(index)
            return true
        }
        if rc == Int32(MOSQ_ERR_NO_CONN.rawValue) && message.qos != .atMostOnce { stats.published += 1 }
        return false
    }

    /// Cuts member `index`'s TCP connection without an MQTT DISCONNECT, as a power or network failure would:
    /// the broker publishes its will. The member stays down until `resume(index)`.
    public func cut(_ index: Int) {
        let connection = connections[index]
        connection.wanted = false
        guard connection.phase != .down else { return }
        let fd = mosquitto_socket(connection.mosq)
        if fd >= 0 { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        connection.markDown()
        unwatch(connection)
        onConnectionChange?(index, false)
    }

    /// Lets a cut member connect again (at once).
    public func resume(_ index: Int) {
        let connection = connections[index]
        guard !connection.wanted else { return }
        connection.wanted = true
        connection.attempt = 0
        connection.retryAt = .now
    }

    /// Connects every member and drives all sockets on the calling thread until `onTick` returns `false`,
    /// then disconnects every member cleanly (their wills are not published), giving unacknowledged
    /// publishes up to `flushTimeout` first. `onTick` is called about every `tickEvery`.
    public func run(tickEvery: Duration, flushTimeout: Duration = .seconds(10), onTick: (MQTTFleet) -> Bool) {
        let start = ContinuousClock.now
        for connection in connections { connection.retryAt = start }
        var nextTick = start
        var nextMisc = start
        while true {
            let now = ContinuousClock.now
            if now >= nextTick {
                if !onTick(self) { break }
                nextTick = max(nextTick + tickEvery, now)
            }
            if now >= nextMisc {
                for connection in connections where connection.phase != .down { _ = mosquitto_loop_misc(connection.mosq) }
                nextMisc = now + .seconds(1)
            }
            startDueConnections(now: ContinuousClock.now)
            let turn = ContinuousClock.now
            pollOnce(until: min(nextTick, nextMisc))
            // Turning for every single PUBACK would spend the thread on system calls; a turn at most every
            // `minimumTurn` batches them.
            let spent = ContinuousClock.now - turn
            if spent < minimumTurn { usleep(UInt32((minimumTurn - spent).nanoseconds / 1_000)) }
        }
        shutDownAll(flushTimeout: flushTimeout)
    }
}
