/// What a unit's project record adds up to, from the steps that count (not corrected): the latest vote, numbers
/// and funding, and the subsidies. The one place the dossier and the API take these from.
public struct ProjectSummary: Sendable, Hashable {
    /// The latest owners' vote.
    public var vote: OwnersVote?
    public var approvalNumber: String?
    public var acceptanceNumber: String?
    public var registrationCertificate: String?
    public var subsidyAppliedFen: Int64
    public var subsidyGrantedFen: Int64
    /// The latest funding step's.
    public var funding: Funding?

    /// - Parameter steps: the unit's steps, oldest first (by date, then as recorded).
    public init(steps: [ProjectStep]) {
        let counted = steps.filter(\.counts)
        func latest(_ kind: ProjectStepKind) -> ProjectStep? { counted.last { $0.kind == kind } }
        vote = latest(.ownersVote)?.vote
        approvalNumber = latest(.jointApproval)?.number
        acceptanceNumber = latest(.completionAcceptance)?.number
        registrationCertificate = latest(.equipmentRegistration)?.number
        subsidyAppliedFen = counted.filter { $0.kind == .subsidyApplied }.compactMap(\.amountFen).reduce(0, +)
        subsidyGrantedFen = counted.filter { $0.kind == .subsidyGranted }.compactMap(\.amountFen).reduce(0, +)
        funding = latest(.funding)?.funding
    }

    /// What a unit at `stage` still needs for its next gated stage (`ProgrammeGate`), or nil. A unit past a gate
    /// whose steps were corrected away is told so: its stage no longer stands on its record.
    public static func nextStageNeeds(stage: LifecycleStage, steps: [ProjectStep]) -> String? {
        for gate in [LifecycleStage.approved, .accepted] where stage >= gate && stage != .decommissioned {
            if ProgrammeGate.voided(gate, steps), let reason = ProgrammeGate.refusal(reaching: gate, steps: steps) {
                return "the stage \(stage.rawValue) no longer stands on the record after a correction: \(reason)"
            }
        }
        return switch stage {
        case .surveyed: ProgrammeGate.refusal(reaching: .approved, steps: steps)
        case .underConstruction: ProgrammeGate.refusal(reaching: .accepted, steps: steps)
        default: nil
        }
    }
}
