import GRDB
import LiftCore

extension LiftDatabase {
    /// The health signals a dossier charts.
    public static let dossierMetrics: [Rollups.Metric] = [.doorCloseMs, .levelErrorMm, .motorTempC, .vibrationMg]

    /// The dossier of a unit, or of the unit an elevator belongs to.
    ///
    /// - Parameters:
    ///   - id: a `unit_id` or an `elevator_id` (units are looked up first).
    ///   - historyDays: how many days of daily health history to include.
    /// - Throws: `RegistryError.notFound` when neither a unit nor an elevator has that id.
    public func dossier(_ id: String, now: Int64, historyDays: Int = 365) throws -> Dossier {
        if try unit(id) != nil { return try dossier(of: .unit(id), now: now, historyDays: historyDays) }
        if try elevator(id) != nil { return try dossier(of: .elevator(id), now: now, historyDays: historyDays) }
        throw RegistryError(.notFound, "no unit or elevator \"\(id)\"")
    }

    /// The dossier of a unit (every elevator of it) or of one elevator (with its unit): never the one for the other
    /// kind of id, so that a unit id equal to an elevator id cannot stand in for it.
    /// - Throws: `RegistryError.notFound` when there is no such unit or elevator.
    public func dossier(of subject: DossierSubject, now: Int64, historyDays: Int = 365) throws -> Dossier {
        var unit: UnitRecord?
        var elevators: [ElevatorRecord]
        switch subject {
        case .unit(let id):
            guard let found = try self.unit(id) else { throw RegistryError(.notFound, "no unit \"\(id)\"") }
            unit = found
            elevators = try self.elevators(ofUnit: id)
        case .elevator(let id):
            guard let elevator = try elevator(id) else { throw RegistryError(.notFound, "no elevator \"\(id)\"") }
            elevators = [elevator]
            unit = try elevator.unitID.flatMap { try self.unit($0) }
        }
        let from = Rollups.floor(now, to: Rollups.day) - Int64(historyDays) * Rollups.day
        let files = try elevators.map { elevator in
            let events = try self.events(elevator.elevatorID)
            var health: [String: [SeriesPoint]] = [:]
            for metric in Self.dossierMetrics {
                health[metric.name] = try series(elevator.elevatorID, metric: metric, from: from, to: now + 1, step: Rollups.day)
            }
            return Dossier.ElevatorFile(
                elevator: elevator, stageHistory: try stageHistory(elevatorID: elevator.elevatorID),
                contracts: try contracts(of: elevator.elevatorID), terminals: try terminals(of: elevator.elevatorID),
                faults: events.filter { $0.fault != nil },
                tickets: try tickets(TicketFilter(elevatorID: elevator.elevatorID, limit: 100_000)), maintenanceVisits: events.filter { $0.kind == .maintenance },
                otherEvents: events.filter { ($0.kind == .mode || $0.kind == .alarm) && $0.fault == nil }, healthHistory: health, healthFrom: from,
                ingest: try ingestCounters(elevator.elevatorID),
                // The elevator's entries: a unit that shares its id writes `unit.*` and `project.*` entries under the same subject.
                audit: try auditEntries(subject: elevator.elevatorID).filter { !$0.action.hasPrefix("unit.") && !$0.action.hasPrefix("project.") })
        }
        let project = try unit.map { unit in
            Dossier.Project(unit: unit, steps: try projects.steps(unitID: unit.unitID), documents: try projects.documents(unitID: unit.unitID))
        }
        return Dossier(
            generatedAt: now, unit: unit, project: project,
            unitStageHistory: try unit.map { try stageHistory(unitID: $0.unitID).filter { $0.elevatorID == nil } } ?? [],
            elevators: files)
    }
}
