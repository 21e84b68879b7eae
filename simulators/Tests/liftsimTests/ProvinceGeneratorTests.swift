import Foundation
import LiftCore
import LiftStore
import Testing
@testable import liftsim
@testable import liftwatch

/// Issue 24 item 5: a province to run the programme on.
@Suite("Generated province")
struct ProvinceGeneratorTests {
    static let today = CivilDate("2026-12-07")!

    static func temporaryPath(_ name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("province-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }

    static func names() throws -> [(code: String, name: String)] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../config/places/hunan.csv")
        return try ProgrammeCSV.names(try String(contentsOf: url, encoding: .utf8))
    }

    @Test("the same seed gives the same files; another seed another province")
    func deterministic() throws {
        let names = try Self.names()
        let a = ProvinceGenerator(names: names, unitCount: 2_000, estateCount: 200, seed: 3, today: Self.today)
        let b = ProvinceGenerator(names: names, unitCount: 2_000, estateCount: 200, seed: 3, today: Self.today)
        #expect(a.unitsCSV == b.unitsCSV && a.stepsJSONL == b.stepsJSONL && a.targetsCSV == b.targetsCSV && a.placesCSV == b.placesCSV)
        #expect(ProvinceGenerator(names: names, unitCount: 2_000, estateCount: 200, seed: 4, today: Self.today).unitsCSV != a.unitsCSV)
    }

    @Test("2021 is the province's report of January 2022, units are rated as the survey found, places nest five deep")
    func matchesTheProvincesReport() throws {
        let names = try Self.names()
        let province = ProvinceGenerator(names: names, unitCount: 20_000, estateCount: 1_850, seed: 1, today: Self.today)
        let year = { (year: Int) in province.actual.values.compactMap { $0[year] } }
        #expect(year(2021).map(\.approvals).reduce(0, +) == 3_825)
        #expect(year(2021).map(\.starts).reduce(0, +) == 1_998)
        #expect(year(2021).map(\.completions).reduce(0, +) == 1_282)
        let approvedByEnd2021 = (2018...2021).map { year($0).map(\.approvals).reduce(0, +) }.reduce(0, +)
        #expect(approvedByEnd2021 > 5_000, "over 5,000 elevators approved, building or built by the end of 2021")
        #expect(year(2026).map(\.completions).reduce(0, +) > 0, "the history runs on to today")

        let rated = Dictionary(grouping: province.units, by: \.rating).mapValues(\.count)
        #expect(rated[.suitable] == 20_000 * 25 / 145 && rated[.difficult] == 20_000 * 64 / 145)
        #expect(rated.values.reduce(0, +) == 20_000)
        #expect(Set(province.units.map(\.estate.id)).count == 1_850)
        let districts = Set(names.map(\.code).filter { $0.count == 6 })
        #expect(districts.count == 122 && Set(province.units.map(\.region)) == districts, "every district of Hunan has units")
        #expect(province.units.allSatisfy { $0.areaCode.count == 12 && $0.areaCode.hasPrefix($0.region) && $0.households > 0 })
        let codes = Set(province.places.map(\.code))
        #expect(province.units.allSatisfy { codes.contains($0.areaCode) && codes.contains(String($0.areaCode.prefix(9))) })
        // Elevators stand on units that reached service, on the day of their registration.
        let units = Dictionary(uniqueKeysWithValues: province.units.map { ($0.unitID, $0) })
        #expect(province.elevators.count > 5_000)
        #expect(province.elevators.allSatisfy { units[$0.unitID]?.stage == .inService && $0.commissionedOn <= Self.today })
        #expect(province.steps.allSatisfy { $0.date <= Self.today })
    }

    @Test("the province imports into LiftWatch (units, elevators, steps, targets) and its report counts the generated history")
    func importsAndReports() throws {
        let names = try Self.names()
        let today = CivilDate("2018-07-31")!
        let province = ProvinceGenerator(names: names, unitCount: 3_000, estateCount: 300, seed: 5, today: today)
        let database = try LiftDatabase(path: try Self.temporaryPath("province.sqlite"))
        let now = CivilDate("2018-08-01")!.startEpochMs
        try database.programme.setNames(try ProgrammeCSV.names(province.placesCSV))
        let csv = RegistryCSV(database: database)
        #expect(try csv.importUnits(province.unitsCSV, at: now, by: "test").created == 3_000)
        #expect(try csv.importElevators(province.elevatorsCSV, at: now, by: "test").errors.isEmpty)
        let steps = try ImportCommand.importSteps(province.stepsJSONL, database: database, at: now, by: "test", progress: { _, _ in })
        #expect(steps.errors.isEmpty && steps.created == province.steps.count && steps.created > 500, "\(steps.errors.prefix(3))")
        try database.programme.setTargets(try ProgrammeCSV.targets(province.targetsCSV), by: "test", at: now)

        let report = try database.programme.report(prefix: "43", year: 2018, month: 7)
        let done = province.actual.values.compactMap { $0[2018] }
        #expect(report.yearToDate.approvals == done.map(\.approvals).reduce(0, +))
        #expect(report.yearToDate.constructionStarts == done.map(\.starts).reduce(0, +))
        #expect(report.yearToDate.completions == done.map(\.completions).reduce(0, +))
        #expect(report.yearToDate.approvals == 1_300 * 7 / 36, "seven months of the 2018–2020 quota")
        #expect(report.unitsTotal == 3_000 && report.ranking.count == 14 && report.place.name == "湖南省")
        // Every unit that was approved moved on with its steps, and imported again nothing changes.
        let again = try ImportCommand.importSteps(province.stepsJSONL, database: database, at: now + 1, by: "test", progress: { _, _ in })
        #expect(again.unchanged == province.steps.count && again.created == 0)
    }

    @Test("a steps file with bad lines: each is named with its line and reason, the good ones go in")
    func badStepLines() throws {
        let database = try LiftDatabase(path: try Self.temporaryPath("steps.sqlite"))
        let now = CivilDate("2026-12-01")!.startEpochMs
        try database.upsertUnit(UnitRecord(unitID: "U1", region: "430102", rating: .suitable, households: 12), at: now, by: "test")
        let file = """
            {"unit_id":"U1","kind":"owners_vote","date":"2026-09-01","vote":{"owners_total":12,"owners_participating":10,"owners_consenting":9,"area_total_m2":1000,"area_participating_m2":850,"area_consenting_m2":760}}
            {"unit_id":"U1","kind":"joint_approval","date":"2026-10-12"}
            not json at all

            {"unit_id":"NOPE","kind":"application","date":"2026-10-01"}
            {"kind":"application","date":"2026-10-01"}
            {"unit_id":"U1","kind":"construction_start","date":"2027-01-01"}
            {"unit_id":"U1","kind":"joint_approval","date":"2026-10-12","number":"长芙联审〔2026〕21号"}
            """
        let report = try ImportCommand.importSteps(file, database: database, at: now, by: "test", progress: { _, _ in })
        #expect(report.created == 2 && report.rows == 7)
        #expect(report.errors.map(\.line) == [2, 3, 5, 6, 7], "\(report.errors)")
        #expect(report.errors[0].reason.contains("number"))
        #expect(report.errors[2].reason.contains("no unit \"NOPE\""))
        #expect(report.errors[4].reason.contains("future"), "\(report.errors[4].reason)")
        #expect(try database.unit("U1")?.stage == .approved, "the vote and the approval moved the unit on")
        // Windows line endings; a number hiding a bidirectional override; a second, different vote on the same day.
        let crlf = [
            #"{"unit_id":"U1","kind":"application","date":"2026-10-02","number":"申2026-1"}"#,
            "{\"unit_id\":\"U1\",\"kind\":\"application\",\"date\":\"2026-10-03\",\"number\":\"申\u{202E}1-6202\"}",
            #"{"unit_id":"U1","kind":"owners_vote","date":"2026-09-01","vote":{"owners_total":12,"owners_participating":12,"owners_consenting":12,"area_total_m2":1000,"area_participating_m2":1000,"area_consenting_m2":1000}}"#,
        ].joined(separator: "\r\n") + "\r\n"
        let second = try ImportCommand.importSteps(crlf, database: database, at: now, by: "test", progress: { _, _ in })
        #expect(second.rows == 3 && second.created == 2 && second.errors.map(\.line) == [2], "\(second.errors)")
        #expect(second.errors.first?.reason.contains("format") == true)
    }
}
