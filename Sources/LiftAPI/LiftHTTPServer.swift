import Foundation
import Hummingbird
import LiftCore
import LiftScheduler
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
    /// The service's time (tests pass a manual clock).
    public var clock: EpochClock
    /// Takes ticket steps; nil where the scheduler does not run (ticket actions answer 503).
    public var engine: TicketEngine?
    /// Health scores and online state.
    public var health: HealthEvaluator
    public var offlineThresholdMs: Int64
    /// Ticket changes and alerts for `GET /api/v1/stream`.
    public var events: EventHub?
    /// Replays dead letters (ids or a reason, and who asks); nil where ingestion does not run.
    public var replayDeadLetters: (@Sendable ([Int64]?, String?, String) async throws -> ReplaySummary)?
    /// Maintenance checklists shown with maintenance tickets.
    public var checklists: MaintenanceChecklists?
    /// The OpenAPI document served at `/api/v1/openapi.yaml`.
    public var openAPIPath: String
    /// Where Debian's `libjs-chart.js` and `libjs-leaflet` put their files.
    public var javascriptDirectory: String
    /// The map's outlines: `hunan-cities.geojson` and `hunan-districts.geojson` in this directory.
    public var outlinesDirectory: String
    /// A tile URL template for the map where a tile server exists; empty draws no tiles.
    public var mapTileURL: String
    /// Mark the session cookie `Secure` always (it is whenever a request says it came over TLS).
    public var secureCookies = false
    /// The fault-code platforms an elevator may name (the loaded maps); nil accepts any well-formed name.
    public var platforms: Set<String>? = nil
    /// The map's counts and health, kept a little while.
    let mapSnapshots = MapSnapshots()
    /// The rescue hotline residents' pages show, per region.
    public var rescueHotlines = RescueHotlines()
    /// Where residents' phones reach LiftWatch (`residents.public_url`), for the code on each car's sign; empty:
    /// the address a sign was asked for at.
    public var publicURL = ""
    /// Reverse proxies whose `X-Forwarded-For` names the client (`http.trusted_proxies`); others' is ignored.
    public var trustedProxies: Set<String> = []
    /// Residents' reports allowed per elevator and per address in an hour.
    public var residentReportLimits = ResidentReportLimits()
    /// What is wrong with the broker connection beyond being connected (refused subscriptions), for `/healthz`.
    public var mqttProblems: @Sendable () -> [String] = { [] }
    /// What is wrong with the store's replication (the cluster profile: a replica long behind), for `/healthz`.
    public var replicationProblems: @Sendable () -> [String] = { [] }

    public init(
        database: LiftDatabase, mqttState: @escaping @Sendable () -> String, mqttConnected: @escaping @Sendable () -> Bool,
        metricsRegistry: PrometheusCollectorRegistry, version: String, clock: EpochClock = .system, engine: TicketEngine? = nil,
        scheduler: SchedulerConfiguration = SchedulerConfiguration(), events: EventHub? = nil,
        replayDeadLetters: (@Sendable ([Int64]?, String?, String) async throws -> ReplaySummary)? = nil,
        checklists: MaintenanceChecklists? = nil, openAPIPath: String = "docs/openapi.yaml",
        javascriptDirectory: String = "/usr/share/javascript", outlinesDirectory: String = "config/geo", mapTileURL: String = ""
    ) {
        self.database = database
        self.mqttState = mqttState
        self.mqttConnected = mqttConnected
        self.metricsRegistry = metricsRegistry
        self.version = version
        self.clock = clock
        self.engine = engine
        self.health = HealthEvaluator(database: database, configuration: scheduler)
        self.offlineThresholdMs = scheduler.offlineThresholdMs
        self.events = events
        self.replayDeadLetters = replayDeadLetters
        self.checklists = checklists
        self.openAPIPath = openAPIPath
        self.javascriptDirectory = javascriptDirectory
        self.outlinesDirectory = outlinesDirectory
        self.mapTileURL = mapTileURL
    }
}

/// Residents' reports allowed in a sliding hour (`residents.*` in the configuration).
public struct ResidentReportLimits: Sendable, Hashable {
    public var perElevator: Int
    public var perAddress: Int
    public init(perElevator: Int = 5, perAddress: Int = 3) {
        self.perElevator = perElevator
        self.perAddress = perAddress
    }
}

/// What a dead-letter replay did.
public struct ReplaySummary: Codable, Sendable, Hashable {
    public var replayed: Int
    public var accepted: Int
    public var rejectedAgain: Int
    public init(replayed: Int, accepted: Int, rejectedAgain: Int) {
        self.replayed = replayed
        self.accepted = accepted
        self.rejectedAgain = rejectedAgain
    }
}

/// LiftWatch's HTTP side: health, metrics, the `/api/v1` routes and the web pages.
public enum LiftHTTPServer {
    /// The router with every route; also what the route tests drive.
    public static func router(_ context: APIContext) -> Router<LiftRequestContext> {
        let router = Router(context: LiftRequestContext.self)
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
        router.get("/api/v1/openapi.yaml") { _, _ -> Response in
            guard let document = FileManager.default.contents(atPath: context.openAPIPath) else {
                throw APIError(.notFound, code: "not_found", message: "the OpenAPI document is not installed at \(context.openAPIPath)")
            }
            return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: document)))
        }
        let throttle = AuthThrottle()
        let api = router.group("/api/v1").add(middleware: AuthMiddleware(database: context.database, throttle: throttle, clock: context.clock))
        APIRoutes(context: context).register(on: api)
        WebPages(context: context, throttle: throttle).register(on: router)
        let limits = context.residentReportLimits
        ResidentPages(context: context, limiter: ReportLimiter(perElevator: limits.perElevator, perAddress: limits.perAddress)).register(on: router)
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
    /// `ok`; `degraded` when MQTT is not connected, the store's writes fail or its replica is long behind
    /// (`reason` says which);
    /// `unavailable` when the database cannot be read.
    var status: String
    var database: String
    var mqtt: String
    var version: String
    /// Why the status is not `ok`, in words (empty when it is). Every value of this object is a string.
    var reason: String

    static func check(_ context: APIContext) -> HealthReport {
        var database: String
        var reasons: [String] = []
        do {
            _ = try context.database.appliedMigrations()
            database = "ok"
        } catch {
            database = "error: \(error)"
            reasons.append("the database cannot be read: \(error)")
        }
        if let failure = context.database.writeHealth.failure {
            let seconds = (ContinuousClock.now - failure.since).components.seconds
            database = database == "ok" ? "writes failing" : database
            reasons.append("\(failure.count) writes failed over \(seconds) s, the last: \(failure.error)")
        }
        let connected = context.mqttConnected()
        if !connected { reasons.append("MQTT is not connected: \(context.mqttState())") }
        reasons += context.mqttProblems()
        reasons += context.replicationProblems()
        let readable = !database.hasPrefix("error")
        let status = !readable ? "unavailable" : reasons.isEmpty ? "ok" : "degraded"
        return HealthReport(status: status, database: database, mqtt: context.mqttState(), version: context.version, reason: reasons.joined(separator: "; "))
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
