import ArgumentParser
import Foundation
import LiftCore

struct CityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "city",
        abstract: "Generate a city registry (Changsha's districts) as units.csv and elevators.csv for `liftwatch import`.",
        discussion: """
            Ratings follow the Hunan survey (about 17 % suitable, 44 % difficult, 39 % unsuitable); elevators stand on \
            most suitable and a quarter of the difficult units, at every lifecycle stage, commissioned over the last \
            seven years; coordinates fall inside each district's outline. The same --seed gives the same files.
            Example: liftsim city --units 3000 --seed 1 --output var/city && \
            liftwatch import units var/city/units.csv && liftwatch import elevators var/city/elevators.csv
            """)

    @Option(help: "Building units to generate.") var units = 3000
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("The registry's today, YYYY-MM-DD (default: today).", valueName: "date")) var today: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("Directory to write units.csv and elevators.csv into.", valueName: "dir")) var output = "."

    func validate() throws {
        guard (1...1_000_000).contains(units) else { throw ValidationError("--units must be 1…1,000,000") }
        if let today, CivilDate(today) == nil { throw ValidationError("--today must be YYYY-MM-DD, got \"\(today)\"") }
    }

    func run() throws {
        let day = today.flatMap(CivilDate.init) ?? CivilDate(epochMs: EpochClock.system.now())
        let city = CityGenerator(unitCount: units, seed: seed, today: day)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try city.unitsCSV.write(toFile: "\(output)/units.csv", atomically: true, encoding: .utf8)
        try city.elevatorsCSV.write(toFile: "\(output)/elevators.csv", atomically: true, encoding: .utf8)
        let rated = Dictionary(grouping: city.units, by: \.rating).mapValues(\.count)
        print("\(output)/units.csv: \(city.units.count) units (suitable \(rated[.suitable] ?? 0), difficult \(rated[.difficult] ?? 0), unsuitable \(rated[.unsuitable] ?? 0))")
        let staged = Dictionary(grouping: city.elevators, by: \.stage).mapValues(\.count)
        print("\(output)/elevators.csv: \(city.elevators.count) elevators (\(LifecycleStage.allCases.compactMap { s in staged[s].map { "\(s.rawValue) \($0)" } }.joined(separator: ", ")))")
    }
}
