import LiftCore
import Testing

/// Issue 24 item 2: the owners' vote thresholds of Civil Code art. 278, and the steps a stage move needs.
@Suite("Programme: owners' vote and stage gate")
struct ProgrammeGateTests {
    func vote(_ total: Int, _ participating: Int, _ consenting: Int, area: (Int64, Int64, Int64) = (100_000, 100_000, 100_000)) -> OwnersVote {
        OwnersVote(
            ownersTotal: total, ownersParticipating: participating, ownersConsenting: consenting,
            areaTotalCentiM2: area.0, areaParticipatingCentiM2: area.1, areaConsentingCentiM2: area.2)
    }

    @Test("participation needs two thirds of the owners and of the area; consent three quarters of those participating, by both")
    func thresholds() {
        // 12 owners: 8 participating is exactly 2/3; of 8, 6 consenting is exactly 3/4.
        #expect(vote(12, 8, 6).passed)
        #expect(!vote(12, 7, 7).participationMet, "7 of 12 is under 2/3")
        #expect(!vote(12, 8, 5).consentMet, "5 of 8 is under 3/4")
        // By area too: 1,000.00 m² in all; 666.66 m² participating is under 2/3, 666.67 is not.
        #expect(!vote(12, 12, 12, area: (100_000, 66_666, 66_666)).participationMet)
        #expect(vote(12, 12, 12, area: (100_000, 66_667, 66_667)).participationMet)
        // Consent by area: 3/4 of 800.00 m² is 600.00 m².
        #expect(vote(12, 12, 12, area: (100_000, 80_000, 60_000)).consentMet)
        #expect(!vote(12, 12, 12, area: (100_000, 80_000, 59_999)).consentMet)
        #expect(vote(12, 13, 1).problem != nil && vote(12, 8, 9).problem != nil && vote(0, 0, 0).problem != nil)
        #expect(vote(12, 12, 12, area: (100, 200, 100)).problem != nil, "more area participating than in all")
    }

    @Test("approval needs a vote that passed (the latest) and a joint approval; acceptance needs its record")
    func gate() {
        let day = CivilDate(year: 2026, month: 3, day: 1)
        let passed = ProjectStep(id: 1, unitID: "U", kind: .ownersVote, date: day, vote: vote(12, 8, 6))
        let failed = ProjectStep(id: 2, unitID: "U", kind: .ownersVote, date: CivilDate(year: 2026, month: 4, day: 1), vote: vote(12, 8, 5))
        let approval = ProjectStep(id: 3, unitID: "U", kind: .jointApproval, date: day, number: "长住建审〔2026〕12号")
        #expect(ProgrammeGate.refusal(reaching: .approved, steps: [])?.contains("no owners' vote") == true)
        #expect(ProgrammeGate.refusal(reaching: .approved, steps: [passed])?.contains("no joint approval") == true)
        #expect(ProgrammeGate.refusal(reaching: .approved, steps: [passed, approval]) == nil)
        let refusal = ProgrammeGate.refusal(reaching: .approved, steps: [passed, failed, approval])
        #expect(refusal?.contains("did not pass") == true && refusal?.contains("consent 5/8 owners") == true, "\(refusal ?? "")")
        #expect(ProgrammeGate.refusal(reaching: .accepted, steps: [passed, approval])?.contains("no completion acceptance") == true)
        #expect(ProgrammeGate.refusal(reaching: .underConstruction, steps: []) == nil, "only approval and acceptance are gated")
        #expect(ProgrammeGate.advance(from: .surveyed, steps: [passed, approval]) == .approved)
        #expect(ProgrammeGate.advance(from: .surveyed, steps: [passed]) == nil)
        let start = ProjectStep(id: 4, unitID: "U", kind: .constructionStart, date: day)
        #expect(ProgrammeGate.advance(from: .approved, steps: [passed, approval, start]) == .underConstruction)
        let forced = StageMove(from: .surveyed, to: .approved, forced: true, reason: "records kept on paper")
        #expect(ProgrammeGate.refusal(of: [forced], steps: []) == nil, "a forced move is the administrator's")
    }

    @Test("a step carries exactly what its kind needs")
    func stepShapes() {
        let today = CivilDate(year: 2026, month: 12, day: 7)
        let day = CivilDate(year: 2026, month: 3, day: 1)
        #expect(ProjectStep(unitID: "U", kind: .jointApproval, date: day).problem(today: today)?.contains("approval number") == true)
        #expect(ProjectStep(unitID: "U", kind: .jointApproval, date: day, number: "A-1").problem(today: today) == nil)
        #expect(ProjectStep(unitID: "U", kind: .subsidyGranted, date: day).problem(today: today)?.contains("amount_yuan") == true)
        #expect(ProjectStep(unitID: "U", kind: .constructionStart, date: day, amountFen: 5).problem(today: today)?.contains("takes no amount") == true)
        #expect(ProjectStep(unitID: "U", kind: .application, date: CivilDate(year: 2027, month: 1, day: 1)).problem(today: today)?.contains("future") == true)
        #expect(ProjectStep(unitID: "U", kind: .ownersVote, date: day).problem(today: today)?.contains("vote's counts") == true)
        #expect(ProjectStep(unitID: "U", kind: .funding, date: day, funding: Funding()).problem(today: today) != nil)
        #expect(ProjectStep(unitID: "U", kind: .application, date: day, note: "a\u{0}b").problem(today: today)?.contains("control") == true)
    }
}
