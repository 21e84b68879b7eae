import ArgumentParser
import Foundation
import LiftCore
import LiftStore

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import building units or elevators from CSV (spec section 10 columns).",
        discussion: """
            Every bad row is reported with its line number and reason while the good rows go in; the exit status \
            is 1 when any row was refused. Importing the same file again creates no duplicates and applies changes: \
            a later stage is recorded as dated moves along the lifecycle, a new contractor as a new contract.
              units:     unit_id,region,address,lat,lon,floors,rating,stage
              elevators: elevator_id,unit_id,region,contractor_id,commissioned_on,stage,on_demand,platform
            Import units before the elevators that name them.
            """,
        subcommands: [Units.self, Elevators.self])

    enum Kind { case units, elevators }

    static func run(_ kind: Kind, file: String, options: ConfigurationOptions, quiet: Bool) async throws {
        let configuration = try await options.load()
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw CommandFailure("cannot read \(file): \(error.localizedDescription)")
        }
        let database = try LiftDatabase(path: configuration.database.path)
        let csv = RegistryCSV(database: database, platforms: Set((try? FaultCodeMap.loadDirectory(configuration.faultCodesDirectory))?.keys.map { $0 } ?? ["default"]))
        let started = Date()
        var lastShown = Date.distantPast
        let progress: (Int, Int) -> Void = { done, total in
            guard !quiet, Date().timeIntervalSince(lastShown) > 0.5 || done == total else { return }
            lastShown = Date()
            printError("  \(done)/\(total) rows (\(total == 0 ? 100 : done * 100 / total) %)")
        }
        let actor = "import:\((file as NSString).lastPathComponent)"
        let now = EpochClock.system.now()
        let report = try reportingRegistryErrors {
            switch kind {
            case .units: try csv.importUnits(text, at: now, by: actor, progress: progress)
            case .elevators: try csv.importElevators(text, at: now, by: actor, progress: progress)
            }
        }
        for error in report.errors { printError("\(file):\(error.line): \(error.reason)") }
        print("\(file): \(report.rows) rows: \(report.created) created, \(report.updated) updated, \(report.unchanged) unchanged, \(report.errors.count) refused (\(String(format: "%.1f", Date().timeIntervalSince(started))) s)")
        if !report.errors.isEmpty { throw ExitCode(1) }
    }

    struct Units: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import building units: unit_id,region,address,lat,lon,floors,rating,stage.")
        @OptionGroup var options: ConfigurationOptions
        @Flag(help: "No progress lines.") var quiet = false
        @Argument(help: ArgumentHelp("CSV file with a header row.", valueName: "file")) var file: String
        func run() async throws { try await ImportCommand.run(.units, file: file, options: options, quiet: quiet) }
    }

    struct Elevators: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import elevators: elevator_id,unit_id,region,contractor_id,commissioned_on,stage,on_demand,platform.")
        @OptionGroup var options: ConfigurationOptions
        @Flag(help: "No progress lines.") var quiet = false
        @Argument(help: ArgumentHelp("CSV file with a header row.", valueName: "file")) var file: String
        func run() async throws { try await ImportCommand.run(.elevators, file: file, options: options, quiet: quiet) }
    }
}
