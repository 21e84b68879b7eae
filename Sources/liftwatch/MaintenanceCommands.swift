import ArgumentParser
import Foundation
import LiftCore
import LiftIngest
import LiftStore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Create the database or bring its schema up to date, and list the migrations applied.")

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try await options.load()
        let database = try LiftDatabase(path: configuration.database.path)
        let applied = try database.appliedMigrations()
        print("\(configuration.database.path): \(applied.count) migrations applied")
        for name in applied { print("  \(name)") }
    }
}

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the live database to PATH with SQLite's online backup, consistent even while LiftWatch writes.")

    @OptionGroup var options: ConfigurationOptions

    @Argument(help: ArgumentHelp("Where to write the copy; must not exist.", valueName: "path"))
    var destination: String

    func run() async throws {
        let configuration = try await options.load()
        guard FileManager.default.fileExists(atPath: configuration.database.path) else {
            throw CommandFailure("no database at \(configuration.database.path)")
        }
        let database = try LiftDatabase(path: configuration.database.path)
        var lastShown = -1
        try database.backup(to: destination) { done, total in
            let percent = total == 0 ? 100 : done * 100 / total
            if percent / 10 != lastShown / 10 || done == total {
                lastShown = percent
                FileHandle.standardError.write(Data("backup: \(done)/\(total) pages (\(percent)%)\n".utf8))
            }
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? Int) ?? 0
        print("backed up \(configuration.database.path) to \(destination) (\(size) bytes)")
    }
}

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Print the configuration LiftWatch would run with, after flags, environment and file.")

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        var configuration = try await options.load()
        if !configuration.broker.password.isEmpty { configuration.broker.password = "<redacted>" }
        dump(configuration)
    }
}
