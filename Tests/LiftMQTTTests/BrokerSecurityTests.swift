import Foundation
import LiftTestSupport
import LiftCore
import Testing
@testable import LiftMQTT

/// The production broker configuration (`config/mosquitto-production.conf`) with an ACL from `BrokerACL`,
/// run for real: passwords, per-elevator topics, TLS off the machine.
@Suite("Production broker: passwords, ACL, TLS", .serialized)
struct BrokerSecurityTests {
    static let configFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/mosquitto-production.conf").path

    /// A mosquitto started from the production file with this test's paths and ports.
    final class Broker {
        let process = Process()
        let tlsPort: Int
        let localPort: Int
        let directory: String

        init(pki: TestPKI, acl: String, passwords: [String: String]) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("prod-broker-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            tlsPort = try MosquittoBroker.freeLoopbackPort()
            localPort = try MosquittoBroker.freeLoopbackPort()
            try acl.write(toFile: directory + "/acl", atomically: true, encoding: .utf8)
            try passwords.map { "\($0.key):\($0.value)" }.joined(separator: "\n").appending("\n").write(toFile: directory + "/passwd", atomically: true, encoding: .utf8)
            let hash = Process()
            hash.executableURL = URL(fileURLWithPath: try MosquittoBroker.executable(named: "mosquitto_passwd"))
            hash.arguments = ["-U", directory + "/passwd"]
            try hash.run()
            _ = hash.finish()
            var text = try String(contentsOfFile: BrokerSecurityTests.configFile, encoding: .utf8)
            for (from, to) in [
                ("/etc/liftwatch/mosquitto/passwd", directory + "/passwd"), ("/etc/liftwatch/mosquitto/acl", directory + "/acl"),
                ("/etc/liftwatch/tls/ca.crt", pki.caCertificate), ("/etc/liftwatch/tls/broker.crt", pki.serverCertificate),
                ("/etc/liftwatch/tls/broker.key", pki.serverKey), ("listener 8883", "listener \(tlsPort)"),
                ("listener 1883 127.0.0.1", "listener \(localPort) 127.0.0.1"), ("/var/lib/mosquitto/", directory + "/"),
            ] {
                #expect(text.contains(from), "the production file no longer has \(from)")
                text = text.replacingOccurrences(of: from, with: to)
            }
            if getuid() == 0 { text += "\nuser root\n" }  // as root, mosquitto would drop to a user that cannot read these files
            text += "\nlog_dest file \(directory)/mosquitto.log\n"
            try text.write(toFile: directory + "/mosquitto.conf", atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: try MosquittoBroker.executable(named: "mosquitto"))
            process.arguments = ["-c", directory + "/mosquitto.conf"]
            try process.run()
        }

        func waitUntilListening() async throws {
            for _ in 0..<100 {
                if MosquittoBroker.acceptsConnections(host: "127.0.0.1", port: tlsPort), MosquittoBroker.acceptsConnections(host: "127.0.0.1", port: localPort) { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw TestFailure("production broker did not start: \((try? String(contentsOfFile: directory + "/mosquitto.log", encoding: .utf8)) ?? "")")
        }

        /// Stops the broker. (Not in `deinit`: `waitUntilExit` can hang inside Swift concurrency.)
        func stop() async {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGTERM)
            for _ in 0..<100 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    static let passwords = ["liftwatch": "service-secret", "E-1": "e1-secret", "E-2": "e2-secret", "C1": "c1-secret"]
    static let acl = BrokerACL(
        elevators: [.init(elevatorID: "E-1", region: "430102"), .init(elevatorID: "E-2", region: "430103")], contractors: ["C1", "C1"]
    ).render(generatedAt: "test")

    func controller(_ broker: Broker, _ pki: TestPKI, user: String, password: String) -> MQTTConfiguration {
        MQTTConfiguration(
            host: "localhost", port: broker.tlsPort, clientID: uniqueID(user), username: user, password: password,
            tls: .init(caFile: pki.caCertificate), reconnectBackoff: .init(initial: .milliseconds(100), maximum: .milliseconds(200)))
    }

    @Test("a controller publishes under its own topics over TLS; another elevator's topic, another region and LiftWatch's topics are refused")
    func aclConfinesEachController() async throws {
        let pki = try TestPKI.make()
        let broker = try Broker(pki: pki, acl: Self.acl, passwords: Self.passwords)
        defer { if broker.process.isRunning { kill(broker.process.processIdentifier, SIGKILL) } }
        try await broker.waitUntilListening()
        let liftwatch = try MQTTClient(configuration: .init(
            port: broker.localPort, clientID: uniqueID("liftwatch"), username: "liftwatch", password: "service-secret",
            subscriptions: ["telemetry", "event", "stats", "status"].map { .init("lift/+/+/\($0)") } + [.init("contractor/#"), .init("regulator/#")]))
        liftwatch.start()
        try await waitUntilSubscribed(liftwatch)

        let e1 = try MQTTClient(configuration: controller(broker, pki, user: "E-1", password: "e1-secret"))
        e1.start()
        try await e1.waitUntilConnected()
        // QoS 1 publishes are acknowledged either way (MQTT 3.1.1 has no refusal); the broker drops the refused.
        try await e1.publish(MQTTMessage(topic: "lift/430103/E-2/telemetry", string: #"{"seq":1,"ts":1,"floor":9}"#))
        try await e1.publish(MQTTMessage(topic: "lift/430103/E-1/telemetry", string: #"{"seq":2,"ts":1,"floor":9}"#))
        try await e1.publish(MQTTMessage(topic: "contractor/C1/tickets", string: #"{"forged":true}"#))
        try await e1.publish(MQTTMessage(topic: "lift/430102/E-1/replay", string: #"{"from_seq":1,"to_seq":2}"#))
        try await e1.publish(MQTTMessage(topic: "lift/430102/E-1/telemetry", string: #"{"seq":3,"ts":1,"floor":2}"#))
        let received = try await receive(1, from: liftwatch)
        #expect(received.map(\.topic) == ["lift/430102/E-1/telemetry"])
        try await Task.sleep(for: .milliseconds(500))
        #expect(liftwatch.statistics.received == 1, "a refused message reached LiftWatch")

        // LiftWatch may ask E-1 for a replay; E-1 receives it. (One connection per account: the broker gives each
        // client its username as client id, so E-1's first connection goes first.)
        await e1.shutdown()
        let e1Replay = try MQTTClient(configuration: {
            var c = controller(broker, pki, user: "E-1", password: "e1-secret")
            c.subscriptions = [.init("lift/430102/E-1/replay")]
            return c
        }())
        e1Replay.start()
        try await waitUntilSubscribed(e1Replay)
        try await liftwatch.publish(MQTTMessage(topic: "lift/430102/E-1/replay", string: #"{"from_seq":1,"to_seq":2}"#))
        #expect(try await receive(1, from: e1Replay).first?.topic == "lift/430102/E-1/replay")
        for client in [e1, e1Replay, liftwatch] { await client.shutdown() }
        await broker.stop()
    }

    @Test("a controller connecting with LiftWatch's client id cannot take over its session or its queued messages")
    func clientIDsAreBoundToAccounts() async throws {
        let pki = try TestPKI.make()
        let broker = try Broker(pki: pki, acl: Self.acl, passwords: Self.passwords)
        defer { if broker.process.isRunning { kill(broker.process.processIdentifier, SIGKILL) } }
        try await broker.waitUntilListening()
        let liftwatch = try MQTTClient(configuration: .init(
            port: broker.localPort, clientID: "liftwatch", cleanSession: false, username: "liftwatch", password: "service-secret",
            subscriptions: [.init("lift/+/+/telemetry")]))
        liftwatch.start()
        try await waitUntilSubscribed(liftwatch)
        // E-1 connects with LiftWatch's client id (and a clean session, as a hijacker would).
        var hijack = controller(broker, pki, user: "E-1", password: "e1-secret")
        hijack.clientID = "liftwatch"
        let intruder = try MQTTClient(configuration: hijack)
        intruder.start()
        try await intruder.waitUntilConnected()
        try await Task.sleep(for: .milliseconds(500))
        try await intruder.publish(MQTTMessage(topic: "lift/430102/E-1/telemetry", string: #"{"seq":1,"ts":1}"#))
        // LiftWatch keeps its connection and its messages.
        #expect(try await receive(1, from: liftwatch).map(\.topic) == ["lift/430102/E-1/telemetry"])
        #expect(liftwatch.connectionState.isConnected)
        #expect(liftwatch.statistics.reconnects == 0, "LiftWatch was disconnected")
        #expect(intruder.statistics.received == 0)
        for client in [intruder, liftwatch] { await client.shutdown() }
        await broker.stop()
    }

    @Test("the ACL gives LiftWatch's three sessions their accounts and nothing more to controllers")
    func serviceAccounts() {
        let acl = BrokerACL(elevators: [.init(elevatorID: "E-1", region: "430102")], contractors: []).render(generatedAt: "test")
        for user in ["liftwatch", "liftwatch-events", "liftwatch-cli"] { #expect(acl.contains("user \(user)\ntopic read lift/+/+/telemetry")) }
        #expect(acl.contains("user E-1\ntopic write lift/430102/E-1/telemetry"))
    }

    @Test("wrong passwords, anonymous clients and plain TCP on the TLS port do not get in")
    func strangersAreRefused() async throws {
        let pki = try TestPKI.make()
        let broker = try Broker(pki: pki, acl: Self.acl, passwords: Self.passwords)
        defer { if broker.process.isRunning { kill(broker.process.processIdentifier, SIGKILL) } }
        try await broker.waitUntilListening()
        for configuration in [
            controller(broker, pki, user: "E-1", password: "e2-secret"),
            MQTTConfiguration(host: "localhost", port: broker.tlsPort, clientID: uniqueID("anon"), tls: .init(caFile: pki.caCertificate)),
            MQTTConfiguration(port: broker.tlsPort, clientID: uniqueID("plain"), username: "E-1", password: "e1-secret"),
            MQTTConfiguration(port: broker.localPort, clientID: uniqueID("local-anon")),
        ] {
            let client = try MQTTClient(configuration: configuration)
            client.start()
            await #expect(throws: MQTTError.self, "\(configuration.clientID) got in") { try await client.waitUntilConnected(timeout: .seconds(3)) }
            await client.shutdown()
        }
        await broker.stop()
    }
}
