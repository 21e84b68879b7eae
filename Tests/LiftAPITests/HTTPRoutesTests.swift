import Foundation
import LiftTestSupport
import Hummingbird
import HummingbirdTesting
import LiftCore
import LiftStore
import Prometheus
import Testing
@testable import LiftAPI

@Suite("HTTP health and metrics")
struct HTTPRoutesTests {
    func context(connected: Bool) throws -> APIContext {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(name: "liftwatch_test_total").increment(by: Int64(3))
        return APIContext(
            database: try LiftDatabase(path: directory.appendingPathComponent("lw.sqlite").path),
            mqttState: { connected ? "connected (session present: true)" : "waiting" }, mqttConnected: { connected },
            metricsRegistry: registry, version: "test")
    }

    @Test("/healthz reports the database and the MQTT connection")
    func health() async throws {
        let app = Application(router: LiftHTTPServer.router(try context(connected: true)))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: String]
                #expect(body?["status"] == "ok" && body?["database"] == "ok" && body?["mqtt"] == "connected (session present: true)")
            }
        }
        let degraded = Application(router: LiftHTTPServer.router(try context(connected: false)))
        try await degraded.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: String]
                #expect(response.status == .ok && body?["status"] == "degraded")
            }
        }
        var lagging = try context(connected: true)
        lagging.replicationProblems = { ["the store's replica has been behind for 45 s"] }
        try await Application(router: LiftHTTPServer.router(lagging)).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: String]
                #expect(response.status == .ok && body?["status"] == "degraded")
                #expect(body?["reason"] == "the store's replica has been behind for 45 s")
            }
        }
    }

    @Test("/healthz says degraded, with the reason, while the store's writes fail, and ok again once one succeeds")
    func degradedWhileWritesFail() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("lw.sqlite").path
        let database = try LiftDatabase(path: path, busyTimeout: 0.05)
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102"), at: 0)
        let context = APIContext(database: database, mqttState: { "connected" }, mqttConnected: { true }, metricsRegistry: PrometheusCollectorRegistry(), version: "test")
        var batch = IngestBatch()
        batch.counters[key] = { var delta = CounterDelta(); delta.received = 1; return delta }()
        // Another process holds the write lock (as a CLI import does) for two seconds.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        holder.arguments = [path]
        let input = Pipe()
        let output = Pipe()
        holder.standardInput = input
        holder.standardOutput = output
        try holder.run()
        input.fileHandleForWriting.write(Data("BEGIN IMMEDIATE;\nINSERT INTO contractors(contractor_id, created_at) VALUES ('X', 0);\nSELECT 'held';\n".utf8))
        // Once it says so, it holds the lock until its input ends.
        var said = Data()
        while !String(decoding: said, as: UTF8.self).contains("held") { said += output.fileHandleForReading.availableData }
        #expect(throws: StoreError.self) { try database.commit(batch) }
        let app = Application(router: LiftHTTPServer.router(context))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: String]
                #expect(body?["status"] == "degraded" && body?["database"] == "writes failing")
                #expect(body?["reason"]?.contains("SQLite code 5") == true, "\(body ?? [:])")
            }
        }
        // `.quit` rather than the end of its input: a child spawned meanwhile may hold the pipe's other end open.
        input.fileHandleForWriting.write(Data("COMMIT;\n.quit\n".utf8))
        try input.fileHandleForWriting.close()
        _ = holder.finish()
        _ = try database.commit(batch)
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: String]
                #expect(body?["status"] == "ok" && body?["reason"] == "")
            }
        }
    }

    @Test("/metrics serves the Prometheus text format")
    func metrics() async throws {
        let app = Application(router: LiftHTTPServer.router(try context(connected: true)))
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                #expect(String(buffer: response.body).contains("liftwatch_test_total 3"))
            }
        }
    }

    @Test("an unknown route answers the contract's JSON error shape")
    func errorShape() async throws {
        let app = Application(router: LiftHTTPServer.router(try context(connected: true)))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: [String: String]]
                #expect(body?["error"]?["code"] == "not_found")
                #expect(body?["error"]?["message"]?.isEmpty == false)
            }
        }
    }
}
