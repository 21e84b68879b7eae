import ArgumentParser
import LiftCore
import LiftStore

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export building units or elevators as CSV, in the columns `import` reads.",
        subcommands: [Units.self, Elevators.self])

    struct Units: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export building units.")
        @OptionGroup var options: ConfigurationOptions
        @Option(help: ArgumentHelp("Only this region prefix (2, 4 or 6 digits).", valueName: "prefix")) var region: String?
        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var output: String?
        func validate() throws {
            if let region, !Identifier.isValidRegionPrefix(region) { throw ValidationError("--region must be 2, 4 or 6 digits, got \"\(region)\"") }
        }
        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            try writeOutput(try RegistryCSV(database: database).exportUnits(regionPrefix: region), to: output)
        }
    }

    struct Elevators: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export elevators.")
        @OptionGroup var options: ConfigurationOptions
        @Option(help: ArgumentHelp("Only this region prefix (2, 4 or 6 digits).", valueName: "prefix")) var region: String?
        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var output: String?
        func validate() throws {
            if let region, !Identifier.isValidRegionPrefix(region) { throw ValidationError("--region must be 2, 4 or 6 digits, got \"\(region)\"") }
        }
        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            try writeOutput(try RegistryCSV(database: database).exportElevators(regionPrefix: region), to: output)
        }
    }
}
