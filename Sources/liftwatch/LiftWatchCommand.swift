import ArgumentParser

@main
struct LiftWatchCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "liftwatch",
        abstract: "Supervises retrofitted residential elevators: ingests controller telemetry over MQTT, keeps each elevator's health history, and serves it over HTTP.",
        discussion: """
            Settings come from command-line flags, then LIFTWATCH_* environment variables (LIFTWATCH_HTTP_PORT for \
            http.port), then the YAML file (config/liftwatch.yaml, or --config), then the embedded defaults. \
            With no broker configured, `serve` starts a local mosquitto itself.
            """,
        version: version,
        subcommands: [
            ServeCommand.self, MigrateCommand.self, BackupCommand.self, ElevatorsCommand.self, DeadLettersCommand.self,
            ImportCommand.self, ExportCommand.self, StageCommand.self, ContractsCommand.self, TerminalsCommand.self,
            DossierCommand.self, AuditCommand.self, SchedulerCommand.self, TicketsCommand.self, WebhooksCommand.self, TokensCommand.self,
            KPIsCommand.self, ProgressCommand.self, TargetsCommand.self, PlacesCommand.self, ProjectCommand.self, StoreCommand.self,
            BrokerCommand.self, ConfigCommand.self,
        ]
    )
}

/// Options every subcommand that reads the configuration shares.
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("YAML configuration file.", valueName: "path"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("SQLite database file (database.path).", valueName: "path"))
    var database: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Override any configuration key, for example --set http.port=9090. Repeatable.", valueName: "key=value"))
    var settings: [String] = []

    /// Loads the configuration, exiting with a message naming the bad key when a value is wrong.
    func load(extra: [String: String] = [:]) async throws -> LiftWatchConfiguration {
        var overrides = extra
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw ValidationError("--set expects key=value, got \"\(setting)\"")
            }
            overrides[String(setting[..<equals])] = String(setting[setting.index(after: equals)...])
        }
        if let database { overrides["database.path"] = database }
        do {
            return try await ConfigurationLoader(overrides: overrides, file: config).load()
        } catch let error as ConfigurationError {
            throw CommandFailure(error.description)
        }
    }
}

/// A failure to report on standard error, exiting with status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
