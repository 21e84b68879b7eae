import CMosquitto
import Foundation

/// One connection of an `MQTTFleet`: its libmosquitto handle and where it is in its connect cycle.
/// Confined to the fleet's thread; libmosquitto's callbacks find it through the handle's user-data pointer.
final class FleetConnection {
    enum Phase { case down, connecting, connected }

    let index: Int
    let member: MQTTFleet.Member
    let mosq: OpaquePointer
    /// Unowned: the fleet owns its connections and outlives every callback.
    unowned(unsafe) var fleet: MQTTFleet!
    var phase: Phase = .down
    /// Whether the member should be connected (false after a cut).
    var wanted = true
    var retryAt: ContinuousClock.Instant?
    var attempt = 0
    /// How many times it moved on to the next broker node (`MQTTFleet.brokers`).
    var brokerTurn = 0
    /// The socket registered with the fleet's epoll instance (-1: none).
    var watchedSocket: Int32 = -1
    /// Whether that registration asks for writability.
    var watchingWrites = false

    init(index: Int, member: MQTTFleet.Member) throws(MQTTError) {
        self.index = index
        self.member = member
        guard let mosq = mosquitto_new(member.clientID, true, nil) else {
            throw MQTTError(kind: .library, code: errno, operation: "create client \(member.clientID)", message: String(cString: strerror(errno)))
        }
        self.mosq = mosq
        do {
            if member.username != nil || member.password != nil {
                try Mosquitto.check(mosquitto_username_pw_set(mosq, member.username, member.password), "set credentials for \(member.clientID)")
            }
            if let will = member.will {
                let rc = will.payload.withUnsafeBytes { bytes in
                    mosquitto_will_set(mosq, will.topic, Int32(bytes.count), bytes.baseAddress, will.qos.rawValue, will.retain)
                }
                try Mosquitto.check(rc, "set will on \(will.topic)")
            }
        } catch {
            mosquitto_destroy(mosq)
            throw error
        }
    }

    func installCallbacks() {
        mosquitto_user_data_set(mosq, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_connect_callback_set(mosq) { _, userData, rc in
            FleetConnection.from(userData)?.didConnect(rc: rc)
        }
        mosquitto_disconnect_callback_set(mosq) { _, userData, rc in
            guard rc != 0, let connection = FleetConnection.from(userData) else { return }
            connection.fleet.connectionLost(connection)
        }
        mosquitto_publish_callback_set(mosq) { _, userData, _ in
            FleetConnection.from(userData)?.fleet.stats.acknowledged += 1
        }
        mosquitto_message_callback_set(mosq) { _, userData, message in
            guard let message, let connection = FleetConnection.from(userData) else { return }
            let count = Int(message.pointee.payloadlen)
            let payload: [UInt8] = count > 0 && message.pointee.payload != nil
                ? Array(UnsafeRawBufferPointer(start: message.pointee.payload, count: count)) : []
            let received = MQTTMessage(
                topic: String(cString: message.pointee.topic), payload: payload, qos: QoS(rawValue: message.pointee.qos) ?? .atMostOnce,
                retain: message.pointee.retain)
            connection.fleet.stats.received += 1
            connection.fleet.onMessage?(connection.index, received)
        }
    }

    static func from(_ userData: UnsafeMutableRawPointer?) -> FleetConnection? {
        guard let userData else { return nil }
        return Unmanaged<FleetConnection>.fromOpaque(userData).takeUnretainedValue()
    }

    private func didConnect(rc: Int32) {
        guard rc == 0 else {
            fleet.stats.failedAttempts += 1
            fleet.logger.warning("broker refused a fleet member", metadata: ["client": "\(member.clientID)", "reason": "\(Mosquitto.connackMessage(for: rc))"])
            fleet.connectionLost(self)
            return
        }
        phase = .connected
        attempt = 0
        fleet.stats.connects += 1
        fleet.stats.connected += 1
        for filter in member.subscriptions { _ = mosquitto_subscribe(mosq, nil, filter, 1) }
        fleet.onConnectionChange?(index, true)
    }

    /// Forgets the connection; the socket is closed by the next `mosquitto_reconnect`.
    func markDown() {
        if phase == .connected { fleet.stats.connected -= 1 }
        phase = .down
    }
}
