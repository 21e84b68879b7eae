import ArgumentParser
import Foundation
import LiftCore
import LiftStore

struct ElevatorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elevators", abstract: "Register and list elevators.",
        subcommands: [Register.self, List.self])

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register elevators (or update them): their messages are accepted from then on.",
            discussion: "Example: liftwatch elevators register --region 430102 --contractor C-01 E-0001 E-0002")

        @OptionGroup var options: ConfigurationOptions

        @Option(help: ArgumentHelp("6-digit region code of the elevators.", valueName: "code"))
        var region: String

        @Option(help: ArgumentHelp("Maintenance contractor id.", valueName: "id"))
        var contractor: String?

        @Option(help: ArgumentHelp("Building unit id (one elevator per unit: only with a single elevator id).", valueName: "id"))
        var unit: String?

        @Option(help: ArgumentHelp("Fault-code platform (a map in config/fault-codes).", valueName: "name"))
        var platform = "default"

        @Option(help: ArgumentHelp("Commissioning date, YYYY-MM-DD.", valueName: "date"))
        var commissioned: String?

        @Argument(help: ArgumentHelp("Elevator registration codes.", valueName: "elevator-id"))
        var elevatorIDs: [String]

        func validate() throws {
            guard Identifier.isValidRegion(region) else { throw ValidationError("--region must be 6 digits, got \"\(region)\"") }
            guard !elevatorIDs.isEmpty else { throw ValidationError("give at least one elevator id") }
            for id in elevatorIDs where !Identifier.isValidID(id) {
                throw ValidationError("elevator id \"\(id)\" is not [A-Za-z0-9_-]{1,64}")
            }
            if unit != nil && elevatorIDs.count > 1 { throw ValidationError("--unit names one unit: register one elevator with it") }
            if let commissioned, commissioned.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) == nil {
                throw ValidationError("--commissioned must be YYYY-MM-DD, got \"\(commissioned)\"")
            }
        }

        func run() async throws {
            let configuration = try await options.load()
            let database = try LiftDatabase(path: configuration.database.path)
            let now = EpochClock.system.now()
            try database.registerElevators(elevatorIDs.map {
                ElevatorRegistration(
                    elevatorID: $0, unitID: unit, region: region, contractorID: contractor, commissionedOn: commissioned, platform: platform)
            }, at: now, by: cliActor)
            print("registered \(elevatorIDs.count) elevator(s) in region \(region)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered elevators with their connectivity and ingestion counters.")

        @OptionGroup var options: ConfigurationOptions

        func run() async throws {
            let configuration = try await options.load()
            let database = try LiftDatabase(path: configuration.database.path)
            let elevators = try database.elevators()
            print("elevator_id        region  contractor  online  last_seen                 received  dup  rejected  gaps  lost")
            for elevator in elevators {
                let counters = try database.ingestCounters(elevator.elevatorID)
                let seen = elevator.lastSeen.map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double($0) / 1000)) } ?? "never"
                print(
                    elevator.elevatorID.padding(toLength: 18, withPad: " ", startingAt: 0), elevator.region,
                    (elevator.contractorID ?? "-").padding(toLength: 11, withPad: " ", startingAt: 0),
                    (elevator.online ? "yes" : "no").padding(toLength: 7, withPad: " ", startingAt: 0),
                    seen.padding(toLength: 25, withPad: " ", startingAt: 0),
                    String(counters?.received ?? 0).padding(toLength: 9, withPad: " ", startingAt: 0),
                    String(counters?.duplicates ?? 0).padding(toLength: 4, withPad: " ", startingAt: 0),
                    String(counters?.rejected ?? 0).padding(toLength: 9, withPad: " ", startingAt: 0),
                    String(counters?.gaps ?? 0).padding(toLength: 5, withPad: " ", startingAt: 0),
                    counters?.lost ?? 0)
            }
            print("\(elevators.count) elevator(s)")
        }
    }
}
