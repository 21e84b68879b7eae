import LiftCore
import LiftStore
import Logging
import ServiceLifecycle

/// Runs `SchedulerPass` every `passIntervalSeconds` as of the injected clock's time, until shutdown.
public struct SchedulerService: Service {
    let pass: SchedulerPass
    let clock: EpochClock
    let configuration: SchedulerConfiguration
    let logger: Logger

    public init(pass: SchedulerPass, clock: EpochClock, configuration: SchedulerConfiguration, logger: Logger = Logger(label: "liftwatch.scheduler")) {
        self.pass = pass
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        var lastTrends: Int64 = 0
        var lastSchedule: Int64 = 0
        logger.info("scheduler started", metadata: ["pass_interval_s": "\(configuration.passIntervalSeconds)"])
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let now = clock.now()
            let withTrends = now - lastTrends >= configuration.trendIntervalMs
            let withSchedule = now - lastSchedule >= configuration.scheduleIntervalMs
            do {
                let report = try await pass.run(now: now, withTrends: withTrends, withSchedule: withSchedule)
                if withTrends { lastTrends = now }
                if withSchedule { lastSchedule = now }
                if report.opened.values.reduce(0, +) + report.recovered + report.reassigned + report.escalated + report.settled + report.incidentsOpened + report.incidentsClosed > 0 {
                    logger.info("scheduler pass", metadata: ["report": "\(report)"])
                }
            } catch {
                logger.error("scheduler pass failed; retrying next interval", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(configuration.passIntervalSeconds)) }
        }
    }
}
