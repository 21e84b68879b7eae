import ArgumentParser
import LiftCore
import LiftStore

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export building units or elevators as CSV, in the columns `import` reads.",
        subcommands: [Units.self, Elevators.self])

    /// What both exports take: a region prefix and where to write.
    struct Options: ParsableArguments {
        @OptionGroup var configuration: ConfigurationOptions
        @Option(help: ArgumentHelp("Only this place prefix (2, 4, 6, 9 or 12 digits).", valueName: "prefix")) var region: String?
        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var output: String?

        func validate() throws {
            if let region, !Identifier.isValidPlacePrefix(region) { throw ValidationError("--region must be a place code of 2, 4, 6, 9 or 12 digits, got \"\(region)\"") }
        }

        func export(_ body: (RegistryCSV, String?) throws -> String) async throws {
            let database = try LiftDatabase(path: try await configuration.load().database.path)
            try writeOutput(try body(RegistryCSV(database: database), region), to: output)
        }
    }

    struct Units: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export building units.")
        @OptionGroup var options: Options
        func run() async throws { try await options.export { try $0.exportUnits(regionPrefix: $1) } }
    }

    struct Elevators: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export elevators.")
        @OptionGroup var options: Options
        func run() async throws { try await options.export { try $0.exportElevators(regionPrefix: $1) } }
    }
}
