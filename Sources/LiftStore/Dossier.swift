import LiftCore

/// One building unit's file (一单元一档案): the unit, its elevators and everything on record about them.
///
/// Encode with `JSONEncoder.keyEncodingStrategy = .convertToSnakeCase` for the contract's field names.
public struct Dossier: Sendable, Codable {
    /// One elevator's part of the dossier.
    public struct ElevatorFile: Sendable, Codable {
        public var elevator: ElevatorRecord
        public var stageHistory: [StageChangeRecord]
        public var contracts: [ContractRecord]
        public var terminals: [TerminalRecord]
        /// Faults raised and cleared, newest last.
        public var faults: [ElevatorEvent]
        /// Every ticket of the elevator (faults, maintenance, inspections, connectivity, predictive), oldest first.
        public var tickets: [Ticket]
        /// Maintenance visit markers the controller sent.
        public var maintenanceVisits: [ElevatorEvent]
        /// Mode changes and alarms.
        public var otherEvents: [ElevatorEvent]
        /// Daily min, max and mean of each health signal over `healthFrom…generatedAt`.
        public var healthHistory: [String: [SeriesPoint]]
        public var healthFrom: Int64
        public var ingest: IngestCounters?
        /// Changes recorded in the audit log for this elevator.
        public var audit: [AuditEntry]
    }

    /// The unit's elevator project (加装项目): its steps, latest vote, documents and money.
    public struct Project: Sendable, Codable {
        public var steps: [ProjectStep]
        public var documents: [ProjectDocument]
        /// The latest owners' vote that counts (`ProjectSummary`) and whether it met Civil Code art. 278's thresholds.
        public var vote: OwnersVote?
        public var votePassed: Bool?
        public var subsidyAppliedFen: Int64
        public var subsidyGrantedFen: Int64
        /// The latest funding step.
        public var funding: Funding?
        /// What the unit's next gated stage still needs (`ProgrammeGate`), when it waits on one.
        public var nextStageNeeds: String?

        public init(unit: UnitRecord, steps: [ProjectStep], documents: [ProjectDocument]) {
            self.steps = steps
            self.documents = documents
            let summary = ProjectSummary(steps: steps)
            vote = summary.vote
            votePassed = vote?.passed
            subsidyAppliedFen = summary.subsidyAppliedFen
            subsidyGrantedFen = summary.subsidyGrantedFen
            funding = summary.funding
            nextStageNeeds = ProjectSummary.nextStageNeeds(stage: unit.stage, steps: steps)
        }
    }

    public var generatedAt: Int64
    /// Nil when the dossier was asked for by an elevator that names no unit.
    public var unit: UnitRecord?
    /// The unit's project record; nil without a unit.
    public var project: Project?
    /// The unit's stages recorded before (or without) an elevator; later ones are in its elevator's history.
    public var unitStageHistory: [StageChangeRecord]
    public var elevators: [ElevatorFile]

    /// The dossier as `caller` may see it: the tickets it may read (a contractor's own, a regulator's region's),
    /// as the API's ticket lists show them; the project record (owners' vote, funding) not for contractors.
    public func visible(to caller: Principal) -> Dossier {
        var copy = self
        if caller.role == .contractor { copy.project = nil }
        for index in copy.elevators.indices { copy.elevators[index].tickets.removeAll { !caller.mayRead($0) } }
        return copy
    }
}

/// Whose dossier: a unit's (all its elevators), or one elevator's (with its unit).
public enum DossierSubject: Sendable, Hashable {
    case unit(String)
    case elevator(String)
}
