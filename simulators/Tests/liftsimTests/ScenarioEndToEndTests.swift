import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LiftCore
import LiftMQTT
import LiftStore
import Testing
@testable import LiftSim

/// Scenarios run against the real `liftwatch` executable and the mosquitto it starts, then verified through
/// LiftWatch's HTTP API, as `liftsim scenario run --api … --token …` does.
@Suite("Scenarios against a running LiftWatch", .serialized)
struct ScenarioEndToEndTests {
    static let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

    /// Runs the scenario's fleet on its own thread, as the `liftsim` executable does.
    static func runFleet(_ scenario: Scenario, brokerPort: Int) async throws -> FleetRunner.Summary {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                var engine = FleetEngine(scenario: scenario, seed: 1, start: scenario.defaultStart(now: Int64(Date().timeIntervalSince1970 * 1000)))
                let runner = FleetRunner(host: "127.0.0.1", port: brokerPort, speed: scenario.speed, linger: .seconds(2), progressEvery: nil)
                do { continuation.resume(returning: try runner.run(&engine)) } catch { continuation.resume(throwing: error) }
            }
            thread.start()
        }
    }

    @Test("entrapment, malformed messages and a network cut, run against liftwatch serve and verified through its API")
    func scenariosVerifiedEndToEnd() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let brokerPort = try MosquittoBroker.freeLoopbackPort()
        let httpPort = try MosquittoBroker.freeLoopbackPort()
        // The database `serve` will open (its default path under the working directory), with an admin token.
        try FileManager.default.createDirectory(atPath: directory + "/var", withIntermediateDirectories: true)
        var random = SystemRandomNumberGenerator()
        let token = try LiftDatabase(path: directory + "/var/liftwatch.sqlite")
            .createToken(role: .admin, label: "scenario test", at: Int64(Date().timeIntervalSince1970 * 1000), by: "test", using: &random).token

        let serve = Process()
        serve.executableURL = Self.binDirectory.appendingPathComponent("liftwatch")
        serve.arguments = ["serve", "--set", "broker.embedded_port=\(brokerPort)", "--set", "http.port=\(httpPort)"]
        serve.currentDirectoryURL = URL(fileURLWithPath: directory)
        FileManager.default.createFile(atPath: directory + "/serve.log", contents: nil)
        let log = FileHandle(forWritingAtPath: directory + "/serve.log")
        serve.standardOutput = log
        serve.standardError = log
        try serve.run()
        defer { if serve.isRunning { serve.terminate(); serve.waitUntilExit() } }

        var healthy = false
        for _ in 0..<200 where !healthy {
            try await Task.sleep(for: .milliseconds(100))
            if let (data, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(httpPort)/healthz")!) {
                healthy = (try? JSONSerialization.jsonObject(with: data) as? [String: String])?["mqtt"]?.hasPrefix("connected") == true
            }
        }
        let serveLog = (try? String(contentsOfFile: directory + "/serve.log", encoding: .utf8)) ?? ""
        try #require(healthy, "liftwatch serve did not come up: \(serveLog)")

        let verifier = ScenarioVerifier(baseURL: "http://127.0.0.1:\(httpPort)", token: token)
        for (name, speed) in [("entrapment-between-floors", 60.0), ("malformed-payloads", 60.0), ("network-flaps", 8.0)] {
            var scenario = try ScenarioTests.load(name)
            scenario.speed = speed
            try await verifier.register(scenario, commissionedOn: "2024-01-01")
            let summary = try await Self.runFleet(scenario, brokerPort: brokerPort)
            #expect(summary.published > 0 && summary.connects >= scenario.fleet.elevators)
            let checks = try await verifier.verify(scenario, timeout: .seconds(30))
            for check in checks where !check.matched { Issue.record("\(name): \(check)") }
            #expect(!checks.isEmpty)
        }
    }
}
