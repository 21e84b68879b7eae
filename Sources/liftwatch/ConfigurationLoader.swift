import Configuration
import Foundation
import LiftCluster
import LiftCore
import LiftMQTT
import SystemPackage

/// Reads `LiftWatchConfiguration` from flags, environment, file and defaults, refusing bad values.
///
/// Each value is read as text and converted here, so that a wrong value (a word where a port belongs, a port
/// out of range) stops the start with the key's name and what was expected, instead of quietly becoming the
/// default.
struct ConfigurationLoader {
    /// Values from command-line flags, by key (`http.port`), highest precedence.
    var overrides: [String: String] = [:]
    /// The YAML file; nil uses `config/liftwatch.yaml` when it exists.
    var file: String?
    /// The environment (injected for tests).
    var environment: [String: String] = ProcessInfo.processInfo.environment

    func load() async throws -> LiftWatchConfiguration {
        var providers: [any ConfigProvider] = []
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in overrides {
            values[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = .init(.string(value), isSecret: key.contains("password"))
        }
        providers.append(InMemoryProvider(name: "flags", values: values))
        providers.append(EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "liftwatch"))
        let path = file ?? environment["LIFTWATCH_CONFIG"] ?? "config/liftwatch.yaml"
        if FileManager.default.fileExists(atPath: path) {
            do {
                providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
            } catch {
                throw ConfigurationError(key: "config file", expected: "a readable YAML mapping at \(path)", found: "\(error)")
            }
        } else if file != nil {
            throw ConfigurationError(key: "config file", expected: "an existing file", found: path)
        }
        return try Self.map(Reader(config: ConfigReader(providers: providers)))
    }

    /// The one place where keys become fields.
    static func map(_ r: Reader) throws -> LiftWatchConfiguration {
        var c = LiftWatchConfiguration()
        c.broker.host = try r.string("broker.host", c.broker.host)
        c.broker.port = try r.int("broker.port", c.broker.port, 1...65_535)
        c.broker.embeddedPort = try r.int("broker.embedded_port", c.broker.embeddedPort, 1...65_535)
        c.broker.embeddedConfigFile = try r.string("broker.embedded_config_file", c.broker.embeddedConfigFile)
        c.broker.clientID = try r.string("broker.client_id", c.broker.clientID)
        guard !c.broker.clientID.isEmpty, c.broker.clientID.utf8.count <= 65_535 else {
            throw ConfigurationError(key: "broker.client_id", expected: "a non-empty client id", found: c.broker.clientID)
        }
        c.broker.username = try r.string("broker.username", c.broker.username)
        c.broker.password = try r.string("broker.password", c.broker.password)
        c.broker.eventsUsername = try r.string("broker.events_username", c.broker.eventsUsername)
        c.broker.cliUsername = try r.string("broker.cli_username", c.broker.cliUsername)
        c.broker.protocolVersion = try r.choice("broker.protocol", c.broker.protocolVersion, ["3.1.1", "5"])
        c.broker.keepAliveSeconds = try r.int("broker.keepalive_seconds", c.broker.keepAliveSeconds, 5...3_600)
        c.broker.tlsCAFile = try r.string("broker.tls.ca_file", c.broker.tlsCAFile)
        c.broker.tlsCertFile = try r.string("broker.tls.cert_file", c.broker.tlsCertFile)
        c.broker.tlsKeyFile = try r.string("broker.tls.key_file", c.broker.tlsKeyFile)
        if c.broker.tlsCertFile.isEmpty != c.broker.tlsKeyFile.isEmpty {
            throw ConfigurationError(key: "broker.tls.cert_file", expected: "cert_file and key_file set together", found: "only one of them")
        }
        c.broker.subscriptions = try r.strings("broker.subscriptions", c.broker.subscriptions)
        for filter in c.broker.subscriptions {
            if let problem = TopicFilter.problem(filter) {
                throw ConfigurationError(key: "broker.subscriptions", expected: "MQTT topic filters (\(problem))", found: filter)
            }
            if filter.hasSuffix("/replay") {
                throw ConfigurationError(key: "broker.subscriptions", expected: "topic filters other than LiftWatch's own replay topic", found: filter)
            }
        }
        // Removed (issue 27): mosquitto's `$share` hands each message to any member, so one elevator's messages and
        // tickets would be split between instances with separate databases, and each would see false seq gaps.
        let sharedGroup = try r.string("broker.shared_group", "")
        guard sharedGroup.isEmpty else {
            throw ConfigurationError(
                key: "broker.shared_group",
                expected: "nothing: the option is removed, because a shared subscription splits one elevator's messages between instances "
                    + "(false seq gaps, its tickets in two databases); run one instance per broker (docs/mqtt.md)",
                found: sharedGroup)
        }
        c.broker.separateEventSession = try r.bool("broker.separate_event_session", c.broker.separateEventSession)
        c.broker.receiveBuffer = try r.int("broker.receive_buffer", c.broker.receiveBuffer, 100...10_000_000)
        c.broker.bufferedReads = try r.bool("broker.buffered_reads", c.broker.bufferedReads)
        c.broker.alternates = try r.strings("broker.alternates", []).map { text in
            guard let address = BrokerAddress(parsing: text) else {
                throw ConfigurationError(key: "broker.alternates", expected: "host:port of the broker's other nodes", found: text)
            }
            return address
        }
        c.cluster.leaseEndpoints = try r.strings("cluster.lease_endpoints", c.cluster.leaseEndpoints)
        for endpoint in c.cluster.leaseEndpoints where !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw ConfigurationError(key: "cluster.lease_endpoints", expected: "etcd client URLs (http://host:port)", found: endpoint)
        }
        c.cluster.node = try r.string("cluster.node", c.cluster.node)
        c.cluster.leaseKey = try r.string("cluster.lease_key", c.cluster.leaseKey)
        c.cluster.replicaKey = try r.string("cluster.replica_key", c.cluster.replicaKey)
        c.cluster.leaseTTL = .seconds(try r.int("cluster.lease_ttl_seconds", 6, 2...60))
        c.cluster.replicaRoot = try r.string("cluster.replica_directory", c.cluster.replicaRoot)
        c.cluster.litestream = try r.string("cluster.litestream", c.cluster.litestream)
        c.cluster.replicaSyncInterval = .milliseconds(try r.int("cluster.replica_sync_ms", 1_000, 100...60_000))
        c.cluster.bootstrap = try r.bool("cluster.bootstrap", c.cluster.bootstrap)
        c.cluster.storeFailureLimit = .seconds(try r.int("cluster.store_failure_seconds", 30, 5...600))
        c.cluster.replicaLagAlert = .seconds(try r.int("cluster.replica_lag_alert_seconds", 30, 5...3_600))
        if !c.broker.alternates.isEmpty, c.broker.host.isEmpty {
            throw ConfigurationError(
                key: "broker.alternates", expected: "nothing with an empty broker.host (the embedded mosquitto has no other nodes)",
                found: c.broker.alternates.map(\.description).joined(separator: ","))
        }
        if c.cluster.isEnabled {
            if c.cluster.node.isEmpty { c.cluster.node = ProcessInfo.processInfo.hostName }
            if c.broker.host.isEmpty {
                throw ConfigurationError(
                    key: "broker.host", expected: "the clustered broker's address when cluster.lease_endpoints is set (no embedded mosquitto in a cluster)",
                    found: "")
            }
            if c.cluster.replicaRoot.isEmpty {
                throw ConfigurationError(key: "cluster.replica_directory", expected: "the folder the store's replicas go to", found: "")
            }
        }
        c.database.path = try r.string("database.path", c.database.path)
        if c.database.path.isEmpty || c.database.path == ":memory:" {
            throw ConfigurationError(key: "database.path", expected: "a file path", found: c.database.path)
        }
        c.http.host = try r.string("http.host", c.http.host)
        c.http.port = try r.int("http.port", c.http.port, 0...65_535)
        c.http.openAPIFile = try r.string("http.openapi_file", c.http.openAPIFile)
        c.http.outlinesDirectory = try r.string("http.outlines_directory", c.http.outlinesDirectory)
        c.http.mapTileURL = try r.raw("http.map_tile_url") ?? c.http.mapTileURL
        c.http.secureCookies = try r.bool("http.secure_cookies", c.http.secureCookies)
        c.http.trustedProxies = try r.strings("http.trusted_proxies", c.http.trustedProxies)
        c.ingest.batchSize = try r.int("ingest.batch_size", c.ingest.batchSize, 1...100_000)
        c.ingest.gapFirstRequestMs = try r.int("ingest.gap_first_request_ms", c.ingest.gapFirstRequestMs, 0...3_600_000)
        c.ingest.gapRequestIntervalSeconds = try r.int("ingest.gap_request_interval_seconds", c.ingest.gapRequestIntervalSeconds, 1...86_400)
        c.ingest.gapRequestsPerSecond = try r.int("ingest.gap_requests_per_second", c.ingest.gapRequestsPerSecond, 1...10_000)
        c.ingest.gapTimeoutSeconds = try r.int("ingest.gap_timeout_seconds", c.ingest.gapTimeoutSeconds, 1...30 * 86_400)
        c.ingest.eventsPerMinute = try r.int("ingest.events_per_minute", c.ingest.eventsPerMinute, 1...60_000)
        c.ingest.eventBurst = try r.int("ingest.event_burst", c.ingest.eventBurst, 1...100_000)
        c.ingest.deadLettersPerElevator = try r.int("ingest.dead_letters_per_elevator", c.ingest.deadLettersPerElevator, 100...10_000_000)
        c.webhooks.allowPrivateTargets = try r.bool("webhooks.allow_private_targets", c.webhooks.allowPrivateTargets)
        c.retention.deadLetterDays = try r.int("retention.dead_letter_days", c.retention.deadLetterDays, 0...36_500)
        c.retention.rawTelemetryDays = try r.int("retention.raw_telemetry_days", c.retention.rawTelemetryDays, 0...36_500)
        c.residents.rescueHotline = try r.string("residents.rescue_hotline", c.residents.rescueHotline)
        guard RescueHotlines.isValidNumber(c.residents.rescueHotline) else {
            throw ConfigurationError(key: "residents.rescue_hotline", expected: "a number of 3 to 16 digits", found: c.residents.rescueHotline)
        }
        c.residents.rescueHotlines = try r.strings("residents.rescue_hotlines", c.residents.rescueHotlines)
        for entry in c.residents.rescueHotlines {
            guard RescueHotlines.entry(entry) != nil else {
                throw ConfigurationError(key: "residents.rescue_hotlines", expected: "PREFIX:NUMBER, a place prefix of 2, 4 or 6 digits and 3 to 16 digits", found: entry)
            }
        }
        c.residents.rescueCodeDigits = try r.strings("residents.rescue_code_digits", c.residents.rescueCodeDigits)
        for entry in c.residents.rescueCodeDigits {
            guard RescueHotlines.codeDigitsEntry(entry) != nil else {
                throw ConfigurationError(key: "residents.rescue_code_digits", expected: "PREFIX:DIGITS, a place prefix of 2, 4 or 6 digits and a length of 4 to 12", found: entry)
            }
        }
        c.residents.publicURL = try r.string("residents.public_url", c.residents.publicURL)
        if !c.residents.publicURL.isEmpty, !(c.residents.publicURL.hasPrefix("https://") || c.residents.publicURL.hasPrefix("http://")) {
            throw ConfigurationError(key: "residents.public_url", expected: "an http:// or https:// address, or empty", found: c.residents.publicURL)
        }
        c.residents.reportsPerElevatorHour = try r.int("residents.reports_per_elevator_hour", c.residents.reportsPerElevatorHour, 1...1_000)
        c.residents.reportsPerAddressHour = try r.int("residents.reports_per_address_hour", c.residents.reportsPerAddressHour, 1...1_000)
        c.retention.rollupDays = try r.int("retention.rollup_days", c.retention.rollupDays, 0...36_500)
        c.retention.minuteRollupDays = try r.int("retention.minute_rollup_days", c.retention.minuteRollupDays, 0...36_500)
        c.retention.eventDays = try r.int("retention.event_days", c.retention.eventDays, 0...36_500)
        c.retention.ticketDays = try r.int("retention.ticket_days", c.retention.ticketDays, 0...36_500)
        c.retention.dossierDays = try r.int("retention.dossier_days", c.retention.dossierDays, 0...36_500)
        c.sla.rescueAckMinutes = try r.int("sla.rescue_ack_minutes", c.sla.rescueAckMinutes, 1...1_440)
        c.sla.rescueOnSiteMinutes = try r.int("sla.rescue_on_site_minutes", c.sla.rescueOnSiteMinutes, 1...1_440)
        c.sla.rescueFireBrigadeAfterMinutes = try r.int("sla.rescue_fire_brigade_after_minutes", c.sla.rescueFireBrigadeAfterMinutes, 1...1_440)
        c.sla.ruralRescueOnSiteMinutes = try r.int("sla.rural_rescue_on_site_minutes", c.sla.ruralRescueOnSiteMinutes, 1...1_440)
        c.sla.ruralRegions = try r.strings("sla.rural_regions", c.sla.ruralRegions)
        for region in c.sla.ruralRegions where !Identifier.isValidRegionPrefix(region) {
            throw ConfigurationError(key: "sla.rural_regions", expected: "region prefixes of 2, 4 or 6 digits", found: region)
        }
        c.sla.safetyAckMinutes = try r.int("sla.safety_ack_minutes", c.sla.safetyAckMinutes, 1...1_440)
        c.sla.safetyOnSiteMinutes = try r.int("sla.safety_on_site_minutes", c.sla.safetyOnSiteMinutes, 1...10_080)
        c.sla.repairOnSiteHours = try r.int("sla.repair_on_site_hours", c.sla.repairOnSiteHours, 1...720)
        c.sla.minorResolveHours = try r.int("sla.minor_resolve_hours", c.sla.minorResolveHours, 1...2_160)
        c.sla.communicationOnSiteHours = try r.int("sla.communication_on_site_hours", c.sla.communicationOnSiteHours, 1...720)
        c.sla.predictiveResolveDays = try r.int("sla.predictive_resolve_days", c.sla.predictiveResolveDays, 1...365)
        c.sla.regionOverrides = try r.strings("sla.region_overrides", c.sla.regionOverrides)
        for entry in c.sla.regionOverrides {
            let expected = "PREFIX:key=value entries such as 4306:rescue_on_site_minutes=45, key one of "
                + LiftWatchConfiguration.SLA.overridable.keys.sorted().joined(separator: ", ")
            let parts = entry.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, Identifier.isValidRegionPrefix(parts[0]) else {
                throw ConfigurationError(key: "sla.region_overrides", expected: expected, found: entry)
            }
            let assignment = parts[1].split(separator: "=", maxSplits: 1)
            guard assignment.count == 2, let rule = LiftWatchConfiguration.SLA.overridable[String(assignment[0])] else {
                throw ConfigurationError(key: "sla.region_overrides", expected: expected, found: entry)
            }
            guard let value = Int(assignment[1]), rule.range.contains(value) else {
                throw ConfigurationError(key: "sla.region_overrides", expected: "\(assignment[0]) an integer from \(rule.range.lowerBound) to \(rule.range.upperBound)", found: entry)
            }
        }
        c.sla.offlineThresholdMinutes = try r.int("sla.offline_threshold_minutes", c.sla.offlineThresholdMinutes, 1...1_440)
        c.scheduler.passIntervalSeconds = try r.int("scheduler.pass_interval_seconds", c.scheduler.passIntervalSeconds, 1...3_600)
        let minimum = try r.strings("scheduler.visit_minimum_minutes", c.scheduler.visitMinimumMinutes.map(String.init))
        guard minimum.count == 4, let minutes = Optional(minimum.compactMap { Int($0) }), minutes.count == 4, minutes.allSatisfy({ (0...600).contains($0) }) else {
            throw ConfigurationError(key: "scheduler.visit_minimum_minutes", expected: "four minute counts 0…600 (half_month, quarter, half_year, annual)", found: minimum.joined(separator: ","))
        }
        c.scheduler.visitMinimumMinutes = minutes
        c.scheduler.visitMaximumDistanceMetres = try r.int("scheduler.visit_maximum_distance_metres", c.scheduler.visitMaximumDistanceMetres, 10...100_000)
        c.scheduler.visitsPerTechnicianDay = try r.int("scheduler.visits_per_technician_day", c.scheduler.visitsPerTechnicianDay, 1...100)
        c.scheduler.maintenanceOpenDaysBefore = try r.int("scheduler.maintenance_open_days_before", c.scheduler.maintenanceOpenDaysBefore, 0...14)
        c.scheduler.onDemandMaximumDays = try r.int("scheduler.on_demand_maximum_days", c.scheduler.onDemandMaximumDays, 15...120)
        c.scheduler.inspectionOpenDaysBefore = try r.int("scheduler.inspection_open_days_before", c.scheduler.inspectionOpenDaysBefore, 0...90)
        c.scheduler.outageMinimumElevators = try r.int("scheduler.outage_minimum_elevators", c.scheduler.outageMinimumElevators, 2...100_000)
        c.scheduler.outageSharePercent = try r.int("scheduler.outage_share_percent", c.scheduler.outageSharePercent, 1...100)
        c.scheduler.outageWindowSeconds = try r.int("scheduler.outage_window_seconds", c.scheduler.outageWindowSeconds, 1...3_600)
        c.scheduler.trendIntervalMinutes = try r.int("scheduler.trend_interval_minutes", c.scheduler.trendIntervalMinutes, 1...10_080)
        c.scheduler.healthThresholdsFile = try r.string("scheduler.health_thresholds_file", c.scheduler.healthThresholdsFile)
        c.scheduler.checklistsFile = try r.string("scheduler.checklists_file", c.scheduler.checklistsFile)
        c.faultCodesDirectory = try r.string("fault_codes.directory", c.faultCodesDirectory)
        c.regionPlatforms = try r.strings("fault_codes.region_platforms", c.regionPlatforms)
        for pair in c.regionPlatforms {
            let parts = pair.split(separator: "=")
            guard parts.count == 2, Identifier.isValidRegionPrefix(parts[0]), Identifier.isValidID(parts[1]) else {
                throw ConfigurationError(key: "fault_codes.region_platforms", expected: "REGION_PREFIX=platform pairs such as 5001=chongqing", found: pair)
            }
        }
        c.logLevel = try r.choice("log.level", c.logLevel, ["trace", "debug", "info", "notice", "warning", "error", "critical"])
        c.mallocArenaMax = try r.int("memory.malloc_arena_max", c.mallocArenaMax, 0...64)
        return c
    }

    /// Typed reads with the contract's error messages.
    struct Reader {
        let config: ConfigReader

        func raw(_ key: String) -> String? {
            guard let text = config.string(forKey: ConfigKey(key)) else { return nil }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed == "~" || trimmed == "null" ? nil : trimmed
        }

        func string(_ key: String, _ fallback: String) throws -> String {
            if let value = raw(key) { return value }
            if config.stringArray(forKey: ConfigKey(key)) != nil {
                throw ConfigurationError(key: key, expected: "a single value", found: "a list")
            }
            return fallback
        }

        func int(_ key: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let text = raw(key) else { return fallback }
            guard let value = Int(text) else {
                throw ConfigurationError(key: key, expected: "an integer from \(range.lowerBound) to \(range.upperBound)", found: text)
            }
            guard range.contains(value) else {
                throw ConfigurationError(key: key, expected: "an integer from \(range.lowerBound) to \(range.upperBound)", found: text)
            }
            return value
        }

        func choice(_ key: String, _ fallback: String, _ choices: [String]) throws -> String {
            guard let text = raw(key) else { return fallback }
            guard choices.contains(text) else {
                throw ConfigurationError(key: key, expected: "one of \(choices.joined(separator: ", "))", found: text)
            }
            return text
        }

        /// `true` or `false`, with `choice`'s error for anything else.
        func bool(_ key: String, _ fallback: Bool) throws -> Bool {
            try choice(key, fallback ? "true" : "false", ["true", "false"]) == "true"
        }

        func strings(_ key: String, _ fallback: [String]) throws -> [String] {
            if let list = config.stringArray(forKey: ConfigKey(key)) {
                return list.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            if let text = raw(key) {
                return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            return fallback
        }
    }
}

/// A configuration value that cannot be used: which key, what was expected, what was found.
struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    var key: String
    var expected: String
    var found: String

    var description: String { "configuration: \(key): expected \(expected), found \"\(found)\"" }
}
