import Foundation
import Hummingbird
import HummingbirdTesting
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
