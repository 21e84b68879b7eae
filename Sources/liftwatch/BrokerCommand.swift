import ArgumentParser
import Foundation
import LiftCore
import LiftStore

/// `liftwatch broker acl`: the production broker's ACL, generated from the registry.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker", abstract: "Production broker material generated from the registry.", subcommands: [ACL.self])

    struct ACL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "acl",
            abstract: "Write mosquitto's ACL: each elevator may publish only under its own lift/{region}/{elevator_id}/.",
            discussion: """
                Usernames are elevator ids and contractor ids; give each a password with `mosquitto_passwd`. \
                See config/mosquitto-production.conf and docs/reliability.md. Regenerate after registering elevators, \
                then send mosquitto SIGHUP to reload it.
                """)

        @OptionGroup var options: ConfigurationOptions
        @Option(help: "LiftWatch's own broker username (broker.username).") var serviceUser: String?
        @Option(help: ArgumentHelp("Write the ACL here instead of standard output.", valueName: "file")) var output: String?

        func run() async throws {
            let configuration = try await options.load()
            let database = try LiftDatabase(path: configuration.database.path)
            let elevators = try database.elevators().filter { $0.stage != LifecycleStage.decommissioned.rawValue }
            let acl = BrokerACL(
                serviceUser: serviceUser ?? (configuration.broker.username.isEmpty ? "liftwatch" : configuration.broker.username),
                elevators: elevators.map { .init(elevatorID: $0.elevatorID, region: $0.region) },
                contractors: elevators.compactMap(\.contractorID))
            let text = acl.render(generatedAt: ISO8601DateFormatter().string(from: Date()))
            if let output {
                do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                    throw ValidationError("cannot write \(output): \(error.localizedDescription)")
                }
                FileHandle.standardError.write(Data("wrote the ACL of \(elevators.count) elevators to \(output)\n".utf8))
            } else {
                print(text, terminator: "")
            }
        }
    }
}
