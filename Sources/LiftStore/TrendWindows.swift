import LiftCore

/// What `LiftDatabase.trendWindows(elevatorID:metrics:absolute:baselineFrom:recentFrom:to:)` read for one elevator.
public struct TrendWindows: Sendable {
    /// Per metric, the recent and the baseline window; a metric without daily rollups in either is left out.
    public var windows: [Rollups.Metric: (recent: TrendDetector.Window?, baseline: TrendDetector.Window?)] = [:]
    /// Door-related faults raised in the recent window.
    public var recentDoorFaults = 0

    public init() {}

    /// The two windows of `metric` (nil, nil when it has no daily rollups in either).
    public func pair(_ metric: Rollups.Metric) -> (recent: TrendDetector.Window?, baseline: TrendDetector.Window?) {
        windows[metric] ?? (nil, nil)
    }
}
