/// The cluster profile's settings (`cluster.*`). Off (no lock service) in the embedded default.
public struct ClusterConfiguration: Sendable, Equatable {
    /// The lock service's client URLs (etcd v3, `http://host:port`); empty: a single node, no lease.
    public var leaseEndpoints: [String]
    /// This node's name, stored in the lease key and in log lines (the loader puts the host name for empty).
    public var node: String
    /// The key whose holder is the active node.
    public var leaseKey: String
    /// The key naming the replica the active node's store streams to (where the next active node restores from).
    public var replicaKey: String
    /// How long the lease outlives its holder's last renewal (`LeaseMachine.Policy`).
    public var leaseTTL: Duration
    /// Where this node's store replicas go: one folder per term of office, `<replicaRoot>/<node>-<lease id>`.
    public var replicaRoot: String
    /// The Litestream executable.
    public var litestream: String
    /// How often Litestream ships the store's new pages: what a node's death may lose of acknowledged API changes.
    public var replicaSyncInterval: Duration
    /// Whether this node may start a new cluster from its own store when etcd records no replica. Off, a node
    /// refuses: an emptied etcd must not make a stale file the store.
    public var bootstrap = false
    /// The active node stops (and the standby takes over) once its store's disk has refused every write for this
    /// long (`WriteHealth.failingSince`, `LeaseMachine.Policy.storeFailureLimit`).
    public var storeFailureLimit: Duration = .seconds(30)
    /// `/healthz` says degraded (and a log line says why) once the store's replica has been behind this long
    /// (`ReplicaLag`): what a failover would lose grows meanwhile.
    public var replicaLagAlert: Duration = .seconds(30)

    public init(
        leaseEndpoints: [String] = [], node: String = "", leaseKey: String = "/liftwatch/active", replicaKey: String = "/liftwatch/replica",
        leaseTTL: Duration = .seconds(6), replicaRoot: String = "", litestream: String = "litestream", replicaSyncInterval: Duration = .seconds(1)
    ) {
        self.leaseEndpoints = leaseEndpoints
        self.node = node
        self.leaseKey = leaseKey
        self.replicaKey = replicaKey
        self.leaseTTL = leaseTTL
        self.replicaRoot = replicaRoot
        self.litestream = litestream
        self.replicaSyncInterval = replicaSyncInterval
    }

    public var isEnabled: Bool { !leaseEndpoints.isEmpty }
}
