import LiftCore
import LiftStore

/// Reads what `HealthModel` and `TrendDetector` need from the store, for one elevator at a time.
public struct HealthEvaluator: Sendable {
    let database: LiftDatabase
    let configuration: SchedulerConfiguration
    static let day: Int64 = 86_400_000

    public init(database: LiftDatabase, configuration: SchedulerConfiguration) {
        self.database = database
        self.configuration = configuration
    }

    /// Whether the elevator counts as online at `now`: its last status was not the will, and it spoke recently.
    public func isOnline(_ elevator: ElevatorRecord, now: Int64) -> Bool {
        guard let lastSeen = elevator.lastSeen else { return false }
        return elevator.online && now - lastSeen <= configuration.offlineThresholdMs
    }

    /// The trend findings of an elevator as of `now`.
    public func trends(of elevatorID: String, now: Int64) throws -> [TrendFinding] {
        let t = configuration.trends
        // Whole UTC days, as the daily rollups are bucketed: the recent window is the last `recentDays` days and today.
        let recentFrom = Rollups.floor(now, to: Rollups.day) - Int64(t.recentDays) * Self.day
        let baselineFrom = recentFrom - Int64(t.baselineDays) * Self.day
        func pair(_ metric: Rollups.Metric, absolute: Bool = false) throws -> (recent: TrendDetector.Window?, baseline: TrendDetector.Window?) {
            (try database.rollupWindow(elevatorID: elevatorID, metric: metric, from: recentFrom, to: now + 1, absolute: absolute),
             try database.rollupWindow(elevatorID: elevatorID, metric: metric, from: baselineFrom, to: recentFrom, absolute: absolute))
        }
        let inputs = TrendDetector.Inputs(
            doorCloseMs: try pair(.doorCloseMs), absoluteStoppingErrorMm: try pair(.levelErrorMm, absolute: true),
            motorTempC: try pair(.motorTempC), loadKg: try pair(.loadKg), vibrationMg: try pair(.vibrationMg),
            recentDoorFaults: try database.doorFaultCount(elevatorID: elevatorID, from: recentFrom, to: now + 1))
        return TrendDetector(thresholds: t).evaluate(inputs)
    }

    /// Score, state and reasons. `withTrends` adds the trend signals (a few rollup reads).
    public func health(of elevator: ElevatorRecord, now: Int64, withTrends: Bool = true) throws -> Health {
        HealthModel().assess(HealthModel.Inputs(
            online: isOnline(elevator, now: now), lastSeen: elevator.lastSeen, mode: try database.latestMode(elevatorID: elevator.elevatorID),
            activeTickets: try database.activeTickets(elevatorID: elevator.elevatorID),
            trends: withTrends ? try trends(of: elevator.elevatorID, now: now) : []))
    }
}
