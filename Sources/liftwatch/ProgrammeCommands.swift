import ArgumentParser
import Foundation
import LiftAPI
import LiftCore
import LiftStore

/// `liftwatch progress`: the retrofit programme's monthly dispatch, as the API gives it.
struct ProgressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "progress",
        abstract: "Print or export the retrofit programme's monthly progress (月度调度) for a place, against its annual targets.",
        discussion: """
            The same report as GET /api/v1/progress: units by rating; approvals, construction starts, completions and \
            elevators put in service this month, this year and in all; households benefited; subsidies granted; shares of \
            the year's targets; and the ranking of the places one level down. Definitions: docs/programme.md. Examples:
              liftwatch progress --region 43 --year 2026 --month 11
              liftwatch progress --region 4301 --format csv -o changsha-2026-11.csv
            """)

    @OptionGroup var options: ConfigurationOptions
    @Option(help: ArgumentHelp("Place: 2, 4, 6, 9 or 12 digits (province … community); default everything.", valueName: "code")) var region: String?
    @Option(help: "Year; default this year (Beijing time).") var year: Int?
    @Option(help: "Month 1…12; default this month (December for an earlier year).") var month: Int?
    @Option(help: "json or csv.") var format = "json"
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write to this file instead of standard output.", valueName: "path"))
    var output: String?

    func validate() throws {
        if let region, !Identifier.isValidPlacePrefix(region) { throw ValidationError("--region must be a place code of 2, 4, 6, 9 or 12 digits, got \"\(region)\"") }
        if let year, !(2000...2100).contains(year) { throw ValidationError("--year must be 2000…2100, got \(year)") }
        if let month, !(1...12).contains(month) { throw ValidationError("--month must be 1…12, got \(month)") }
        guard ["json", "csv"].contains(format) else { throw ValidationError("--format must be json or csv, got \"\(format)\"") }
    }

    func run() async throws {
        let database = try LiftDatabase(path: try await options.load().database.path)
        let today = CivilDate(epochMs: EpochClock.system.now())
        let year = self.year ?? today.year
        let report = try reportingRegistryErrors {
            try database.programme.report(prefix: region ?? "", year: year, month: month ?? (year == today.year ? today.month : 12))
        }
        try writeOutput(format == "csv" ? ProgressCSV.render(report) : String(decoding: try ProgressCSV.json(report), as: UTF8.self) + "\n", to: output)
    }
}

/// `liftwatch targets`: the programme's annual targets per city and district.
struct TargetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "targets", abstract: "Import and list the programme's annual targets per city and district.",
        subcommands: [Import.self, List.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set targets from a CSV file: year,place,approvals,construction_starts,completions (a value may be empty).",
            discussion: "A place's row replaces its earlier targets for that year. A bad row refuses the whole file.")
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: ArgumentHelp("The CSV file.", valueName: "file")) var file: String

        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            let text = try readText(file)
            let targets = try reportingRegistryErrors { try ProgrammeCSV.targets(text) }
            try reportingRegistryErrors { try database.programme.setTargets(targets, by: cliActor, at: EpochClock.system.now()) }
            printError("\(targets.count) targets set")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a year's targets as CSV.")
        @OptionGroup var options: ConfigurationOptions
        @Option(help: "The year.") var year: Int

        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            let rows = try database.programme.targets(year: year).map { t in
                [String(t.year), t.place] + [t.approvals, t.constructionStarts, t.completions].map { $0.map(String.init) ?? "" }
            }
            try writeOutput(([ProgrammeCSV.targetColumns] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n", to: nil)
        }
    }
}

/// `liftwatch places`: names of places for reports and pages.
struct PlacesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "places", abstract: "Name provinces, cities, districts, streets and communities (CSV: code,name).",
        subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import place names from a CSV file with columns code,name.",
            discussion: "config/places/hunan.csv names Hunan's 14 cities and their districts.")
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: ArgumentHelp("The CSV file.", valueName: "file")) var file: String

        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            let names = try reportingRegistryErrors { try ProgrammeCSV.names(try readText(file)) }
            try reportingRegistryErrors { try database.programme.setNames(names) }
            printError("\(names.count) places named")
        }
    }
}

/// `liftwatch project`: a unit's elevator project record.
struct ProjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project", abstract: "Show and record a unit's elevator project (加装项目): steps, vote, documents, funding.",
        subcommands: [Show.self, Record.self, Attach.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a unit's project record as JSON (as GET /api/v1/units/{id}/project).")
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: ArgumentHelp("The unit.", valueName: "unit-id")) var unit: String

        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            let json: Data
            do { json = try ProgrammeInput.projectJSON(unitID: unit, database: database) } catch let error as APIError {
                throw CommandFailure(error.message)
            }
            try writeOutput(String(decoding: json, as: UTF8.self) + "\n", to: nil)
        }
    }

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a dated step; the unit's stage moves on as its steps allow.",
            discussion: """
                The step as the API takes it (docs/programme.md), for example:
                  liftwatch project record U-0001 '{"kind":"joint_approval","date":"2026-10-12","number":"长芙联审〔2026〕21号"}'
                  liftwatch project record U-0001 '{"kind":"owners_vote","date":"2026-09-01","vote":{"owners_total":14, \
                "owners_participating":12,"owners_consenting":10,"area_total_m2":1260.5,"area_participating_m2":1080.25, \
                "area_consenting_m2":900}}'
                """)
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: ArgumentHelp("The unit.", valueName: "unit-id")) var unit: String
        @Argument(help: ArgumentHelp("The step as JSON.", valueName: "json")) var step: String

        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            let parsed: ProjectStep
            do { parsed = try ProgrammeInput.step(json: Data(step.utf8), unitID: unit) } catch let error as APIError {
                throw CommandFailure(error.message)
            }
            let (stored, moves) = try reportingRegistryErrors { try database.projects.record(parsed, by: cliActor, at: EpochClock.system.now()) }
            printError("step \(stored.id) recorded (\(stored.kind.chineseName))" + (moves.last.map { "; stage now \($0.to.rawValue)" } ?? ""))
        }
    }

    struct Attach: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Attach a PDF, JPEG or PNG (at most 10 MiB) to a unit's record.")
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: ArgumentHelp("The unit.", valueName: "unit-id")) var unit: String
        @Argument(help: ArgumentHelp("The file.", valueName: "file")) var file: String
        @Option(help: "The step it belongs to.") var step: Int64?
        @Option(help: "The name to show; default the file's name.") var name: String?

        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure("cannot read \(file)") }
            let content = [UInt8](data)
            guard let type = ProjectRecords.mediaType(of: content) else { throw CommandFailure("\(file) is not a PDF, JPEG or PNG") }
            let document = try reportingRegistryErrors {
                try database.projects.attach(
                    unitID: unit, stepID: step, name: name ?? URL(fileURLWithPath: file).lastPathComponent, mediaType: type, content: content,
                    by: cliActor, at: EpochClock.system.now())
            }
            print(document.sha256)
        }
    }
}

/// The text of `path`, or a clear failure.
func readText(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read \(path)") }
    return String(decoding: data, as: UTF8.self)
}
