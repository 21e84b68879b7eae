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
        elevator.isOnline(now: now, thresholdMs: configuration.offlineThresholdMs)
    }

    /// The trend findings of an elevator as of `now`.
    public func trends(of elevatorID: String, now: Int64) throws -> [TrendFinding] {
        let t = configuration.trends
        // Whole UTC days, as the daily rollups are bucketed: the recent window is the last `recentDays` days and today.
        let recentFrom = Rollups.floor(now, to: Rollups.day) - Int64(t.recentDays) * Self.day
        let baselineFrom = recentFrom - Int64(t.baselineDays) * Self.day
        // One read per elevator: a pass evaluates every elevator in service.
        guard let read = try database.trendWindows(
            elevatorID: elevatorID, metrics: [.doorCloseMs, .levelErrorMm, .motorTempC, .loadKg, .vibrationMg], absolute: [.levelErrorMm],
            baselineFrom: baselineFrom, recentFrom: recentFrom, to: now + 1)
        else { return [] }
        let inputs = TrendDetector.Inputs(
            doorCloseMs: read.pair(.doorCloseMs), absoluteStoppingErrorMm: read.pair(.levelErrorMm),
            motorTempC: read.pair(.motorTempC), loadKg: read.pair(.loadKg), vibrationMg: read.pair(.vibrationMg),
            recentDoorFaults: read.recentDoorFaults)
        return TrendDetector(thresholds: t).evaluate(inputs)
    }

    /// Score, state and reasons: the one assessment every view shows (lists, filters, the elevator itself). Trends
    /// are those of the last evaluation (`SchedulerPass`, hourly), stored, so that no view computes its own.
    public func health(of elevator: ElevatorRecord, now: Int64) throws -> Health {
        HealthModel().assess(HealthModel.Inputs(
            online: isOnline(elevator, now: now), lastSeen: elevator.lastSeen, mode: try database.latestMode(elevatorID: elevator.elevatorID),
            activeTickets: try database.activeTickets(elevatorID: elevator.elevatorID),
            trends: try database.trendFindings(elevatorID: elevator.elevatorID)))
    }
}

extension HealthEvaluator {
    /// The health of many elevators at once, as `health(of:now:)` gives each: for views of a whole region.
    public func health(of elevators: [ElevatorRecord], now: Int64) throws -> [String: Health] {
        let inputs = try database.healthInputs(of: elevators)
        var result: [String: Health] = [:]
        for elevator in elevators {
            result[elevator.elevatorID] = HealthModel().assess(HealthModel.Inputs(
                online: isOnline(elevator, now: now), lastSeen: elevator.lastSeen, mode: inputs.modes[elevator.elevatorID],
                activeTickets: inputs.activeTickets[elevator.elevatorID] ?? [], trends: inputs.trends[elevator.elevatorID] ?? []))
        }
        return result
    }
}
