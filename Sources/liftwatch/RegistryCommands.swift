import ArgumentParser
import Foundation
import LiftCore
import LiftStore

struct StageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stage",
        abstract: "Move an elevator's (or a unit's) lifecycle stage, or show its history.",
        discussion: """
            Stages: surveyed → approved → under_construction → accepted → registered → in_service ⇄ suspended → \
            decommissioned. An impossible move is refused with the moves allowed; an administrator may force one \
            with --force --reason "…", which is recorded with the move and in the audit log.
            """,
        subcommands: [Set.self, History.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move to a stage. Example: liftwatch stage set E-0001 suspended")
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: ArgumentHelp("An elevator_id or unit_id.", valueName: "id")) var id: String
        @Argument(help: ArgumentHelp("The stage to move to.", valueName: "stage")) var stage: String
        @Flag(help: "Force a move the lifecycle does not allow (needs --reason).") var force = false
        @Option(help: ArgumentHelp("Why the move is forced.", valueName: "text")) var reason: String?
        func validate() throws {
            guard LifecycleStage(rawValue: stage) != nil else { throw ValidationError("stage \"\(stage)\" is not one of \(LifecycleStage.allNames)") }
            if force && (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--force needs --reason \"…\"") }
            if !force && reason != nil { throw ValidationError("--reason goes with --force") }
        }
        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            let moves = try reportingRegistryErrors {
                try database.moveStage(id, to: LifecycleStage(rawValue: stage)!, at: EpochClock.system.now(), by: cliActor, forcedReason: force ? reason : nil)
            }
            if moves.isEmpty { print("\(id) is already \(stage)") }
            for move in moves { print("\(id): \(move.from.rawValue) → \(move.to.rawValue)\(move.forced ? " (forced: \(move.reason ?? ""))" : "")") }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the dated stage changes of an elevator or unit.")
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: ArgumentHelp("An elevator_id or unit_id.", valueName: "id")) var id: String
        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            var history = try database.stageHistory(elevatorID: id)
            if history.isEmpty { history = try database.stageHistory(unitID: id) }
            guard !history.isEmpty else { throw CommandFailure("no stage history for \"\(id)\"") }
            for change in history {
                print(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(change.at) / 1000)),
                      "\(change.from?.rawValue ?? "—") → \(change.to.rawValue)", change.actor,
                      change.forced ? "forced: \(change.reason ?? "")" : "")
            }
        }
    }
}

struct ContractsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contracts",
        abstract: "Hand an elevator's maintenance to a contractor, or show who maintained it when.",
        subcommands: [Assign.self, List.self])

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The current contract ends and the new one starts. Example: liftwatch contracts assign E-0001 C-02 --from 2026-12-01")
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: ArgumentHelp("Elevator registration code.", valueName: "elevator-id")) var elevatorID: String
        @Argument(help: ArgumentHelp("Contractor id, or `none` to end the current contract.", valueName: "contractor-id")) var contractorID: String
        @Option(help: ArgumentHelp("First day of the new contract, YYYY-MM-DD (UTC+8); default now.", valueName: "date")) var from: String?
        func validate() throws {
            if let from, CivilDate(from) == nil { throw ValidationError("--from must be a date YYYY-MM-DD, got \"\(from)\"") }
        }
        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            let now = EpochClock.system.now()
            let start = from.flatMap(CivilDate.init)?.startEpochMs ?? now
            try reportingRegistryErrors {
                try database.assignContractor(contractorID == "none" ? nil : contractorID, to: elevatorID, from: start, at: now, by: cliActor)
            }
            print("\(elevatorID): maintained by \(contractorID) from \(from ?? "now")")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The contract history of an elevator.")
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: ArgumentHelp("Elevator registration code.", valueName: "elevator-id")) var elevatorID: String
        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            guard try database.elevator(elevatorID) != nil else { throw CommandFailure("no elevator \"\(elevatorID)\"") }
            for contract in try database.contracts(of: elevatorID) {
                print(contract.contractorID, CivilDate(epochMs: contract.startsAt), "…", contract.endsAt.map { "\(CivilDate(epochMs: $0))" } ?? "current")
            }
        }
    }
}

struct TerminalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terminals",
        abstract: "Record a replaced controller or IoT terminal; the elevator keeps its identity and history.",
        discussion: """
            Record the replacement before the new terminal connects: its messages, numbered from 1 again, are stored \
            after everything the elevator sent before instead of being taken for duplicates.
            """,
        subcommands: [Replace.self, List.self])

    struct Replace: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Example: liftwatch terminals replace E-0001 T-9F2 --note \"lightning damage\"")
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: ArgumentHelp("Elevator registration code.", valueName: "elevator-id")) var elevatorID: String
        @Argument(help: ArgumentHelp("The new terminal's id (serial number).", valueName: "terminal-id")) var terminalID: String
        @Option(help: ArgumentHelp("Why, or what was fitted.", valueName: "text")) var note: String?
        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            let record = try reportingRegistryErrors {
                try database.replaceTerminal(of: elevatorID, with: terminalID, at: EpochClock.system.now(), by: cliActor, note: note)
            }
            print("\(elevatorID): terminal \(terminalID) fitted; its seq numbers are stored from \(record.seqOffset) on")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The terminals an elevator has had.")
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: ArgumentHelp("Elevator registration code.", valueName: "elevator-id")) var elevatorID: String
        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            for terminal in try database.terminals(of: elevatorID) {
                print(terminal.terminalID, terminal.installedAt, terminal.removedAt.map(String.init) ?? "in place", terminal.note ?? "")
            }
        }
    }
}
