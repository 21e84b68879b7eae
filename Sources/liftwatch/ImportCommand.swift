import ArgumentParser
import Foundation
import LiftAPI
import LiftCore
import LiftStore

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import building units or elevators from CSV (spec section 10 columns), or project steps from JSON Lines.",
        discussion: """
            Every bad row is reported with its line number and reason while the good rows go in; the exit status \
            is 1 when any row was refused. Importing the same file again creates no duplicates and applies changes: \
            a later stage is recorded as dated moves along the lifecycle, a new contractor as a new contract.
              units:     unit_id,region,address,lat,lon,floors,rating,stage
                         [,area_code,estate_id,estate_name,building,unit_no,households]
              elevators: elevator_id,unit_id,region,contractor_id,commissioned_on,stage,on_demand,platform
              steps:     one JSON object per line: unit_id and the step as POST /units/{id}/project/steps takes it
            Import units before the elevators and steps that name them.
            """,
        subcommands: [Units.self, Elevators.self, Steps.self])

    enum Kind { case units, elevators, steps }

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
            case .steps: try importSteps(text, database: database, at: now, by: actor, progress: progress)
            }
        }
        for error in report.errors { printError("\(file):\(error.line): \(error.reason)") }
        print("\(file): \(report.rows) rows: \(report.created) created, \(report.updated) updated, \(report.unchanged) unchanged, \(report.errors.count) refused (\(String(format: "%.1f", Date().timeIntervalSince(started))) s)")
        if !report.errors.isEmpty { throw ExitCode(1) }
    }

    /// Steps from JSON Lines: a line that is not a step is reported with its number, like a bad row.
    static func importSteps(_ text: String, database: LiftDatabase, at now: Int64, by actor: String, progress: @escaping (Int, Int) -> Void) throws -> ImportReport {
        var steps: [(line: Int, step: ProjectStep)] = []
        var unreadable: [ImportReport.RowError] = []
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            struct Subject: Decodable { var unitID: String; enum CodingKeys: String, CodingKey { case unitID = "unit_id" } }
            let data = Data(line.utf8)
            do {
                let unit = try JSONDecoder().decode(Subject.self, from: data).unitID
                steps.append((index + 1, try ProgrammeInput.step(json: data, unitID: unit)))
            } catch let error as APIError {
                unreadable.append(.init(line: index + 1, reason: error.message))
            } catch {
                unreadable.append(.init(line: index + 1, reason: "not a step with a unit_id: \(error)"))
            }
        }
        var report = try database.projects.importSteps(steps, by: actor, at: now, progress: progress)
        report.rows += unreadable.count
        report.errors = (report.errors + unreadable).sorted { $0.line < $1.line }
        return report
    }

    struct Steps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import project steps: JSON Lines, each {\"unit_id\": …, \"kind\": …, \"date\": …, …} as the API takes a step.",
            discussion: "Steps already on record are left as they are; units move on as their steps allow. docs/programme.md.")
        @OptionGroup var options: ConfigurationOptions
        @Flag(help: "No progress lines.") var quiet = false
        @Argument(help: ArgumentHelp("JSON Lines file.", valueName: "file")) var file: String
        func run() async throws { try await ImportCommand.run(.steps, file: file, options: options, quiet: quiet) }
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
