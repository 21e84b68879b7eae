import ArgumentParser
import Foundation
import LiftAPI
import LiftCluster
import LiftCore
import LiftIngest
import LiftMQTT
import LiftScheduler
import LiftStore
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run LiftWatch: MQTT ingestion into SQLite, the ticket scheduler, webhooks, and the HTTP server.",
        discussion: """
            Connects to the configured broker with a fixed client id and a persistent session, so that messages \
            published while LiftWatch is down arrive when it is back. With no broker.host, starts mosquitto on \
            127.0.0.1:<broker.embedded_port> from config/mosquitto.conf and stops it on exit. SIGINT or SIGTERM \
            shut down cleanly: the MQTT session is closed first and everything received is committed.
            """)

    @OptionGroup var options: ConfigurationOptions

    @Option(help: ArgumentHelp("Broker host (broker.host); empty starts a local mosquitto.", valueName: "host"))
    var brokerHost: String?

    @Option(help: ArgumentHelp("Broker port (broker.port).", valueName: "port"))
    var brokerPort: Int?

    @Option(help: ArgumentHelp("HTTP listen address (http.host).", valueName: "host"))
    var httpHost: String?

    @Option(help: ArgumentHelp("HTTP port (http.port).", valueName: "port"))
    var httpPort: Int?

    @Option(help: ArgumentHelp("Log level (log.level): trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: String?

    func run() async throws {
        var extra: [String: String] = [:]
        if let brokerHost { extra["broker.host"] = brokerHost }
        if let brokerPort { extra["broker.port"] = String(brokerPort) }
        if let httpHost { extra["http.host"] = httpHost }
        if let httpPort { extra["http.port"] = String(httpPort) }
        if let logLevel { extra["log.level"] = logLevel }
        let configuration = try await options.load(extra: extra)
        let server = try Server(configuration: configuration)
        try await server.run()
    }
}

/// Composes LiftWatch's services from the configuration and runs them until a shutdown signal.
struct Server {
    let configuration: LiftWatchConfiguration
    let logger: Logger
    let registry: PrometheusCollectorRegistry

    init(configuration: LiftWatchConfiguration) throws {
        self.configuration = configuration
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        logger = Logger(label: "liftwatch")
    }

    func run() async throws {
        Self.capMallocArenas(at: configuration.mallocArenaMax, environment: ProcessInfo.processInfo.environment, logger: logger)
        // The cluster profile: nothing opens, connects or listens until this node holds the lease.
        let cluster = configuration.cluster.isEnabled
            ? try ClusterNode(configuration: configuration.cluster, databasePath: configuration.database.path, logger: Logger(label: "liftwatch.cluster")) : nil
        let database: LiftDatabase
        do {
            let restored = try await cluster?.becomeActive() ?? false
            database = try LiftDatabase(path: configuration.database.path, logger: Logger(label: "liftwatch.store"))
            if restored {
                // The copy may lack ids the previous node published in its last second: new ones start far above.
                let moved = try TermStart(database: database).skipIdentifiers()
                logger.notice("published id sequences moved on for this term", metadata: ["tables": "\(moved)", "by": "\(TermStart.gap)"])
            }
            try await cluster?.startReplication()
            cluster?.watchStore { [writeHealth = database.writeHealth] in writeHealth.failingSince }
        } catch {
            await cluster?.resign()
            throw error
        }
        let migrations = try database.appliedMigrations().count
        logger.info("database open", metadata: ["path": "\(configuration.database.path)", "migrations": "\(migrations)"])
        var embedded: MosquittoBroker?
        var host = configuration.broker.host
        var port = configuration.broker.port
        if host.isEmpty {
            let broker = try await MosquittoBroker.start(.init(
                port: configuration.broker.embeddedPort,
                baseConfigurationFile: FileManager.default.fileExists(atPath: configuration.broker.embeddedConfigFile)
                    ? configuration.broker.embeddedConfigFile : nil,
                directory: ((configuration.database.path as NSString).deletingLastPathComponent.isEmpty
                    ? "." : (configuration.database.path as NSString).deletingLastPathComponent) + "/mosquitto"))
            logger.info("embedded mosquitto started", metadata: ["address": "\(broker.host):\(broker.port)", "directory": "\(broker.directory)"])
            embedded = broker
            host = broker.host
            port = broker.port
        }
        do {
            try await runServices(database: database, host: host, port: port, cluster: cluster, shutdownDeadline: cluster == nil ? nil : .seconds(60))
        } catch {
            await embedded?.stop()
            try? database.close()
            await cluster?.resign()
            throw error
        }
        if let embedded {
            await embedded.stop()
            logger.info("embedded mosquitto stopped")
        }
        try database.close()
        await cluster?.resign()
        logger.info("liftwatch stopped")
    }

    /// - Parameter shutdownDeadline: in the cluster profile, how long a graceful shutdown may take before the
    ///   services are cancelled: a node that hangs while stopping would otherwise hold its lease for ever.
    private func runServices(database: LiftDatabase, host: String, port: Int, cluster: ClusterNode?, shutdownDeadline: Duration?) async throws {
        let broker = configuration.broker
        var droppedEventFilters: [String] = []
        // Fault events on a session of their own: the broker queues them apart from the telemetry backlog.
        let eventFilters = broker.separateEventSession ? broker.subscriptions.filter { $0.hasSuffix("/event") } : []
        let mainFilters = broker.subscriptions.filter { !eventFilters.contains($0) }
        // Where the broker binds client ids to usernames (the production configuration), each session is an account
        // of its own: `broker.username` and `broker.events_username`, with the same password.
        func sessionConfiguration(clientID: String, filters: [String], username: String) -> MQTTConfiguration {
            var session = MQTTConfiguration(
                host: host, port: port, clientID: clientID, cleanSession: false,
                keepAlive: .seconds(broker.keepAliveSeconds),
                username: username.isEmpty ? nil : username,
                password: broker.password.isEmpty ? nil : broker.password,
                tls: broker.tlsCAFile.isEmpty ? nil : .init(
                    caFile: broker.tlsCAFile, certificateFile: broker.tlsCertFile.isEmpty ? nil : broker.tlsCertFile,
                    keyFile: broker.tlsKeyFile.isEmpty ? nil : broker.tlsKeyFile),
                protocolVersion: broker.protocolVersion == "5" ? .v5 : .v311,
                subscriptions: filters.map { .init($0, qos: .atLeastOnce) },
                receiveBufferCapacity: broker.receiveBuffer,
                // Fault events overtake queued telemetry on their way to the store.
                isUrgent: IngestService.isUrgent)
            session.bufferedReads = broker.bufferedReads
            session.alternateBrokers = broker.alternates
            return session
        }
        // Tickets go out on the session that receives fault events, just after its PUBACK: no Nagle delay there.
        // The telemetry session acknowledges thousands of messages a second: its PUBACKs may share segments.
        var mainConfiguration = sessionConfiguration(clientID: broker.clientID, filters: mainFilters, username: broker.username)
        // What each persistent session was subscribed to before and this configuration dropped: unsubscribed.
        for index in [0, 1] {
            let clientID = index == 0 ? broker.clientID : broker.clientID + "-events"
            let filters = index == 0 ? mainFilters : eventFilters
            let dropped = Set(try database.brokerSubscriptions(clientID: clientID)).subtracting(filters).sorted()
            if !dropped.isEmpty { logger.notice("unsubscribing filters no longer configured", metadata: ["client_id": "\(clientID)", "filters": "\(dropped)"]) }
            if index == 0 { mainConfiguration.unsubscribeOnConnect = dropped } else { droppedEventFilters = dropped }
            try database.setBrokerSubscriptions(filters, clientID: clientID)
        }
        mainConfiguration.tcpNoDelay = eventFilters.isEmpty
        var eventsConfiguration = sessionConfiguration(
            clientID: broker.clientID + "-events", filters: eventFilters, username: broker.eventsUsername.isEmpty ? broker.username : broker.eventsUsername)
        eventsConfiguration.unsubscribeOnConnect = droppedEventFilters
        eventsConfiguration.tcpNoDelay = true
        let client = try MQTTClient(configuration: mainConfiguration, logger: Logger(label: "liftwatch.mqtt"))
        let eventsClient = eventFilters.isEmpty ? nil : try MQTTClient(configuration: eventsConfiguration, logger: Logger(label: "liftwatch.mqtt.events"))
        // Publishing goes through the events session, whose network thread never waits for the telemetry buffer.
        // The engine hands each change's messages over without waiting for the broker (waiting for a PUBACK from the
        // commit path could wait on a network thread held by a full receive buffer: a deadlock under load); the
        // outbox dispatcher awaits the acknowledgements and publishes again whatever is not acknowledged.
        let outbox = OutboxDispatcher(
            database: database, transport: OutboxDispatcher.transport(over: eventsClient ?? client), logger: Logger(label: "liftwatch.outbox"))
        let schedulerConfiguration = try configuration.schedulerConfiguration()
        let engine = TicketEngine(
            database: database, sla: schedulerConfiguration.sla, rescuePolicy: configuration.rescueEscalationPolicy, visitPolicy: configuration.visitPolicy, outbox: outbox,
            logger: Logger(label: "liftwatch.tickets"))
        var ingestConfiguration = IngestService.Configuration(
            batchSize: configuration.ingest.batchSize,
            sequencePolicy: .init(
                firstRequestDelayMs: Int64(configuration.ingest.gapFirstRequestMs),
                requestIntervalMs: Int64(configuration.ingest.gapRequestIntervalSeconds) * 1000,
                maximumRequestsPerPass: configuration.ingest.gapRequestsPerSecond,
                gapTimeoutMs: Int64(configuration.ingest.gapTimeoutSeconds) * 1000),
            faultCodeMaps: try FaultCodeMap.loadDirectory(configuration.faultCodesDirectory),
            regionPlatforms: configuration.regionPlatformMap)
        ingestConfiguration.eventsPerMinute = configuration.ingest.eventsPerMinute
        ingestConfiguration.eventBurst = configuration.ingest.eventBurst
        let ingest = IngestService(
            client: client, eventsClient: eventsClient, database: database, clock: .system,
            configuration: ingestConfiguration,
            logger: Logger(label: "liftwatch.ingest"),
            onCommittedEvents: { events in await engine.handle(events) })
        let scheduler = SchedulerService(
            pass: SchedulerPass(database: database, engine: engine, configuration: schedulerConfiguration, logger: Logger(label: "liftwatch.scheduler")),
            clock: .system, configuration: schedulerConfiguration, logger: Logger(label: "liftwatch.scheduler"))
        var webhookConfiguration = WebhookService.Configuration()
        webhookConfiguration.allowPrivateTargets = configuration.webhooks.allowPrivateTargets
        let webhooks = WebhookService(database: database, clock: .system, configuration: webhookConfiguration, logger: Logger(label: "liftwatch.webhooks"))
        let events = EventHub()
        await engine.observe { ticket, effects in
            events.publish(ticket: ticket, alerts: effects.compactMap { if case .alertRegulator(let reason) = $0 { reason } else { nil } })
        }
        let faultCodeMaps = try FaultCodeMap.loadDirectory(configuration.faultCodesDirectory)
        let replayer = DeadLetterReplayer(database: database, faultCodeMaps: faultCodeMaps, regionPlatforms: configuration.regionPlatformMap)
        let checklists: MaintenanceChecklists?
        do { checklists = try MaintenanceChecklists.load(configuration.scheduler.checklistsFile) } catch {
            logger.warning("maintenance checklists not loaded", metadata: ["file": "\(configuration.scheduler.checklistsFile)", "error": "\(error)"])
            checklists = nil
        }
        var apiContext = APIContext(
                database: database, mqttState: { client.connectionState.description },
                mqttConnected: { client.connectionState.isConnected && (eventsClient?.connectionState.isConnected ?? true) }, metricsRegistry: registry,
                version: LiftWatchCommand.version, clock: .system, engine: engine, scheduler: schedulerConfiguration, events: events,
                replayDeadLetters: { ids, reason, actor in
                    let (summary, result) = try replayer.replay(ids: ids, reason: reason)
                    await engine.handle(result.newEvents)
                    try database.audit(at: EpochClock.system.now(), actor: actor, action: "dead_letters.replay", subject: "dead_letters", detail: [
                        "ids": ids.map { $0.map(String.init).joined(separator: ",") }, "reason": reason, "accepted": String(summary.accepted),
                    ])
                    return ReplaySummary(replayed: summary.replayed, accepted: summary.accepted, rejectedAgain: summary.rejectedAgain)
                },
                checklists: checklists, openAPIPath: configuration.http.openAPIFile, outlinesDirectory: configuration.http.outlinesDirectory,
                mapTileURL: configuration.http.mapTileURL)
        apiContext.secureCookies = configuration.http.secureCookies
        apiContext.trustedProxies = Set(configuration.http.trustedProxies)
        apiContext.rescueHotlines = configuration.rescueHotlines
        apiContext.publicURL = configuration.residents.publicURL
        apiContext.residentReportLimits = ResidentReportLimits(
            perElevator: configuration.residents.reportsPerElevatorHour, perAddress: configuration.residents.reportsPerAddressHour)
        apiContext.platforms = Set(faultCodeMaps.keys)
        apiContext.mqttProblems = { (client.refusedSubscriptions + (eventsClient?.refusedSubscriptions ?? [])).map { "the broker refused the subscription \($0)" } }
        if let cluster { apiContext.replicationProblems = { cluster.replicationProblems } }
        let http = LiftHTTPServer.application(
            host: configuration.http.host, port: configuration.http.port, context: apiContext, logger: Logger(label: "liftwatch.http"))
        let mqttGauge = MQTTGauges(client: client, database: database)
        let maintenance = StoreMaintenanceService(
            database: database, clock: .system,
            configuration: .init(retention: configuration.retentionPolicy),
            logger: Logger(label: "liftwatch.store"))
        // Shutdown runs in reverse order: HTTP first; ingestion last, which closes the MQTT session and then
        // commits everything received before it returns.
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(service: maintenance), .init(service: outbox), .init(service: ingest), .init(service: scheduler), .init(service: webhooks),
                .init(service: mqttGauge), .init(service: http), .init(service: WarmUp(context: apiContext, logger: Logger(label: "liftwatch.http"))),
                .init(service: StreamCloser(hub: events)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = shutdownDeadline
        let group = ServiceGroup(configuration: groupConfiguration)
        logger.info("liftwatch serving", metadata: [
            "broker": "\(host):\(port)", "client_id": "\(broker.clientID)", "http": "\(configuration.http.host):\(configuration.http.port)",
        ])
        try await group.run()
    }
}

/// Ends the live streams when shutdown begins. Last in the group, so first to stop: an open stream would otherwise
/// keep the HTTP server waiting for it.
struct StreamCloser: Service {
    let hub: EventHub

    func run() async throws {
        try? await gracefulShutdown()
        hub.close()
    }
}

/// Warms SQLite's caches with what the first visitors read (`APIContext.warmUp`), then waits for shutdown.
struct WarmUp: Service {
    let context: APIContext
    let logger: Logger

    func run() async throws {
        let start = ContinuousClock.now
        do {
            // Shutdown does not wait for it.
            let scopes = try await cancelWhenGracefulShutdown { try await context.warmUp() }
            logger.info("pages warmed", metadata: ["scopes": "\(scopes.count)", "took": "\(ContinuousClock.now - start)"])
        } catch {
            logger.warning("warming the pages failed", metadata: ["error": "\(error)"])
        }
        try? await gracefulShutdown()
    }
}

/// Publishes the MQTT client's counters as gauges every few seconds.
struct MQTTGauges: Service {
    let client: MQTTClient
    let database: LiftDatabase

    func run() async throws {
        let buffered = Gauge(label: "liftwatch_mqtt_receive_buffer_messages")
        let received = Gauge(label: "liftwatch_mqtt_received_messages")
        let dropped = Gauge(label: "liftwatch_mqtt_dropped_qos0_messages")
        let reconnects = Gauge(label: "liftwatch_mqtt_reconnects")
        let connected = Gauge(label: "liftwatch_mqtt_connected")
        let outboxPending = Gauge(label: "liftwatch_outbox_pending_messages")
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let statistics = client.statistics
            buffered.record(statistics.buffered)
            received.record(statistics.received)
            dropped.record(statistics.droppedQoS0)
            reconnects.record(statistics.reconnects)
            connected.record(client.connectionState.isConnected ? 1 : 0)
            if let pending = try? database.outbox.pendingCount() { outboxPending.record(pending) }
            try? await Task.sleep(for: .seconds(2))
        }
    }
}
