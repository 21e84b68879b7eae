import LiftCore

/// What the scheduler needs to know; the server maps `config/liftwatch.yaml` onto it.
public struct SchedulerConfiguration: Sendable {
    /// Seconds between passes of `SchedulerService`.
    public var passIntervalSeconds: Int = 10
    /// An elevator silent this long is offline (its will message says so at once).
    public var offlineThresholdMs: Int64 = 5 * 60_000
    /// An area incident opens instead of tickets when at least this many elevators of one region, and at least
    /// `outageShare` of those heard from, fall silent within `outageWindowMs`.
    public var outageMinimumElevators: Int = 3
    public var outageShare: Double = 0.5
    public var outageWindowMs: Int64 = 60_000
    /// Maintenance and inspection dates are checked at most this often (deadlines and connectivity every pass).
    public var scheduleIntervalMs: Int64 = 60_000
    /// Trends are evaluated at most this often.
    public var trendIntervalMs: Int64 = 3_600_000
    public var sla = SLAPolicy()
    public var maintenance = MaintenanceRegime()
    public var inspection = InspectionRegime()
    public var trends = TrendDetector.Thresholds()

    public init() {}
}
