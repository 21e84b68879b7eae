import ArgumentParser
import LiftCore
import LiftStore

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "API tokens: create one (shown once; only its hash is stored) or revoke one.",
        subcommands: [Create.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it once.",
            discussion: """
                admin: everything. regulator: read-only within --region PREFIX. officer (a street or community office): \
                reads what a regulator of its --region PREFIX reads and records the retrofit programme's steps of the units \
                inside it. contractor: its own elevators and tickets (--contractor ID), and the ticket steps.
                property_manager: its own elevators and tickets, the answer to their rescue calls, its duties and
                hazards (--manager ID, created first with PUT /api/v1/property-managers/ID).
                PREFIX is a place code: 2, 4, 6, 9 or 12 digits (province, city, district, street, community).
                Example: liftwatch tokens create --role regulator --region 4301 --label "Changsha bureau"
                         liftwatch tokens create --role officer --region 430102001 --label "文艺路街道"
                """)
        @OptionGroup var options: ConfigurationOptions
        @Option(help: "admin, regulator, officer, contractor or property_manager.") var role: String
        @Option(help: ArgumentHelp("Place prefix of a regulator or officer.", valueName: "prefix")) var region: String?
        @Option(help: ArgumentHelp("Contractor id of a contractor.", valueName: "id")) var contractor: String?
        @Option(help: ArgumentHelp("Property manager id of a property_manager.", valueName: "id")) var manager: String?
        @Option(help: "A note saying whose token it is.") var label = ""

        func validate() throws {
            guard Role(rawValue: role) != nil else { throw ValidationError("--role must be admin, regulator, officer, contractor or property_manager, got \"\(role)\"") }
        }

        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            var random = SystemRandomNumberGenerator()
            let (id, token) = try reportingRegistryErrors {
                try database.createToken(
                    role: Role(rawValue: role)!, regionPrefix: region, contractorID: contractor, managerID: manager, label: label, at: EpochClock.system.now(), by: cliActor,
                    using: &random)
            }
            printError("token \(id) (\(role)\(region.map { " \($0)" } ?? "")\(contractor.map { " \($0)" } ?? "")\(manager.map { " \($0)" } ?? "")); it is not shown again:")
            print(token)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id.")
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: "Token id (as printed when it was created).") var id: Int64
        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            try reportingRegistryErrors { try database.revokeToken(id, at: EpochClock.system.now(), by: cliActor) }
            print("token \(id) revoked")
        }
    }
}
