/// The one rule on which project steps a unit's stage moves need, and which moves a recorded step makes.
///
/// Pure. A unit may not reach `approved` without an owners' vote that passed (its latest vote) and a joint
/// approval, nor `accepted` without a completion acceptance. Recording a step moves the stage on by the step it
/// completes (a joint approval after a vote that passed: `approved`; construction start: `under_construction`;
/// completion acceptance: `accepted`; equipment registration: `registered`). An administrator's forced move is
/// not checked; an import carries stages recorded elsewhere and is not checked either (docs/programme.md). Corrected
/// steps and corrections count for nothing.
public enum ProgrammeGate {
    /// Why `steps` do not allow reaching `stage`, or nil when they do.
    public static func refusal(reaching stage: LifecycleStage, steps: [ProjectStep]) -> String? {
        let steps = steps.filter(\.counts)
        switch stage {
        case .approved:
            let latestVote = steps.filter { $0.kind == .ownersVote }.max { ($0.date, $0.id) < ($1.date, $1.id) }
            guard let vote = latestVote?.vote else { return "no owners' vote is recorded (业主表决)" }
            guard vote.passed else {
                return "the owners' vote of \(latestVote!.date) did not pass: \(describe(vote))"
            }
            guard steps.contains(where: { $0.kind == .jointApproval }) else { return "no joint approval is recorded (联合审批)" }
            return nil
        case .accepted:
            guard steps.contains(where: { $0.kind == .completionAcceptance }) else { return "no completion acceptance is recorded (竣工验收)" }
            return nil
        default:
            return nil
        }
    }

    /// The first move along `moves`' path that `steps` do not allow, as a message; nil when all are allowed.
    public static func refusal(of moves: [StageMove], steps: [ProjectStep]) -> String? {
        for move in moves where !move.forced {
            if let reason = refusal(reaching: move.to, steps: steps) { return "stage \(move.from.rawValue) → \(move.to.rawValue): \(reason)" }
        }
        return nil
    }

    /// Why `steps` do not allow a unit at `from` to be put straight at `to` (a new elevator registered at its stage):
    /// every gate the lifecycle passes between them must be met. Nil when they are, or when `to` is not further on.
    public static func refusal(from: LifecycleStage, to: LifecycleStage, steps: [ProjectStep]) -> String? {
        for gate in [LifecycleStage.approved, .accepted] where from < gate && to >= gate {
            if let reason = refusal(reaching: gate, steps: steps) { return "stage \(from.rawValue) → \(to.rawValue): \(reason)" }
        }
        return nil
    }

    /// The stage a unit at `stage` moves to now that `steps` (the new one included) are recorded, or nil.
    public static func advance(from stage: LifecycleStage, steps: [ProjectStep]) -> LifecycleStage? {
        let kinds = Set(steps.filter(\.counts).map(\.kind))
        // A gate passed on steps that were corrected away stops the unit where it is. (A stage imported without its
        // steps, which LiftWatch never saw, still moves on.)
        func stands(_ gate: LifecycleStage) -> Bool { refusal(reaching: gate, steps: steps) == nil || !voided(gate, steps) }
        let next: LifecycleStage? = switch stage {
        case .surveyed: refusal(reaching: .approved, steps: steps) == nil ? .approved : nil
        case .approved: stands(.approved) && kinds.contains(.constructionStart) ? .underConstruction : nil
        case .underConstruction: stands(.approved) && kinds.contains(.completionAcceptance) ? .accepted : nil
        case .accepted: stands(.approved) && stands(.accepted) && kinds.contains(.equipmentRegistration) ? .registered : nil
        default: nil
        }
        return next
    }

    /// Whether a step that `gate` rests on (a vote or an approval; an acceptance) was corrected.
    public static func voided(_ gate: LifecycleStage, _ steps: [ProjectStep]) -> Bool {
        let kinds: Set<ProjectStepKind> = gate == .approved ? [.ownersVote, .jointApproval] : gate == .accepted ? [.completionAcceptance] : []
        return steps.contains { $0.correctedBy != nil && kinds.contains($0.kind) }
    }

    /// The counts against the thresholds, in words.
    public static func describe(_ vote: OwnersVote) -> String {
        "participation \(vote.ownersParticipating)/\(vote.ownersTotal) owners and \(m2(vote.areaParticipatingCentiM2))/\(m2(vote.areaTotalCentiM2)) m² "
            + "(needs 2/3 of both: \(vote.participationMet ? "met" : "not met")); consent \(vote.ownersConsenting)/\(vote.ownersParticipating) owners and "
            + "\(m2(vote.areaConsentingCentiM2))/\(m2(vote.areaParticipatingCentiM2)) m² (needs 3/4 of both: \(vote.consentMet ? "met" : "not met"))"
    }

    static func m2(_ centi: Int64) -> String {
        let whole = centi / 100, rest = centi % 100
        return rest == 0 ? "\(whole)" : "\(whole).\(rest < 10 ? "0" : "")\(rest)"
    }
}
