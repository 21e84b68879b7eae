import Foundation
import LiftCore
import Testing
@testable import LiftStore

/// Issue 24 item 3: the monthly dispatch, checked number by number against the worked example of docs/programme.md.
@Suite("Programme: the monthly dispatch of docs/programme.md")
struct ProgressReportTests {
    /// The worked example's registry: two districts of Changsha, seven units, their steps, two elevators, targets.
    static func example() throws -> LiftDatabase {
        let database = try LiftDatabase(path: try temporaryPath("progress.sqlite"))
        let now = CivilDate(year: 2026, month: 4, day: 1).startEpochMs
        let units: [(String, String, String?, SurveyRating?, Int?)] = [
            ("A1", "430102", "430102001001", .suitable, 12), ("A2", "430102", "430102001002", .suitable, 18),
            ("A3", "430102", "430102002001", .difficult, 10), ("A4", "430102", "430102002001", .unsuitable, 8),
            ("B1", "430103", "430103001001", .suitable, 16), ("B2", "430103", "430103001002", .difficult, 20),
            ("B3", "430103", nil, nil, nil),
        ]
        for (id, region, area, rating, households) in units {
            try database.upsertUnit(UnitRecord(unitID: id, region: region, address: "\(id)", rating: rating, areaCode: area, households: households), at: 0, by: "t")
        }
        let passed = OwnersVote(ownersTotal: 12, ownersParticipating: 12, ownersConsenting: 12, areaTotalCentiM2: 100_000, areaParticipatingCentiM2: 100_000, areaConsentingCentiM2: 100_000)
        func step(_ unit: String, _ kind: ProjectStepKind, _ date: String, number: String? = nil, yuan: Int64? = nil) throws {
            let needsNumber: Set<ProjectStepKind> = [.jointApproval, .completionAcceptance, .equipmentRegistration]
            try database.projects.record(
                ProjectStep(unitID: unit, kind: kind, date: CivilDate(date)!, number: number ?? (needsNumber.contains(kind) ? "\(unit)-\(date)" : nil),
                            amountFen: yuan.map { $0 * 100 }, vote: kind == .ownersVote ? passed : nil),
                by: "t", at: now)
        }
        try step("A1", .ownersVote, "2025-11-10"); try step("A1", .jointApproval, "2025-12-05"); try step("A1", .constructionStart, "2026-01-10")
        try step("A1", .completionAcceptance, "2026-03-20"); try step("A1", .subsidyGranted, "2026-03-25", yuan: 100_000)
        try step("A1", .jointApproval, "2026-02-20")  // approved again: the unit still counts once, in December
        try step("A2", .ownersVote, "2026-01-05"); try step("A2", .jointApproval, "2026-02-10"); try step("A2", .constructionStart, "2026-03-02")
        try step("A3", .ownersVote, "2026-02-01"); try step("A3", .jointApproval, "2026-03-15")
        try step("B1", .ownersVote, "2025-05-01"); try step("B1", .jointApproval, "2025-06-01"); try step("B1", .constructionStart, "2025-08-01")
        try step("B1", .completionAcceptance, "2025-12-20"); try step("B1", .subsidyGranted, "2026-01-15", yuan: 80_000)
        try step("B2", .ownersVote, "2026-03-01"); try step("B2", .jointApproval, "2026-03-30"); try step("B2", .subsidyApplied, "2026-03-31", yuan: 90_000)
        try database.register(ElevatorRegistration(elevatorID: "EA1", unitID: "A1", region: "430102", commissionedOn: "2026-03-28", stage: "in_service"), at: now, by: "t")
        try database.register(ElevatorRegistration(elevatorID: "EB1", unitID: "B1", region: "430103", commissionedOn: "2026-01-05", stage: "in_service"), at: now, by: "t")
        try database.programme.setTargets([
            .init(year: 2026, place: "430102", approvals: 4, constructionStarts: 3, completions: 2),
            .init(year: 2026, place: "430103", approvals: 2, constructionStarts: 2, completions: 2),
        ], by: "t", at: now)
        try database.programme.setNames([("4301", "长沙市"), ("430102", "芙蓉区"), ("430103", "天心区"), ("430102001", "文艺路街道"), ("430102002", "朝阳街道")])
        return database
    }

    func counts(_ c: ProgressReport.Counts) -> [Decimal] {
        [c.approvals, c.constructionStarts, c.completions, c.elevatorsInService, c.householdsBenefited].map { Decimal($0) } + [c.subsidiesGrantedYuan]
    }

    @Test("the city's March: this month, this year, in all, against targets summed from its districts, districts ranked")
    func cityMarch() throws {
        let report = try Self.example().programme.report(prefix: "4301", year: 2026, month: 3)
        #expect(report.place.name == "长沙市" && report.asOf == CivilDate(year: 2026, month: 4, day: 1).startEpochMs)
        #expect(report.unitsByRating == ["suitable": 3, "difficult": 2, "unsuitable": 1, "unrated": 1] && report.unitsTotal == 7)
        // approvals, construction starts, completions, elevators in service, households, subsidies (yuan)
        #expect(counts(report.thisMonth) == [2, 1, 1, 1, 12, 100_000])
        #expect(counts(report.yearToDate) == [3, 2, 1, 2, 12, 180_000])
        #expect(counts(report.cumulative) == [5, 3, 2, 2, 28, 180_000])
        #expect(report.targets == .init(approvals: 6, constructionStarts: 5, completions: 4))
        #expect(report.shares == .init(approvals: 0.5, constructionStarts: 0.4, completions: 0.25))
        #expect(report.ranking.map(\.place.code) == ["430102", "430103"] && report.ranking.map(\.rank) == [1, 2])
        let furong = report.ranking[0]
        #expect(furong.place.name == "芙蓉区" && counts(furong.yearToDate) == [2, 2, 1, 1, 12, 100_000])
        #expect(furong.shares.approvals == 0.5 && furong.shares.completions == 0.5)
        #expect(abs((furong.shares.constructionStarts ?? 0) - 2.0 / 3.0) < 1e-12)
        #expect(furong.unitsByRating == ["suitable": 2, "difficult": 1, "unsuitable": 1, "unrated": 0])
        let tianxin = report.ranking[1]
        #expect(counts(tianxin.yearToDate) == [1, 0, 0, 1, 0, 80_000] && tianxin.shares == .init(approvals: 0.5, constructionStarts: 0, completions: 0))
        #expect(counts(tianxin.cumulative) == [2, 1, 1, 1, 16, 80_000])
        // The months of the chart: January, February, March.
        #expect(report.months.map { counts($0.thisMonth) } == [[0, 1, 0, 1, 0, 80_000], [1, 0, 0, 0, 0, 0], [2, 1, 1, 1, 12, 100_000]])
        #expect(report.months.map(\.yearToDate.completions) == [0, 0, 1])
    }

    @Test("a district's report ranks its streets; February knows nothing of March; a province sums its cities")
    func otherLevelsAndMonths() throws {
        let database = try Self.example()
        let furong = try database.programme.report(prefix: "430102", year: 2026, month: 3)
        #expect(furong.ranking.map(\.place.code) == ["430102001", "430102002"] && furong.ranking.map(\.place.name) == ["文艺路街道", "朝阳街道"])
        #expect(furong.ranking.map(\.yearToDate.completions) == [1, 0] && furong.ranking.allSatisfy { $0.shares.completions == nil })
        #expect(furong.targets.completions == 2)
        let february = try database.programme.report(prefix: "4301", year: 2026, month: 2)
        #expect(counts(february.yearToDate) == [1, 1, 0, 1, 0, 80_000] && february.cumulative.completions == 1)
        let street = try database.programme.report(prefix: "430102002", year: 2026, month: 3)
        #expect(street.unitsTotal == 2 && street.yearToDate.approvals == 1 && street.targets == .init())
        let province = try database.programme.report(prefix: "43", year: 2026, month: 3)
        #expect(province.targets.completions == 4, "no row for the province or the city: the city's target is its districts' sum")
        #expect(province.ranking.map(\.place.code) == ["4301"])
    }

    @Test("a place's target is the sum of the targets ranked under it, whether a city has its own row or its districts do")
    func targetsSumWhatIsRanked() throws {
        let database = try Self.example()
        try database.programme.setTargets([.init(year: 2026, place: "4302", approvals: 10, constructionStarts: 10, completions: 10)], by: "t", at: 0)
        let province = try database.programme.report(prefix: "43", year: 2026, month: 3)
        #expect(province.ranking.map(\.place.code).sorted() == ["4301", "4302"])
        #expect(province.ranking.map(\.targets.completions).reduce(0) { $0 + ($1 ?? 0) } == 14)
        #expect(province.targets == .init(approvals: 16, constructionStarts: 15, completions: 14), "4302's own row and 4301's districts")
        // A city row that leaves completions blank takes them from its districts.
        try database.programme.setTargets([.init(year: 2026, place: "4301", approvals: 7, constructionStarts: 6)], by: "t", at: 0)
        let city = try database.programme.report(prefix: "4301", year: 2026, month: 3)
        #expect(city.targets == .init(approvals: 7, constructionStarts: 6, completions: 4))
    }

    @Test("a correction voids a wrong step everywhere: the figures, the first approval, the gate; it needs a reason and names a step of the unit")
    func corrections() throws {
        let database = try Self.example()
        let now = CivilDate(year: 2026, month: 4, day: 1).startEpochMs
        let a1 = try database.projects.steps(unitID: "A1")
        let grant = try #require(a1.first { $0.kind == .subsidyGranted })
        let firstApproval = try #require(a1.first { $0.kind == .jointApproval && $0.date == CivilDate("2025-12-05")! })
        func correct(_ unit: String, _ id: Int64, _ note: String? = "entered twice by mistake") throws {
            _ = try database.projects.record(
                ProjectStep(unitID: unit, kind: .correction, date: CivilDate("2026-03-31")!, note: note, corrects: id), by: "t", at: now)
        }
        #expect(throws: RegistryError.self) { try correct("A1", grant.id, nil) }
        #expect(throws: RegistryError.self) { try correct("A2", grant.id) }
        try correct("A1", grant.id)
        try correct("A1", firstApproval.id)
        #expect(throws: RegistryError.self) { try correct("A1", grant.id) }
        let correction = try #require(try database.projects.steps(unitID: "A1").last { $0.kind == .correction })
        #expect(throws: RegistryError.self) { try correct("A1", correction.id) }

        let report = try database.programme.report(prefix: "4301", year: 2026, month: 3)
        // Before: this month 2 approvals and 100,000 yuan; the year 3 approvals and 180,000 (docs/programme.md).
        #expect(report.thisMonth.subsidiesGrantedYuan == 0 && report.yearToDate.subsidiesGrantedYuan == 80_000)
        #expect(report.yearToDate.approvals == 4, "A1's first approval is now February's")
        #expect(report.cumulative.approvals == 5)
        let steps = try database.projects.steps(unitID: "A1")
        #expect(steps.first { $0.id == grant.id }?.correctedBy == correction.id - 1 && ProjectSummary(steps: steps).subsidyGrantedFen == 0)

        // A vote corrected before the approval: the approval does not move the unit on.
        let b3Vote = ProjectStep(
            unitID: "B3", kind: .ownersVote, date: CivilDate("2026-03-01")!,
            vote: OwnersVote(ownersTotal: 4, ownersParticipating: 4, ownersConsenting: 4, areaTotalCentiM2: 100, areaParticipatingCentiM2: 100, areaConsentingCentiM2: 100))
        let vote = try database.projects.record(b3Vote, by: "t", at: now).step
        try correct("B3", vote.id, "the signatures were not checked")
        _ = try database.projects.record(ProjectStep(unitID: "B3", kind: .jointApproval, date: CivilDate("2026-03-20")!, number: "X"), by: "t", at: now)
        #expect(try database.unit("B3")?.stage == .surveyed)
        #expect(ProjectSummary.nextStageNeeds(stage: .surveyed, steps: try database.projects.steps(unitID: "B3"))?.contains("no owners' vote") == true)

        // An approval corrected after the unit was approved: the unit stays, moves no further, and its record says why.
        let a3Approval = try #require(try database.projects.steps(unitID: "A3").first { $0.kind == .jointApproval })
        #expect(try database.unit("A3")?.stage == .approved)
        try correct("A3", a3Approval.id, "approved for the wrong building")
        _ = try database.projects.record(ProjectStep(unitID: "A3", kind: .constructionStart, date: CivilDate("2026-03-31")!), by: "t", at: now)
        #expect(try database.unit("A3")?.stage == .approved, "no start on an approval that no longer stands")
        let needs = ProjectSummary.nextStageNeeds(stage: .approved, steps: try database.projects.steps(unitID: "A3"))
        #expect(needs?.contains("no longer stands") == true && needs?.contains("no joint approval") == true, "\(needs ?? "nil")")
        #expect(throws: RegistryError.self, "a blank approval number") {
            try database.projects.record(ProjectStep(unitID: "A3", kind: .jointApproval, date: CivilDate("2026-03-31")!, number: " \u{3000}"), by: "t", at: now)
        }
    }

    @Test("a unit moved to another street takes its steps with it: the old street's figures lose them, the new one's gain them")
    func movedUnitTakesItsSteps() throws {
        let database = try Self.example()
        func street(_ code: String) throws -> ProgressReport.Counts { try database.programme.report(prefix: code, year: 2026, month: 3).yearToDate }
        #expect(try street("430102001").approvals == 1 && street("430102002").approvals == 1)
        var a2 = try #require(try database.unit("A2"))
        a2.areaCode = "430102002003"
        try database.upsertUnit(a2, at: CivilDate(year: 2026, month: 4, day: 2).startEpochMs, by: "t")
        #expect(try street("430102001").approvals == 0 && street("430102001").constructionStarts == 1, "A1's start stays")
        #expect(try street("430102002").approvals == 2 && street("430102002").constructionStarts == 1)
        #expect(try database.programme.report(prefix: "430102", year: 2026, month: 3).yearToDate.approvals == 2, "the district's total is unchanged")
    }

    @Test("targets and names are checked: places of province, city or district level, sane years and numbers")
    func targetValidation() throws {
        let database = try LiftDatabase(path: try temporaryPath("targets.sqlite"))
        #expect(throws: RegistryError.self) { try database.programme.setTargets([.init(year: 2026, place: "430102001", completions: 2)], by: "t", at: 0) }
        #expect(throws: RegistryError.self) { try database.programme.setTargets([.init(year: 1999, place: "4301", completions: 2)], by: "t", at: 0) }
        #expect(throws: RegistryError.self) { try database.programme.setTargets([.init(year: 2026, place: "4301", completions: -1)], by: "t", at: 0) }
        let parsed = try ProgrammeCSV.targets("year,place,approvals,construction_starts,completions\n2026,4301,10,,6\n")
        #expect(parsed == [.init(year: 2026, place: "4301", approvals: 10, constructionStarts: nil, completions: 6)])
        #expect(throws: RegistryError.self) { try ProgrammeCSV.targets("year,place,approvals,construction_starts,completions\n2026,4301,ten,,6\n") }
        #expect(throws: RegistryError.self) { try database.programme.setNames([("43010", "x")]) }
    }

    @Test("config/places/hunan.csv names the province, its 14 cities and 122 districts, each inside the one above")
    func hunanPlaces() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let names = try ProgrammeCSV.names(try String(contentsOf: root.appendingPathComponent("config/places/hunan.csv"), encoding: .utf8))
        let codes = names.map(\.code)
        #expect(codes.filter { $0.count == 4 }.count == 14 && codes.filter { $0.count == 6 }.count == 122 && codes.contains("43"))
        #expect(Set(codes).count == codes.count)
        #expect(codes.filter { $0 != "43" }.allSatisfy { code in codes.contains(String(code.prefix(code.count == 6 ? 4 : 2))) })
        let database = try LiftDatabase(path: try temporaryPath("names.sqlite"))
        try database.programme.setNames(names)
        #expect(try database.programme.names()["430102"] == "芙蓉区")
    }
}
