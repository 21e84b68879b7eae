import Testing
@testable import LiftCore

@Suite("Lifecycle stage machine")
struct StageMachineTests {
    /// The moves of spec section 8, written out by hand rather than derived from the machine.
    static let allowed: Set<[LifecycleStage]> = [
        [.surveyed, .approved], [.approved, .underConstruction], [.underConstruction, .accepted], [.accepted, .registered],
        [.registered, .inService], [.inService, .suspended], [.suspended, .inService], [.inService, .decommissioned],
        [.suspended, .decommissioned],
    ]

    @Test("every move of the lifecycle is allowed and every other move between different stages is refused")
    func everyPairOfStages() throws {
        let machine = StageMachine()
        var checked = 0
        for from in LifecycleStage.allCases {
            for to in LifecycleStage.allCases where from != to {
                checked += 1
                if Self.allowed.contains([from, to]) {
                    let moves = try machine.move(from: from, to: to)
                    #expect(moves == [StageMove(from: from, to: to, forced: false, reason: nil)])
                } else {
                    #expect(throws: StageMoveError.self, "\(from) → \(to) must be refused") { try machine.move(from: from, to: to) }
                }
            }
        }
        #expect(checked == 56)
        #expect(try machine.move(from: .inService, to: .inService).isEmpty)
    }

    @Test("a refused move says which moves are allowed")
    func refusalNamesTheAllowedMoves() {
        #expect {
            try StageMachine().move(from: .surveyed, to: .inService)
        } throws: { error in
            let text = "\(error)"
            return text.contains("surveyed → in_service is not allowed") && text.contains("the next stage is approved")
        }
        #expect {
            try StageMachine().move(from: .decommissioned, to: .inService)
        } throws: { "\($0)".contains("none (final stage)") }
    }

    @Test("an administrator forces any move with a reason, and a forced move without one is refused")
    func forcedMoves() throws {
        let moves = try StageMachine().move(from: .decommissioned, to: .inService, forcedReason: "decommissioned by mistake")
        #expect(moves == [StageMove(from: .decommissioned, to: .inService, forced: true, reason: "decommissioned by mistake")])
        #expect(throws: StageMoveError.self) { try StageMachine().move(from: .inService, to: .surveyed, forcedReason: "  ") }
    }

    @Test("an import may jump forward along the path, recording each step, but never backwards or into suspension")
    func forwardPath() throws {
        let moves = try StageMachine().move(from: .approved, to: .inService, throughPath: true)
        #expect(moves.map(\.to) == [.underConstruction, .accepted, .registered, .inService])
        #expect(moves.allSatisfy { !$0.forced })
        #expect(try StageMachine().move(from: .registered, to: .decommissioned, throughPath: true).map(\.to) == [.inService, .decommissioned])
        #expect(throws: StageMoveError.self) { try StageMachine().move(from: .inService, to: .approved, throughPath: true) }
        #expect(throws: StageMoveError.self) { try StageMachine().move(from: .approved, to: .suspended, throughPath: true) }
    }
}

@Suite("Civil dates (UTC+8)")
struct CivilDateTests {
    @Test("dates parse strictly and map to midnight in China Standard Time")
    func parsing() throws {
        let date = try #require(CivilDate("2024-02-29"))
        #expect(date.startEpochMs == 1_709_136_000_000)  // 2024-02-28T16:00:00Z
        #expect(CivilDate(epochMs: 1_709_136_000_000) == date)
        #expect(CivilDate(epochMs: 1_709_135_999_999) == CivilDate("2024-02-28"))
        #expect(CivilDate("2025-02-29") == nil && CivilDate("2025-13-01") == nil && CivilDate("25-01-01") == nil)
        #expect(date.adding(years: 1).description == "2025-02-28")
        #expect(date.adding(days: 1).description == "2024-03-01")
    }
}
