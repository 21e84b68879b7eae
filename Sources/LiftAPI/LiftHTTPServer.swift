import Foundation
import Hummingbird
import LiftStore
import Logging
import Prometheus

/// What the HTTP routes need from the running service.
public struct APIContext: Sendable {
    public var database: LiftDatabase
    /// The MQTT connection state, as text (`connected (session present: true)`), for `/healthz`.
    public var mqttState: @Sendable () -> String
    public var mqttConnected: @Sendable () -> Bool
    /// Where `/metrics` reads from.
    public var metricsRegistry: PrometheusCollectorRegistry
    public var version: String

    public init(
        database: LiftDatabase, mqttState: @escaping @Sendable () -> String, mqttConnected: @escaping @Sendable () -> Bool,
        metricsRegistry: PrometheusCollectorRegistry, version: String
    ) {
        self.database = database
        self.mqttState = mqttState
        self.mqttConnected = mqttConnected
        self.metricsRegistry = metricsRegistry
        self.version = version
    }
}

/// LiftWatch's HTTP side: health, metrics, and (growing) the `/api/v1` routes.
public enum LiftHTTPServer {
    /// The router with every route; also what the route tests drive.
    public static func router(_ context: APIContext) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ErrorShapeMiddleware())
        router.get("/healthz") { _, _ -> Response in
            let report = HealthReport.check(context)
            let body = try JSONEncoder.snakeCase.encode(report)
            return Response(
                status: report.status == "unavailable" ? .serviceUnavailable : .ok,
                headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            context.metricsRegistry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        return router
    }

    /// The application, a `Service` that serves until graceful shutdown.
    public static func application(
        host: String, port: Int, context: APIContext, logger: Logger, onServerRunning: (@Sendable (Int) async -> Void)? = nil
    ) -> some ApplicationProtocol {
        Application(
            router: router(context),
            configuration: .init(address: .hostname(host, port: port), serverName: "LiftWatch/\(context.version)"),
            onServerRunning: { channel in await onServerRunning?(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}

/// The body of `/healthz`.
struct HealthReport: Codable, Sendable {
    /// `ok`; `degraded` when MQTT is not connected; `unavailable` when the database cannot be read.
    var status: String
    var database: String
    var mqtt: String
    var version: String

    static func check(_ context: APIContext) -> HealthReport {
        let database: String
        do {
            _ = try context.database.appliedMigrations()
            database = "ok"
        } catch {
            database = "error: \(error)"
        }
        let connected = context.mqttConnected()
        let status = database != "ok" ? "unavailable" : connected ? "ok" : "degraded"
        return HealthReport(status: status, database: database, mqtt: context.mqttState(), version: context.version)
    }
}

extension JSONEncoder {
    static var snakeCase: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
