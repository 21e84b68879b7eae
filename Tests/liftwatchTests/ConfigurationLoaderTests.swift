import Foundation
import Testing
import LiftMQTT
@testable import liftwatch

@Suite("Configuration")
struct ConfigurationLoaderTests {
    func file(_ yaml: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lw-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("with nothing set, the embedded defaults apply")
    func defaults() async throws {
        let configuration = try await ConfigurationLoader(file: nil, environment: ["LIFTWATCH_CONFIG": "/nonexistent.yaml"]).load()
        #expect(configuration == LiftWatchConfiguration())
        #expect(configuration.broker.host.isEmpty && configuration.broker.subscriptions.count == 4)
    }

    @Test("the shipped config/liftwatch.yaml states exactly the embedded defaults")
    func shippedFileMatchesDefaults() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let configuration = try await ConfigurationLoader(file: root.appendingPathComponent("config/liftwatch.yaml").path, environment: [:]).load()
        #expect(configuration == LiftWatchConfiguration())
    }

    @Test("flags override the environment, which overrides the file")
    func precedence() async throws {
        let path = try file("""
            http:
              port: 9000
              host: 0.0.0.0
            broker:
              host: broker.example
              subscriptions: [lift/4301/+/telemetry, lift/4302/+/telemetry]
            sla:
              rural_regions: ["4306", "430181"]
            """)
        let configuration = try await ConfigurationLoader(
            overrides: ["broker.port": "8883"], file: path,
            environment: ["LIFTWATCH_HTTP_PORT": "9100", "LIFTWATCH_BROKER_PORT": "1884"]
        ).load()
        #expect(configuration.http.port == 9100)
        #expect(configuration.http.host == "0.0.0.0")
        #expect(configuration.broker.host == "broker.example")
        #expect(configuration.broker.port == 8883)
        #expect(configuration.broker.subscriptions == ["lift/4301/+/telemetry", "lift/4302/+/telemetry"])
        #expect(configuration.sla.ruralRegions == ["4306", "430181"])
    }

    @Test("a bad value stops the start with the key and what was expected", arguments: [
        (["http.port": "eighty"], "http.port", "an integer from 0 to 65535"),
        (["http.port": "70000"], "http.port", "an integer from 0 to 65535"),
        (["broker.protocol": "4"], "broker.protocol", "one of 3.1.1, 5"),
        (["log.level": "loud"], "log.level", "one of trace"),
        (["memory.malloc_arena_max": "-1"], "memory.malloc_arena_max", "an integer from 0 to 64"),
        (["sla.rural_regions": "43x"], "sla.rural_regions", "region prefixes"),
        (["broker.subscriptions": "lift/+/+/replay"], "broker.subscriptions", "other than LiftWatch's own replay topic"),
        (["broker.subscriptions": "lift/4301+/+/telemetry"], "broker.subscriptions", "'+' must be a whole level"),
        (["broker.subscriptions": "lift/#/event"], "broker.subscriptions", "'#' must be the last level"),
        (["broker.subscriptions": "lift/+/E1#/event"], "broker.subscriptions", "'#' must be a whole level"),
        (["database.path": ":memory:"], "database.path", "a file path"),
        (["broker.tls.cert_file": "/tmp/c.pem"], "broker.tls.cert_file", "set together"),
        // Removed: a shared subscription splits one elevator's messages between instances (issue 27).
        (["broker.shared_group": "liftwatch"], "broker.shared_group", "splits one elevator's messages between instances"),
        (["scheduler.visit_minimum_minutes": "30,45"], "scheduler.visit_minimum_minutes", "four minute counts"),
        (["residents.rescue_code_digits": "43:3"], "residents.rescue_code_digits", "PREFIX:DIGITS"),
        (["broker.alternates": "nats-2"], "broker.alternates", "host:port"),
        (["cluster.lease_endpoints": "127.0.0.1:2379"], "cluster.lease_endpoints", "etcd client URLs"),
        // A cluster node never starts its own mosquitto: each would be a broker of one.
        (["cluster.lease_endpoints": "http://127.0.0.1:2379", "cluster.replica_directory": "/r"], "broker.host", "no embedded mosquitto"),
        (["cluster.lease_endpoints": "http://127.0.0.1:2379", "broker.host": "nats"], "cluster.replica_directory", "replicas go to"),
        (["cluster.lease_ttl_seconds": "1"], "cluster.lease_ttl_seconds", "an integer from 2 to 60"),
        (["cluster.store_failure_seconds": "0"], "cluster.store_failure_seconds", "an integer from 5 to 600"),
        (["cluster.replica_lag_alert_seconds": "1"], "cluster.replica_lag_alert_seconds", "an integer from 5 to 3600"),
    ])
    func badValues(overrides: [String: String], key: String, expected: String) async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader(overrides: overrides, environment: [:]).load()
        }
        #expect(error?.key == key)
        #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
    }

    @Test("a region's own SLA deadlines, field by field, the longest prefix winning")
    func slaRegionOverrides() async throws {
        let configuration = try await ConfigurationLoader(
            overrides: ["sla.region_overrides": "43:rescue_ack_minutes=5,4306:rescue_on_site_minutes=45,430181:repair_on_site_hours=48"],
            environment: [:]
        ).load()
        let sla = try configuration.schedulerConfiguration().sla
        let minute: Int64 = 60_000
        #expect(sla.deadlines(for: .rescue, region: "430602", openedAt: 0) == .init(acknowledge: 5 * minute, onSite: 45 * minute, due: 45 * minute))
        #expect(sla.deadlines(for: .rescue, region: "430102", openedAt: 0) == .init(acknowledge: 5 * minute, onSite: 30 * minute, due: 30 * minute))
        #expect(sla.deadlines(for: .rescue, region: "440102", openedAt: 0) == .init(acknowledge: 3 * minute, onSite: 30 * minute, due: 30 * minute))
        #expect(sla.deadlines(for: .repair, region: "430181", openedAt: 0).onSite == 48 * 60 * minute)
        #expect(sla.deadlines(for: .repair, region: "430102", openedAt: 0).onSite == 24 * 60 * minute)
        for bad in ["4306:rescue_on_site_minutes=0", "43x:rescue_ack_minutes=5", "4306:rescue_speed=5", "4306", "4306:rescue_ack_minutes=lots"] {
            let error = await #expect(throws: ConfigurationError.self, "\(bad)") {
                try await ConfigurationLoader(overrides: ["sla.region_overrides": bad], environment: [:]).load()
            }
            #expect(error?.key == "sla.region_overrides")
        }
    }

    @Test("a bad value in the environment names the key too")
    func badEnvironmentValue() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader(environment: ["LIFTWATCH_INGEST_BATCH_SIZE": "lots"]).load()
        }
        #expect(error?.key == "ingest.batch_size" && error?.found == "lots")
    }

    @Test("the cluster profile's node: the broker's other nodes, etcd, its replicas, the host name for a node name")
    func clusterProfile() async throws {
        let configuration = try await ConfigurationLoader(overrides: [
            "broker.host": "127.0.0.1", "broker.port": "18821", "broker.alternates": "127.0.0.1:18822,[::1]:18823",
            "cluster.lease_endpoints": "http://127.0.0.1:2381,http://127.0.0.1:2382", "cluster.replica_directory": "/srv/replicas",
            "cluster.lease_ttl_seconds": "9", "cluster.store_failure_seconds": "45", "cluster.replica_lag_alert_seconds": "120",
        ], environment: [:]).load()
        #expect(configuration.broker.alternates == [.init(host: "127.0.0.1", port: 18822), .init(host: "::1", port: 18823)])
        #expect(configuration.cluster.isEnabled)
        #expect(configuration.cluster.leaseEndpoints == ["http://127.0.0.1:2381", "http://127.0.0.1:2382"])
        #expect(configuration.cluster.leaseTTL == .seconds(9))
        #expect(configuration.cluster.storeFailureLimit == .seconds(45))
        #expect(configuration.cluster.replicaLagAlert == .seconds(120))
        #expect(configuration.cluster.node == ProcessInfo.processInfo.hostName)
        #expect(!LiftWatchConfiguration().cluster.isEnabled, "the embedded default is a single node")
    }

    @Test("a missing --config file is an error, not a silent default")
    func missingFile() async throws {
        await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader(file: "/nonexistent/liftwatch.yaml", environment: [:]).load()
        }
    }
}

@Suite("SLA overrides and rural regions")
struct SLAOverrideRuralTests {
    @Test("an override of one deadline for a province leaves a rural district's longer rescue on-site limit alone")
    func overrideKeepsRural() async throws {
        let configuration = try await ConfigurationLoader(
            overrides: ["sla.region_overrides": "43:rescue_ack_minutes=5", "sla.rural_regions": "430181"], environment: [:]).load()
        let sla = try configuration.schedulerConfiguration().sla
        let rescue = sla.deadlines(for: .rescue, region: "430181", openedAt: 0)
        #expect(rescue.acknowledge == 5 * 60_000 && rescue.onSite == 60 * 60_000)
    }
}
