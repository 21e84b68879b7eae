import Foundation
import LiftCore
import LiftMQTT
import Logging
import Metrics
import Synchronization

/// One LiftWatch node of the cluster profile: standby until it holds the lease in etcd, then the only node that
/// acts. Owns the lease (`LeaseMachine` decides), the store's restore before acting and its replication while
/// acting (Litestream), and the fence: the process exits the moment its lease can no longer be counted on.
///
/// Use: `becomeActive()` before the store opens; `startReplication()` once it is open; `resign()` after a clean
/// shutdown, so the standby takes over at once instead of after the lease's TTL.
public final class ClusterNode: Sendable {
    let configuration: ClusterConfiguration
    let databasePath: String
    let etcd: EtcdClient
    let litestream: Litestream
    let logger: Logger
    let machine: Mutex<LeaseMachine>
    let state: Mutex<Held>
    /// Called when the node must stop acting; by default logs and exits the process with status 75.
    let fence: @Sendable (String) -> Void
    let replicaLagGauge = Gauge(label: "liftwatch_replica_lag_seconds")

    struct Held {
        var lease: Int64?
        var replica: String?
        var litestream: ChildProcess?
        var renewals: AsyncStream<Void>.Continuation?
        var stopping = false
        /// As standby: the warm copy kept current from the active node's replica.
        var follower: (child: ChildProcess, replica: String)?
        /// Since when the open store has refused writes (`watchStore`).
        var storeFailingSince: (@Sendable () -> ContinuousClock.Instant?)?
        /// How far the replica is behind, while replicating; looked at once a second.
        var replicaLag: ReplicaLag
        var lagAlerted = false
        /// When the look at the folders under way began: a replica folder that does not answer (a hung network
        /// mount) counts as behind from then on.
        var lookStartedAt: ContinuousClock.Instant?
        /// Whether the replica held a file at the last look (before its first, the lag is the first snapshot's).
        var replicaHoldsFiles = false
    }

    public init(
        configuration: ClusterConfiguration, databasePath: String, logger: Logger,
        fence: (@Sendable (String) -> Void)? = nil
    ) throws {
        litestream = try Litestream(resolving: configuration.litestream)
        var configuration = configuration
        configuration.replicaRoot = Self.absolute(configuration.replicaRoot)
        self.configuration = configuration
        self.databasePath = Self.absolute(databasePath)
        // Every endpoint may be tried within one renewal interval.
        let perCall = configuration.leaseTTL / 3 / (configuration.leaseEndpoints.count + 1)
        self.etcd = EtcdClient(
            endpoints: configuration.leaseEndpoints,
            timeout: .milliseconds(max(200, perCall.components.seconds * 1_000 + perCall.components.attoseconds / 1_000_000_000_000_000)))
        self.logger = logger
        self.machine = Mutex(LeaseMachine(policy: .init(ttl: configuration.leaseTTL, storeFailureLimit: configuration.storeFailureLimit)))
        self.state = Mutex(Held(replicaLag: ReplicaLag(alertAfter: configuration.replicaLagAlert)))
        self.fence = fence ?? { reason in
            logger.critical("lease lost: this node stops acting now", metadata: ["reason": "\(reason)"])
            _exit(75)
        }
    }

    private static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The etcd lease this node holds (nil as standby).
    var currentLease: Int64? { state.withLock { $0.lease } }

    /// How long the store's replica has been behind the store (nil while this node does not replicate): under a
    /// second or two normally; growing while Litestream is stalled or cannot write. Also the gauge
    /// `liftwatch_replica_lag_seconds`.
    public var replicaLag: Duration? { replication?.lag }

    /// The lag with what explains it: the look under way not answering (`hung`), the replica empty so far.
    private var replication: (lag: Duration, hung: Bool, holdsFiles: Bool)? {
        state.withLock { state in
            guard state.replica != nil, !state.stopping else { return nil }
            let now = ContinuousClock.now
            let looking = state.lookStartedAt.map { now - $0 } ?? .zero
            return (max(state.replicaLag.lag(now: now), looking), looking > configuration.replicaLagAlert, state.replicaHoldsFiles)
        }
    }

    /// What is wrong with replication, for `/healthz`: the replica behind for longer than `cluster.replica_lag_alert_seconds`.
    public var replicationProblems: [String] {
        guard let (lag, hung, holdsFiles) = replication, lag > configuration.replicaLagAlert else { return [] }
        let seconds = lag.components.seconds
        if hung { return ["the replica's folder has not answered for \(seconds) s (a hung mount?): a failover now could not restore the store"] }
        if !holdsFiles { return ["the store's first snapshot to its replica has been under way for \(seconds) s: a failover now could not restore the store (see \(litestreamLog))"] }
        return ["the store's replica has been behind for \(seconds) s: a failover now would lose those writes (see \(litestreamLog))"]
    }

    private var litestreamLog: String { databasePath + ".litestream.log" }
    private var pidFile: String { databasePath + ".litestream.pid" }

    /// Waits as standby until this node holds the lease, then restores the store from the replica of the
    /// previous term. Renewals begin as soon as the lease is held. Returns true when the store came from a
    /// replica (then its published id sequences must move on: `TermStart`); false for the cluster's first term,
    /// which starts from this node's own file only with `cluster.bootstrap`.
    @discardableResult
    public func becomeActive() async throws -> Bool {
        let ttl = Int(configuration.leaseTTL.components.seconds)
        var lastHolder: String?
        stopOrphanedLitestream()
        logger.notice("standby: waiting for the lease", metadata: ["node": "\(configuration.node)", "key": "\(configuration.leaseKey)"])
        while true {
            let sentAt = ContinuousClock.now
            do {
                let lease = try await etcd.grant(ttlSeconds: ttl)
                let (acquired, holder) = try await etcd.putIfAbsent(key: configuration.leaseKey, value: configuration.node, lease: lease)
                if acquired {
                    _ = machine.withLock { $0.acquired(sentAt: sentAt) }
                    state.withLock { $0.lease = lease }
                    break
                }
                try? await etcd.revoke(lease: lease)
                if holder != lastHolder {
                    logger.notice("standby: another node is active", metadata: ["active": "\(holder ?? "?")"])
                    lastHolder = holder
                }
                if let replica = try await etcd.get(key: configuration.replicaKey) {
                    do { try follow(replica) } catch {
                        logger.warning("standby: the warm copy cannot be kept", metadata: ["error": "\(error)"])
                    }
                }
            } catch {
                logger.warning("standby: the lock service did not answer", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: .seconds(1))
        }
        startKeepingLease()
        logger.notice("active: this node holds the lease", metadata: ["node": "\(configuration.node)"])
        guard let previous = try await etcd.get(key: configuration.replicaKey) else {
            guard configuration.bootstrap else {
                throw Litestream.Failure(description: "etcd records no replica (\(configuration.replicaKey)) and cluster.bootstrap is off: "
                    + "this node's own store may be stale, so it does not start from it; set cluster.bootstrap=true on one node "
                    + "to start a new cluster from its store")
            }
            logger.notice("no replica recorded: the cluster's first term starts from this node's store (cluster.bootstrap)")
            return false
        }
        let started = ContinuousClock.now
        if await takeWarmCopy(of: previous) {
            logger.notice("store taken over from the warm copy", metadata: ["replica": "\(previous)", "took": "\(ContinuousClock.now - started)"])
            return true
        }
        try await litestream.restore(replica: previous, to: databasePath, log: litestreamLog)
        logger.notice("store restored from the previous term's replica", metadata: ["replica": "\(previous)", "took": "\(ContinuousClock.now - started)"])
        return true
    }

    private var warmPath: String { databasePath + ".standby" }

    /// Keeps (or starts) a copy of `replica` current beside the store, so that taking over costs seconds
    /// whatever the store's size; a new replica (a new term elsewhere) starts a new copy.
    private func follow(_ replica: String) throws {
        let current = state.withLock { $0.follower }
        if let current, current.replica == replica, current.child.isRunning { return }
        if let current {
            current.child.send(SIGKILL)
            if current.replica == replica {
                logger.warning("the warm copy's restore stopped: starting it again", metadata: ["status": "\(current.child.terminationStatus ?? -1)"])
            }
        }
        let child = try litestream.follow(replica: replica, to: warmPath, log: litestreamLog)
        try? String(child.pid).write(toFile: pidFile, atomically: true, encoding: .utf8)
        state.withLock { $0.follower = (child, replica) }
        logger.notice("standby: keeping a warm copy of the active node's store", metadata: ["replica": "\(replica)"])
    }

    /// Once the warm copy holds every transaction of `replica`, stops following and makes it the store. False
    /// (and no copy left) when there is none, it follows another replica, or it does not catch up in 10 s.
    private func takeWarmCopy(of replica: String) async -> Bool {
        guard let follower = state.withLock({ state -> (child: ChildProcess, replica: String)? in
            defer { state.follower = nil }
            return state.follower
        }) else { return false }
        let deadline = ContinuousClock.now + .seconds(10)
        var caughtUp = false
        while follower.replica == replica, follower.child.isRunning, ContinuousClock.now < deadline {
            if let latest = Litestream.latestTransaction(in: replica), let applied = Litestream.appliedTransaction(at: warmPath), applied >= latest {
                caughtUp = true
                break
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        follower.child.send(caughtUp ? SIGTERM : SIGKILL)
        await follower.child.waitForExit()
        guard caughtUp, follower.child.terminationStatus == 0, FileManager.default.fileExists(atPath: warmPath) else {
            Litestream.removeDatabase(at: warmPath)
            if follower.replica == replica {
                logger.warning("the warm copy did not catch up: restoring in full", metadata: ["status": "\(follower.child.terminationStatus ?? -1)"])
            }
            return false
        }
        do {
            Litestream.removeDatabase(at: databasePath)
            try FileManager.default.moveItem(atPath: warmPath, toPath: databasePath)
            for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: warmPath + suffix) {
                try FileManager.default.moveItem(atPath: warmPath + suffix, toPath: databasePath + suffix)
            }
            try? FileManager.default.removeItem(atPath: warmPath + "-txid")
            return true
        } catch {
            logger.warning("the warm copy could not become the store: restoring in full", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Streams the open store to a replica of this term, and records it as the one to restore from once it
    /// holds a snapshot. Does not wait for the snapshot (it takes time in proportion to the store): until it is
    /// recorded, a takeover restores the previous term's replica, and what this term stored before its snapshot
    /// comes back as the previous term's tail does (controllers' replays; API changes are lost).
    public func startReplication() async throws {
        guard let lease = state.withLock({ $0.replica == nil ? $0.lease : nil }) else { return }
        let replica = "\(configuration.replicaRoot)/\(configuration.node)-\(String(lease, radix: 16))"
        try FileManager.default.createDirectory(atPath: replica, withIntermediateDirectories: true)
        let child = try litestream.replicate(databasePath, to: replica, syncInterval: configuration.replicaSyncInterval, log: litestreamLog)
        try? String(child.pid).write(toFile: pidFile, atomically: true, encoding: .utf8)
        state.withLock {
            $0.litestream = child
            $0.replica = replica
        }
        // A thread of its own: reading a replica folder (on NFS, say) must never hold up the lease's watchdog.
        let watcher = Thread { [self] in
            while !state.withLock({ $0.stopping }) {
                watchReplicaLag()
                Thread.sleep(forTimeInterval: 1)
            }
        }
        watcher.name = "lw-replica-lag"
        watcher.start()
        Task { [self] in
            let started = ContinuousClock.now
            var nextReport = started + .seconds(60)
            while Litestream.latestTransaction(in: replica) == nil {
                if state.withLock({ $0.stopping }) { return }
                if ContinuousClock.now >= nextReport {
                    logger.warning("the store's first snapshot is still being written", metadata: ["replica": "\(replica)", "for": "\(ContinuousClock.now - started)"])
                    nextReport = ContinuousClock.now + .seconds(60)
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
            do {
                guard try await etcd.putIfHolder(key: configuration.replicaKey, value: replica, leaseKey: configuration.leaseKey, lease: lease) else {
                    carryOut(machine.withLock { $0.lost(reason: "the lease key is no longer bound to this node's lease") })
                    return
                }
                logger.notice("store streaming to its replica", metadata: ["replica": "\(replica)", "snapshot_took": "\(ContinuousClock.now - started)"])
            } catch {
                // The renewals notice a lost lock service; the replica is recorded at the next term.
                logger.error("the replica could not be recorded in etcd", metadata: ["replica": "\(replica)", "error": "\(error)"])
            }
        }
    }

    /// Once the store is open: the node stops acting when `failingSince` (`WriteHealth.failingSince`) has said for
    /// `cluster.store_failure_seconds` that the store's disk refuses every write, so that the standby takes over.
    public func watchStore(failingSince: @escaping @Sendable () -> ContinuousClock.Instant?) {
        state.withLock { $0.storeFailingSince = failingSince }
    }

    /// After a clean shutdown: lets Litestream ship the last pages, stops it, and gives the lease up.
    public func resign() async {
        let (child, lease) = state.withLock { state -> (ChildProcess?, Int64?) in
            state.stopping = true
            state.renewals?.finish()
            return (state.litestream, state.lease)
        }
        if let child {
            try? await Task.sleep(for: configuration.replicaSyncInterval + .milliseconds(500))
            child.send(SIGTERM)
            let deadline = ContinuousClock.now + .seconds(10)
            while child.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
            if child.isRunning { child.send(SIGKILL) }
            try? FileManager.default.removeItem(atPath: pidFile)
        }
        if let lease {
            try? await etcd.revoke(lease: lease)
            logger.notice("lease given up: the standby takes over now")
        }
    }

    /// A renewal loop (async, on the lock service's answers) and a watchdog thread (on the clock alone, so that
    /// a busy process still stops in time).
    private func startKeepingLease() {
        let (renewals, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        state.withLock { $0.renewals = continuation }
        Task { [self] in
            for await _ in renewals {
                guard let lease = state.withLock({ $0.lease }) else { continue }
                let sentAt = ContinuousClock.now
                do {
                    let remaining = try await etcd.keepAlive(lease: lease)
                    if remaining > 0 {
                        // The key must still be ours: deleted or rebound by hand, another node could take it.
                        guard try await etcd.isBound(key: configuration.leaseKey, to: lease) else {
                            carryOut(machine.withLock { $0.lost(reason: "the lease key is no longer bound to this node's lease") })
                            continue
                        }
                        machine.withLock { $0.renewed(sentAt: sentAt) }
                    } else {
                        let effects = machine.withLock { $0.lost(reason: "etcd says the lease has expired") }
                        carryOut(effects)
                    }
                } catch {
                    logger.warning("lease renewal failed", metadata: ["error": "\(error)"])
                }
            }
        }
        let thread = Thread { [self] in
            while !state.withLock({ $0.stopping }) {
                let failingSince = state.withLock { $0.storeFailingSince }?()
                let effects = machine.withLock { $0.tick(now: .now, storeFailingSince: failingSince) }
                carryOut(effects)
                superviseReplication()
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        thread.name = "lw-lease"
        thread.start()
    }

    private func carryOut(_ effects: [LeaseMachine.Effect]) {
        for effect in effects {
            switch effect {
            case .act: break
            case .renew: _ = state.withLock { $0.renewals?.yield() }
            case .stopActing(let reason):
                state.withLock { $0.stopping = true }
                fence(reason)
            }
        }
    }

    /// Litestream died (killed, crashed): started again on the same replica, which it resumes.
    private func superviseReplication() {
        guard let (child, replica) = state.withLock({ state -> (ChildProcess, String)? in
            guard !state.stopping, let child = state.litestream, let replica = state.replica else { return nil }
            return (child, replica)
        }), !child.isRunning else { return }
        logger.error("litestream exited: starting it again", metadata: ["status": "\(child.terminationStatus ?? -1)", "log": "\(litestreamLog)"])
        do {
            let again = try litestream.replicate(databasePath, to: replica, syncInterval: configuration.replicaSyncInterval, log: litestreamLog)
            try? String(again.pid).write(toFile: pidFile, atomically: true, encoding: .utf8)
            state.withLock { $0.litestream = again }
        } catch {
            fence("the store's replication cannot be restarted: \(error)")
        }
    }

    /// Compares the store's last write with the replica's newest file (once a second while replicating).
    private func watchReplicaLag() {
        let started = ContinuousClock.now
        guard let replica = state.withLock({ state -> String? in
            state.lookStartedAt = started
            return state.replica
        }) else { return }
        let lastWrite = Litestream.lastWrite(of: databasePath)
        let lastShipped = Litestream.lastShipped(in: replica)
        let now = ContinuousClock.now
        let (lag, crossed, recovered) = state.withLock { state -> (Duration, Bool, Bool) in
            state.lookStartedAt = nil
            state.replicaHoldsFiles = lastShipped != nil
            let lag = state.replicaLag.observe(lastWrite: lastWrite, lastShipped: lastShipped, now: now)
            let alert = lag > state.replicaLag.alertAfter
            defer { state.lagAlerted = alert }
            return (lag, alert && !state.lagAlerted, !alert && state.lagAlerted)
        }
        replicaLagGauge.record(Double(lag.components.seconds) + Double(lag.components.attoseconds) / 1e18)
        if crossed {
            logger.error("the store's replica is falling behind", metadata: ["behind": "\(lag)", "replica": "\(replica)", "log": "\(litestreamLog)"])
        } else if recovered {
            logger.notice("the store's replica has caught up", metadata: ["replica": "\(replica)"])
        }
    }

    /// A Litestream left running by an earlier process of this node (killed, or a standby stopped) would write to
    /// the store or the warm copy: stopped first.
    private func stopOrphanedLitestream() {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
              pid > 1 else { return }
        let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
        guard command.contains("litestream"), command.contains(databasePath) else { return }
        // SIGTERM first: a replicating Litestream then ships the pages it still holds (SIGKILL would lose them).
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(10)
        while kill(pid, 0) == 0, ContinuousClock.now < deadline { usleep(50_000) }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        logger.notice("stopped a Litestream left by an earlier process", metadata: ["pid": "\(pid)"])
    }
}
