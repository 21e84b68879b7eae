import Foundation
import GRDB
@testable import LiftCluster
import LiftMQTT
import Logging
import Synchronization
import Testing

/// A real etcd (Debian's etcd-server, installed by scripts/setup.sh) on free loopback ports, in a folder of its own.
final class EtcdProcess: Sendable {
    let child: ChildProcess
    let endpoint: String
    let folder: String

    init() async throws {
        folder = NSTemporaryDirectory() + "lw-etcd-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let client = try Self.freePort(), peer = try Self.freePort()
        endpoint = "http://127.0.0.1:\(client)"
        let etcd = ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/etcd"
        child = try ChildProcess.spawn(etcd, [
            "--name", "t", "--data-dir", folder + "/data", "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
            "--listen-peer-urls", "http://127.0.0.1:\(peer)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peer)",
            "--initial-cluster", "t=http://127.0.0.1:\(peer)",
        ], outputPath: folder + "/etcd.log")
        let client2 = EtcdClient(endpoints: [endpoint])
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            if let lease = try? await client2.grant(ttlSeconds: 5) {
                try? await client2.revoke(lease: lease)
                return
            }
            guard ContinuousClock.now < deadline, child.isRunning else { throw EtcdClient.Failure(description: "etcd did not start; see \(folder)/etcd.log") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func stop() async {
        child.send(SIGKILL)
        await child.waitForExit()
        try? FileManager.default.removeItem(atPath: folder)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// What the nodes' fences were asked to do.
final class Fences: Sendable {
    private let reasons = Mutex<[String]>([])
    func record(_ reason: String) { reasons.withLock { $0.append(reason) } }
    var all: [String] { reasons.withLock { $0 } }
}

final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

@Suite("Cluster profile: lease, fence and the store's handover (real etcd and Litestream)", .serialized)
struct ClusterNodeTests {
    let folder = NSTemporaryDirectory() + "lw-cluster-\(UUID().uuidString)"

    /// The production TTL (6 s): a node fences itself 4 s after its last confirmed renewal, which a test
    /// machine busy with the other suites must not reach by accident.
    static let leaseTTL: Duration = .seconds(6)

    func configuration(_ node: String, etcd: EtcdProcess, bootstrap: Bool = true) -> ClusterConfiguration {
        var configuration = ClusterConfiguration(
            leaseEndpoints: [etcd.endpoint], node: node, leaseTTL: Self.leaseTTL, replicaRoot: folder + "/replicas",
            replicaSyncInterval: .milliseconds(200))
        configuration.bootstrap = bootstrap
        return configuration
    }

    func rows(_ path: String) throws -> Int {
        try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM t") ?? -1 }
    }

    @Test func theStandbyWaitsWhileTheActiveRenewsThenTakesOverWithItsStore() async throws {
        let etcd = try await EtcdProcess()
        defer { Task { await etcd.stop() } }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let fenced = Fences()
        let a = try ClusterNode(configuration: configuration("a", etcd: etcd), databasePath: folder + "/a.sqlite", logger: Logger(label: "a"),
                            fence: { reason in fenced.record("a: " + reason) })
        let b = try ClusterNode(configuration: configuration("b", etcd: etcd), databasePath: folder + "/b.sqlite", logger: Logger(label: "b"),
                            fence: { reason in fenced.record("b: " + reason) })
        try await a.becomeActive()
        var store: DatabaseQueue? = try DatabaseQueue(path: folder + "/a.sqlite")
        try await store?.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "CREATE TABLE t(x INTEGER)")
            for x in 1...100 { try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [x]) }
        }
        try await a.startReplication()
        try await store?.write { db in for x in 101...200 { try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [x]) } }

        let bActive = Flag()
        let standby = Task {
            try await b.becomeActive()
            bActive.set()
        }
        // Past the lease's lifetime: a renewing holder keeps it.
        try await Task.sleep(for: Self.leaseTTL + .seconds(2))
        #expect(!bActive.isSet)
        #expect(fenced.all.isEmpty)

        try store?.close()
        store = nil
        await a.resign()
        let handedOver = ContinuousClock.now
        try await standby.value
        #expect(ContinuousClock.now - handedOver < Self.leaseTTL - .seconds(2), "a lease given up passes at once, not after its TTL")
        #expect(try rows(folder + "/b.sqlite") == 200)
        try await b.startReplication()
        await b.resign()
        #expect(fenced.all.isEmpty)
        try? FileManager.default.removeItem(atPath: folder)
    }

    @Test func anActiveNodeStopsActingWhenEtcdNoLongerHoldsItsLease() async throws {
        let etcd = try await EtcdProcess()
        defer { Task { await etcd.stop() } }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let fenced = Fences()
        let a = try ClusterNode(configuration: configuration("a", etcd: etcd), databasePath: folder + "/a.sqlite", logger: Logger(label: "a"),
                            fence: { reason in fenced.record(reason) })
        try await a.becomeActive()
        let lease = try #require(a.currentLease)
        // Behind its back, as an expiry during a pause would: its next renewal learns the lease is gone.
        try await EtcdClient(endpoints: [etcd.endpoint]).revoke(lease: lease)
        let deadline = ContinuousClock.now + .seconds(15)  // the next renewal: a third of the TTL
        while fenced.all.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        // The next renewal learns it from the keepalive (TTL 0) or, if that raced the revoke, from the key's binding.
        #expect(fenced.all.count == 1)
        #expect(fenced.all.first?.contains("lease") == true, "\(fenced.all)")

        // And the key is free for another node at once.
        let b = try ClusterNode(configuration: configuration("b", etcd: etcd), databasePath: folder + "/b.sqlite", logger: Logger(label: "b"),
                            fence: { _ in })
        try await b.becomeActive()
        #expect(b.currentLease != nil)
        await b.resign()
        await a.resign()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// A full or broken disk: the node would hold the lease and store nothing; it stops so the standby takes over.
    @Test func anActiveNodeWhoseStoreRefusesEveryWriteStepsDown() async throws {
        let etcd = try await EtcdProcess()
        defer { Task { await etcd.stop() } }
        let fenced = Fences()
        var settings = configuration("a", etcd: etcd)
        settings.storeFailureLimit = .seconds(1)
        let a = try ClusterNode(configuration: settings, databasePath: folder + "/a.sqlite", logger: Logger(label: "a"),
                            fence: { reason in fenced.record(reason) })
        try await a.becomeActive()
        let failing = Mutex<ContinuousClock.Instant?>(nil)
        a.watchStore { failing.withLock { $0 } }
        try await Task.sleep(for: .seconds(2))
        #expect(fenced.all.isEmpty, "a store that writes keeps its node acting")
        failing.withLock { $0 = .now }
        let deadline = ContinuousClock.now + .seconds(15)  // the watchdog looks every 0.2 s; the limit is 1 s
        while fenced.all.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(fenced.all.count == 1)
        #expect(fenced.all.first?.contains("the store has refused every write") == true, "\(fenced.all)")
        await a.resign()
    }

    /// Litestream alive but shipping nothing (stopped here with SIGSTOP): the replica falls behind, `/healthz`
    /// hears of it, and it clears once Litestream goes on.
    @Test func aStalledReplicationIsReportedAndClearsWhenItCatchesUp() async throws {
        let etcd = try await EtcdProcess()
        defer { Task { await etcd.stop() } }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var settings = configuration("a", etcd: etcd)
        settings.replicaLagAlert = .seconds(2)
        let a = try ClusterNode(configuration: settings, databasePath: folder + "/a.sqlite", logger: Logger(label: "a"), fence: { _ in })
        #expect(a.replicaLag == nil, "not replicating as standby")
        try await a.becomeActive()
        let store = try DatabaseQueue(path: folder + "/a.sqlite")
        try await store.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "CREATE TABLE t(x INTEGER)")
        }
        try await a.startReplication()
        func write(for duration: Duration) async throws {
            let end = ContinuousClock.now + duration
            while ContinuousClock.now < end {
                try await store.write { try $0.execute(sql: "INSERT INTO t VALUES (1)") }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        try await write(for: .seconds(3))
        #expect(a.replicationProblems.isEmpty, "streaming: behind \(a.replicaLag.map { "\($0)" } ?? "-")")

        let pid = try #require(a.state.withLock { $0.litestream?.pid })
        kill(pid, SIGSTOP)
        var problems: [String] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while problems.isEmpty, ContinuousClock.now < deadline {
            try await write(for: .milliseconds(500))
            problems = a.replicationProblems
        }
        kill(pid, SIGCONT)
        #expect(problems.first?.contains("the store's replica has been behind for") == true, "\(problems)")

        var caughtUp = false
        let recovery = ContinuousClock.now + .seconds(20)
        while !caughtUp, ContinuousClock.now < recovery {
            try await write(for: .milliseconds(500))
            caughtUp = a.replicationProblems.isEmpty
        }
        #expect(caughtUp, "behind \(a.replicaLag.map { "\($0)" } ?? "-") after Litestream went on")
        try store.close()
        await a.resign()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The store's checkpoints rewrite its file without a new transaction: they must not look like a write the
    /// replica lacks (an idle store would be reported behind).
    @Test func aCheckpointIsNotAWrite() async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/c.sqlite"
        let store = try DatabaseQueue(path: path)
        try await store.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "CREATE TABLE t(x INTEGER)")
        }
        let written = try #require(Litestream.lastWrite(of: path))
        try await Task.sleep(for: .milliseconds(50))
        try await store.writeWithoutTransaction { db in _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") }
        #expect(Litestream.lastWrite(of: path) == written, "a passive checkpoint leaves the WAL as it was")
        try await store.writeWithoutTransaction { db in _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        #expect(Litestream.lastWrite(of: path) == nil, "an emptied WAL holds no write")
        try await Task.sleep(for: .milliseconds(50))
        try await store.write { try $0.execute(sql: "INSERT INTO t VALUES (1)") }
        #expect(try #require(Litestream.lastWrite(of: path)) > written)
        try store.close()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Deleted by hand while the lease lives on: another node could take the key, so the holder stops.
    @Test func anActiveNodeStopsWhenItsKeyIsDeletedUnderIt() async throws {
        let etcd = try await EtcdProcess()
        defer { Task { await etcd.stop() } }
        let fenced = Fences()
        let a = try ClusterNode(configuration: configuration("a", etcd: etcd), databasePath: folder + "/a.sqlite", logger: Logger(label: "a"),
                            fence: { reason in fenced.record(reason) })
        try await a.becomeActive()
        try await EtcdClient(endpoints: [etcd.endpoint]).delete(key: "/liftwatch/active")
        let deadline = ContinuousClock.now + .seconds(15)  // the next renewal: a third of the TTL
        while fenced.all.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(fenced.all == ["the lease key is no longer bound to this node's lease"])
        await a.resign()
    }

    /// An emptied etcd (no replica recorded) must not make a node's possibly stale file the store.
    @Test func withoutAReplicaANodeStartsOnlyWhenToldToBootstrap() async throws {
        let etcd = try await EtcdProcess()
        defer { Task { await etcd.stop() } }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let a = try ClusterNode(configuration: configuration("a", etcd: etcd, bootstrap: false), databasePath: folder + "/a.sqlite",
                            logger: Logger(label: "a"), fence: { _ in })
        let error = await #expect(throws: (any Error).self) { try await a.becomeActive() }
        #expect("\(error.map { "\($0)" } ?? "")".contains("cluster.bootstrap is off"))
        await a.resign()
        let b = try ClusterNode(configuration: configuration("b", etcd: etcd, bootstrap: true), databasePath: folder + "/b.sqlite",
                            logger: Logger(label: "b"), fence: { _ in })
        #expect(try await b.becomeActive() == false, "a bootstrapped first term starts from the node's own store")
        await b.resign()
        try? FileManager.default.removeItem(atPath: folder)
    }

    @Test func brokerAddressesNeedBracketsAroundIPv6() {
        #expect(BrokerAddress(parsing: "127.0.0.1:18822") == BrokerAddress(host: "127.0.0.1", port: 18822))
        #expect(BrokerAddress(parsing: "[::1]:18823") == BrokerAddress(host: "::1", port: 18823))
        #expect(BrokerAddress(parsing: "nats-2.example:1883")?.host == "nats-2.example")
        for bad in ["2001:db8::1", "[::1:1883", "::1]:1883", "[]:1883", "host", "host:0", "host:70000", ":1883", "a b:1883"] {
            #expect(BrokerAddress(parsing: bad) == nil, "\(bad)")
        }
    }
}
