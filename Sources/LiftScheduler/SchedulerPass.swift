import Foundation
import LiftCore
import LiftStore
import Logging

/// One pass of the scheduler as of a given time: deadlines, connectivity, maintenance, inspections, trends.
///
/// Idempotent: the store refuses a second active ticket of the same kind, so running a pass twice for the
/// same time opens nothing new.
public struct SchedulerPass: Sendable {
    let database: LiftDatabase
    let engine: TicketEngine
    let configuration: SchedulerConfiguration
    let logger: Logger
    static let day: Int64 = 86_400_000

    public init(database: LiftDatabase, engine: TicketEngine, configuration: SchedulerConfiguration, logger: Logger = Logger(label: "liftwatch.scheduler")) {
        self.database = database
        self.engine = engine
        self.configuration = configuration
        self.logger = logger
    }

    /// What a pass did.
    public struct Report: Sendable, Hashable, CustomStringConvertible {
        public var opened: [TicketType: Int] = [:]
        /// Raised faults found without their ticket and ticketed now.
        public var recovered = 0
        /// Active tickets moved to the contractor now in charge.
        public var reassigned = 0
        public var escalated = 0
        public var settled = 0
        public var incidentsOpened = 0
        public var incidentsClosed = 0

        public var description: String {
            let kinds = opened.keys.sorted { $0.rawValue < $1.rawValue }.map { "\($0.rawValue) \(opened[$0]!)" }
            return "opened \(opened.values.reduce(0, +))\(kinds.isEmpty ? "" : " (\(kinds.joined(separator: ", ")))"), faults ticketed by the sweep \(recovered), moved with a contract \(reassigned), escalated \(escalated), settled \(settled), incidents opened \(incidentsOpened), closed \(incidentsClosed)"
        }
    }

    /// Runs every step as of `now`. `withSchedule` checks maintenance and inspection dates (they move in days:
    /// the service does it once a minute); `withTrends` evaluates the health trends too.
    public func run(now: Int64, withTrends: Bool = true, withSchedule: Bool = true) async throws -> Report {
        var report = Report()
        await giveWayToFaults()
        // Faults committed without their ticket (database busy or full, a crash between the two): ticketed first.
        report.recovered = try await engine.sweepUnticketedFaults(now: now)
        // Tickets follow the contract in force (a change dated ahead takes effect when its day comes).
        report.reassigned = try await engine.followContracts(now: now)
        report.escalated = try await engine.checkDeadlines(now: now)
        let elevators = try database.elevators().filter { $0.stage == LifecycleStage.inService.rawValue }
        try await connectivity(elevators, now: now, report: &report)
        guard withSchedule || withTrends else { return report }
        for elevator in elevators {
            // A pass over thousands of elevators takes seconds of synchronous reads: give the shared pool's
            // thread back between elevators, so that ingestion and the ticket engine are not kept waiting.
            await Task.yield()
            if withSchedule {
                try await maintenance(elevator, now: now, report: &report)
                try await inspections(elevator, now: now, report: &report)
            }
            if withTrends { try await trends(elevator, now: now, report: &report) }
        }
        return report
    }

    /// Waits while fault events are being turned into tickets (at most a second), before a call into the ticket
    /// engine: the engine serves one call at a time, and a pass's call waits for the writer like any other, so a
    /// fault's ticket that came in meanwhile waited for it (20–95 ms at 20,000 msg/s of telemetry).
    func giveWayToFaults() async {
        await database.priority.waitForTurn(atMost: .seconds(1))
    }

    func opened(_ ticket: Ticket?, _ report: inout Report) {
        if let ticket { report.opened[ticket.type, default: 0] += 1 }
    }

    // MARK: connectivity

    func connectivity(_ elevators: [ElevatorRecord], now: Int64, report: inout Report) async throws {
        let health = HealthEvaluator(database: database, configuration: configuration)
        let active = Dictionary(
            try database.activeTickets().filter { $0.type == .communication }.map { ($0.elevatorID, $0) }, uniquingKeysWith: { a, _ in a })
        // Elevators never heard from are not watched yet: no ticket for a controller that was never connected.
        let watched = elevators.filter { $0.lastSeen != nil }
        let silent = watched.filter { !health.isOnline($0, now: now) }
        let silentIDs = Set(silent.map(\.elevatorID))
        for elevator in watched where !silentIDs.contains(elevator.elevatorID) {
            if let ticket = active[elevator.elevatorID] {
                await giveWayToFaults()
                try await engine.settle(ticket.id, note: "back online", at: now)
                report.settled += 1
            }
        }
        var incidents = try database.openIncidents()
        for incident in incidents {
            let inRegion = watched.filter { $0.region == incident.region }
            let stillSilent = inRegion.filter { silentIDs.contains($0.elevatorID) }.count
            if Double(stillSilent) < configuration.outageShare * Double(max(1, inRegion.count)) {
                await giveWayToFaults()
                let message = try database.closeIncident(incident, at: now) { Self.incidentJSON($0, alert: "area incident over", closedAt: now) }
                report.incidentsClosed += 1
                engine.dispatch([message])
            }
        }
        incidents = try database.openIncidents()
        // Elevators of a region under an open incident get no ticket each.
        let newlySilent = silent.filter { elevator in
            active[elevator.elevatorID] == nil && !incidents.contains { $0.region == elevator.region }
        }
        for (region, group) in Dictionary(grouping: newlySilent, by: \.region) {
            let seenInRegion = watched.filter { $0.region == region }.count
            let times = group.compactMap(\.lastSeen)
            let together = (times.max() ?? 0) - (times.min() ?? 0) <= configuration.outageWindowMs
            if group.count >= configuration.outageMinimumElevators && Double(group.count) >= configuration.outageShare * Double(seenInRegion) && together {
                await giveWayToFaults()
                let (_, message) = try database.openIncident(
                    region: region, elevators: group.count,
                    reason: "\(group.count) of \(seenInRegion) elevators of region \(region) fell silent within \((((times.max() ?? 0) - (times.min() ?? 0)) / 1000)) s",
                    at: now) { Self.incidentJSON($0, alert: "area incident", closedAt: nil) }
                report.incidentsOpened += 1
                logger.warning("area incident opened", metadata: ["region": "\(region)", "elevators": "\(group.count)"])
                engine.dispatch([message])
                continue
            }
            for elevator in group {
                let reason = elevator.online
                    ? "silent since \(elevator.lastSeen ?? 0) (more than \(configuration.offlineThresholdMs / 60_000) min)"
                    : "offline: its will message (or last status) says so; last seen \(elevator.lastSeen ?? 0)"
                let ticket = Ticket(
                    elevatorID: elevator.elevatorID, region: elevator.region, unitID: elevator.unitID,
                    contractorID: try database.contractor(of: elevator.elevatorID, at: now), type: .communication, openedAt: now,
                    deadlines: configuration.sla.deadlines(for: .communication, region: elevator.region, openedAt: now), reason: reason)
                await giveWayToFaults()
                opened(try await engine.open(ticket), &report)
            }
        }
    }

    static func incidentJSON(_ incident: LiftDatabase.Incident, alert: String, closedAt: Int64?) -> [UInt8] {
        let object: [String: Any] = [
            "alert": alert, "incident": [
                "id": incident.id, "region": incident.region, "opened_at": incident.openedAt, "closed_at": closedAt as Any? ?? NSNull(),
                "elevators": incident.elevators, "reason": incident.reason,
            ] as [String: Any],
        ]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }

    // MARK: maintenance

    func maintenance(_ elevator: ElevatorRecord, now: Int64, report: inout Report) async throws {
        let active = try database.activeTickets(elevatorID: elevator.elevatorID)
        guard !active.contains(where: { $0.type == .maintenance }) else { return }
        guard let contractor = try database.contractor(of: elevator.elevatorID, at: now) else { return }
        let today = CivilDate(epochMs: now)
        let registered = CivilDate(epochMs: elevator.registeredAt)
        let start = max(elevator.commissionedOn.flatMap(CivilDate.init) ?? registered, registered)
        let visits = try database.completedMaintenance(elevatorID: elevator.elevatorID).map {
            MaintenanceRegime.Visit(date: CivilDate(epochMs: $0.at), level: MaintenanceLevel(rawValue: $0.level) ?? .halfMonth)
        }
        var conditions = MaintenanceRegime.OnDemandConditions.notApproved
        if elevator.onDemand {
            var failing: [String] = []
            if !HealthEvaluator(database: database, configuration: configuration).isOnline(elevator, now: now) { failing.append("offline") }
            let faults = active.filter { [.rescue, .safetyRepair, .repair].contains($0.type) }
            if !faults.isEmpty { failing.append("not healthy: \(faults.map { "\($0.type.rawValue) ticket \($0.id)" }.joined(separator: ", ")) open") }
            if let last = try database.lastSafetyFault(elevatorID: elevator.elevatorID, since: now - 30 * Self.day) {
                failing.append("safety fault on \(CivilDate(epochMs: last)) (within 30 days)")
            }
            conditions = MaintenanceRegime.OnDemandConditions(approved: true, maximumDays: nil, failing: failing)
        }
        let next = configuration.maintenance.next(start: start, visits: visits, onDemand: conditions, today: today)
        guard today >= next.opensOn else { return }
        let due = next.due.adding(days: 1).startEpochMs - 1
        let ticket = Ticket(
            elevatorID: elevator.elevatorID, region: elevator.region, unitID: elevator.unitID, contractorID: contractor, type: .maintenance,
            openedAt: now, deadlines: SLAPolicy.Deadlines(due: due), level: next.level.rawValue,
            reason: "\(next.level.rawValue) maintenance due \(next.due): \(next.reason)")
        await giveWayToFaults()
        opened(try await engine.open(ticket), &report)
    }

    // MARK: inspections

    func inspections(_ elevator: ElevatorRecord, now: Int64, report: inout Report) async throws {
        guard let commissioned = elevator.commissionedOn.flatMap(CivilDate.init) else { return }
        // Obligations that fell due before LiftWatch knew the elevator are the registry's past, not work to open.
        let registered = CivilDate(epochMs: elevator.registeredAt)
        for obligation in configuration.inspection.open(on: CivilDate(epochMs: now), commissioned: commissioned) where obligation.due >= registered {
            let words = obligation.kind == .periodicInspection ? "statutory periodic inspection" : "owner's self-testing"
            let ticket = Ticket(
                elevatorID: elevator.elevatorID, region: elevator.region, unitID: elevator.unitID,
                contractorID: try database.contractor(of: elevator.elevatorID, at: now), type: .inspection, openedAt: now,
                // Done by the end of its day (Beijing time), as maintenance: an inspection made on its date is on time.
                deadlines: SLAPolicy.Deadlines(due: obligation.due.adding(days: 1).startEpochMs - 1), level: obligation.kind.rawValue,
                reason: "\(words), year \(obligation.year) after commissioning on \(commissioned), due \(obligation.due)")
            await giveWayToFaults()
            opened(try await engine.open(ticket), &report)
        }
    }

    // MARK: trends

    func trends(_ elevator: ElevatorRecord, now: Int64, report: inout Report) async throws {
        let findings = try HealthEvaluator(database: database, configuration: configuration).trends(of: elevator.elevatorID, now: now)
        // What every view of the elevator's health shows until the next evaluation.
        try database.setTrendFindings(findings, elevatorID: elevator.elevatorID, at: now)
        guard !findings.isEmpty else { return }
        let since = now - Int64(configuration.trends.baselineDays) * Self.day
        let recent = try database.tickets(TicketFilter(elevatorID: elevator.elevatorID, types: [.predictive], openedFrom: since, limit: 1000))
        for finding in findings where !recent.contains(where: { $0.signal == finding.signal.rawValue }) {
            var ticket = Ticket(
                elevatorID: elevator.elevatorID, region: elevator.region, unitID: elevator.unitID,
                contractorID: try database.contractor(of: elevator.elevatorID, at: now), type: .predictive, openedAt: now,
                deadlines: configuration.sla.deadlines(for: .predictive, region: elevator.region, openedAt: now), reason: finding.description)
            ticket.signal = finding.signal.rawValue
            await giveWayToFaults()
            opened(try await engine.open(ticket), &report)
        }
    }
}
