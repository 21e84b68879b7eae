/// Everything needed to connect an `MQTTClient` to a broker.
///
/// Defaults suit a local broker on loopback with MQTT 3.1.1 and a clean session.
public struct MQTTConfiguration: Sendable, Hashable {
    /// MQTT protocol version spoken on the wire.
    public enum ProtocolVersion: Sendable, Hashable, CustomStringConvertible {
        case v311
        case v5

        public var description: String { self == .v311 ? "3.1.1" : "5" }
    }

    /// TLS material. Paths are PEM files; a client certificate needs its key.
    public struct TLS: Sendable, Hashable {
        /// CA certificate(s) the broker's certificate must chain to.
        public var caFile: String
        /// Client certificate, for brokers that require one.
        public var certificateFile: String?
        /// Private key of `certificateFile`.
        public var keyFile: String?

        public init(caFile: String, certificateFile: String? = nil, keyFile: String? = nil) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    /// A topic filter to subscribe to, with the QoS asked for.
    public struct Subscription: Sendable, Hashable {
        public var filter: String
        public var qos: QoS

        public init(_ filter: String, qos: QoS = .atLeastOnce) {
            self.filter = filter
            self.qos = qos
        }
    }

    public var host: String
    public var port: Int
    /// Further nodes of a clustered broker: on a failed attempt or a lost connection the client tries the next
    /// address in turn (`host:port` first). A persistent session must be kept by every one of them.
    public var alternateBrokers: [BrokerAddress] = []
    /// `host:port` followed by `alternateBrokers`.
    public var brokers: [BrokerAddress] { [BrokerAddress(host: host, port: port)] + alternateBrokers }
    /// Client identifier. A persistent session is keyed on it, so keep it fixed for `cleanSession == false`.
    public var clientID: String
    /// `false` asks the broker to keep subscriptions and queued QoS 1/2 messages while we are away.
    public var cleanSession: Bool
    /// With MQTT 5 and `cleanSession == false`: how long the broker keeps the session after a disconnect.
    public var sessionExpiry: Duration
    /// Keepalive interval; the broker drops us after 1.5× this without traffic.
    public var keepAlive: Duration
    public var username: String?
    public var password: String?
    public var tls: TLS?
    public var protocolVersion: ProtocolVersion
    /// Published by the broker on our behalf when we vanish without a clean disconnect.
    public var will: MQTTMessage?
    /// Subscribed on every connection (also when the broker kept the session: a configuration that changed takes
    /// effect). A filter the broker refuses is logged and listed in `MQTTClient.refusedSubscriptions`.
    public var subscriptions: [Subscription]
    /// Filters an earlier configuration subscribed to and this one dropped: unsubscribed on every connection, so
    /// that a persistent session stops delivering them.
    public var unsubscribeOnConnect: [String] = []
    /// How many received messages may wait for the consumer. See `MQTTClient.messages`.
    public var receiveBufferCapacity: Int
    public var reconnectBackoff: ReconnectBackoff
    /// Received messages the consumer should get before all others (LiftWatch: fault events). They jump the
    /// queue and never wait for room, so keep them rare.
    public var isUrgent: (@Sendable (MQTTMessage) -> Bool)?
    /// Sends each packet at once (TCP_NODELAY). Set it on a session that publishes right after acknowledging a
    /// message (LiftWatch's ticket after its fault event's PUBACK): with Nagle's algorithm the second packet
    /// waits for the broker's delayed ACK of the first, 40 ms on Linux. Leave it off on high-rate sessions, whose
    /// acknowledgements (or messages) then share TCP segments.
    public var tcpNoDelay = false
    /// Reads the socket through a 64 KiB buffer (`SocketReader`): libmosquitto asks for every packet in three
    /// or four `read(2)` calls, which a buffer turns into one per 64 KiB. Plain TCP only; off reads as
    /// libmosquitto does on its own.
    public var bufferedReads = true

    public static func == (lhs: MQTTConfiguration, rhs: MQTTConfiguration) -> Bool {
        lhs.host == rhs.host && lhs.port == rhs.port && lhs.alternateBrokers == rhs.alternateBrokers && lhs.clientID == rhs.clientID && lhs.cleanSession == rhs.cleanSession
            && lhs.sessionExpiry == rhs.sessionExpiry && lhs.keepAlive == rhs.keepAlive && lhs.username == rhs.username
            && lhs.password == rhs.password && lhs.tls == rhs.tls && lhs.protocolVersion == rhs.protocolVersion && lhs.will == rhs.will
            && lhs.subscriptions == rhs.subscriptions && lhs.receiveBufferCapacity == rhs.receiveBufferCapacity
            && lhs.reconnectBackoff == rhs.reconnectBackoff && lhs.tcpNoDelay == rhs.tcpNoDelay
            && lhs.bufferedReads == rhs.bufferedReads
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(host)
        hasher.combine(port)
        hasher.combine(clientID)
    }

    public init(
        host: String = "127.0.0.1",
        port: Int = 1883,
        clientID: String,
        cleanSession: Bool = true,
        sessionExpiry: Duration = .seconds(7 * 24 * 3600),
        keepAlive: Duration = .seconds(30),
        username: String? = nil,
        password: String? = nil,
        tls: TLS? = nil,
        protocolVersion: ProtocolVersion = .v311,
        will: MQTTMessage? = nil,
        subscriptions: [Subscription] = [],
        receiveBufferCapacity: Int = 10_000,
        reconnectBackoff: ReconnectBackoff = ReconnectBackoff(),
        isUrgent: (@Sendable (MQTTMessage) -> Bool)? = nil
    ) {
        self.isUrgent = isUrgent
        self.host = host
        self.port = port
        self.clientID = clientID
        self.cleanSession = cleanSession
        self.sessionExpiry = sessionExpiry
        self.keepAlive = keepAlive
        self.username = username
        self.password = password
        self.tls = tls
        self.protocolVersion = protocolVersion
        self.will = will
        self.subscriptions = subscriptions
        self.receiveBufferCapacity = receiveBufferCapacity
        self.reconnectBackoff = reconnectBackoff
    }
}
