import ArgumentParser
import Foundation
import LiftCore

struct ProvinceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "province",
        abstract: "Generate Hunan's retrofit programme at full size: places, units, elevators, project steps and targets.",
        discussion: """
            The 14 cities and 122 districts with their real codes (from --places), generated streets and communities, \
            146,000 units in 13,500 estates rated as the survey found (25,000 suitable, 64,000 difficult, 56,000 \
            unsuitable of 145,000), and a programme history from 2018 whose 2021 is the province's report of January \
            2022 (3,825 joint approvals, 1,998 construction starts, 1,282 completions). Writes places.csv, units.csv, \
            elevators.csv, steps.jsonl and targets.csv. The same --seed gives the same files. To load them:
              liftsim province --output var/province
              liftwatch places import var/province/places.csv
              liftwatch import units var/province/units.csv
              liftwatch import elevators var/province/elevators.csv
              liftwatch import steps var/province/steps.jsonl
              liftwatch targets import var/province/targets.csv
            """)

    @Option(help: "Building units to generate.") var units = 146_000
    @Option(help: "Estates (小区) they stand in.") var estates = 13_500
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("The programme's today, YYYY-MM-DD (default: today).", valueName: "date")) var today: String?
    @Option(help: ArgumentHelp("The province's cities and districts, code,name.", valueName: "file")) var places = "config/places/hunan.csv"
    @Option(name: .shortAndLong, help: ArgumentHelp("Directory to write the files into.", valueName: "dir")) var output = "."

    func validate() throws {
        guard (100...2_000_000).contains(units) else { throw ValidationError("--units must be 100…2,000,000") }
        guard (10...units).contains(estates) else { throw ValidationError("--estates must be 10…--units") }
        if let today, CivilDate(today) == nil { throw ValidationError("--today must be YYYY-MM-DD, got \"\(today)\"") }
    }

    func run() throws {
        let day = today.flatMap(CivilDate.init) ?? CivilDate(epochMs: EpochClock.system.now())
        guard let text = FileManager.default.contents(atPath: places).map({ String(decoding: $0, as: UTF8.self) }) else {
            throw ValidationError("cannot read --places \(places) (run from the repository, or give the file)")
        }
        let names = text.split(separator: "\n").dropFirst().compactMap { line -> (code: String, name: String)? in
            let parts = line.split(separator: ",", maxSplits: 1)
            return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        }
        let province = ProvinceGenerator(names: names, unitCount: units, estateCount: estates, seed: seed, today: day)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        for (file, content) in [
            ("places.csv", province.placesCSV), ("units.csv", province.unitsCSV), ("elevators.csv", province.elevatorsCSV),
            ("steps.jsonl", province.stepsJSONL), ("targets.csv", province.targetsCSV),
        ] {
            try content.write(toFile: "\(output)/\(file)", atomically: true, encoding: .utf8)
        }
        let rated = Dictionary(grouping: province.units, by: \.rating).mapValues(\.count)
        print("\(output): \(province.places.count) places, \(province.units.count) units in \(Set(province.units.map(\.estate.id)).count) estates "
            + "(suitable \(rated[.suitable] ?? 0), difficult \(rated[.difficult] ?? 0), unsuitable \(rated[.unsuitable] ?? 0)), "
            + "\(province.elevators.count) elevators, \(province.steps.count) project steps, \(province.targets.count) targets")
        for year in min(2021, day.year)...day.year {
            let done = province.actual.values.compactMap { $0[year] }
            print("  \(year): \(done.map(\.approvals).reduce(0, +)) joint approvals, \(done.map(\.starts).reduce(0, +)) construction starts, "
                + "\(done.map(\.completions).reduce(0, +)) completions")
        }
    }
}
