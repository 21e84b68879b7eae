import ArgumentParser
import Foundation
import LiftAPI
import LiftCore
import LiftStore

struct KPIsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kpis",
        abstract: "Print or export the regulators' figures (spec section 7) for a region or a contractor, as the API gives them.",
        discussion: """
            The same figures as GET /api/v1/kpis, as JSON or CSV. The window is [--from, --to), default the 30 days before \
            now. Definitions: docs/kpis.md. Examples:
              liftwatch kpis --region 4301 --from 2026-11-01 --to 2026-12-01
              liftwatch kpis --contractor C-HN-03 --format csv -o c-hn-03.csv
            """)

    @OptionGroup var options: ConfigurationOptions
    @Option(help: ArgumentHelp("Place prefix: 2, 4, 6, 9 or 12 digits (province, city, district, street, community).", valueName: "prefix")) var region: String?
    @Option(help: ArgumentHelp("A contractor's figures (with --region: inside that region).", valueName: "id")) var contractor: String?
    @Option(help: ArgumentHelp("Window start: epoch ms, YYYY-MM-DD (UTC+8) or ISO 8601.", valueName: "time")) var from: String?
    @Option(help: ArgumentHelp("Window end (exclusive); default now.", valueName: "time")) var to: String?
    @Option(help: "json or csv.") var format = "json"
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write to this file instead of standard output.", valueName: "path"))
    var output: String?

    func validate() throws {
        if let region, !Identifier.isValidPlacePrefix(region) { throw ValidationError("--region must be a place code of 2, 4, 6, 9 or 12 digits, got \"\(region)\"") }
        if let contractor, !Identifier.isValidID(contractor) { throw ValidationError("--contractor \"\(contractor)\" is not [A-Za-z0-9_-]{1,64}") }
        guard ["json", "csv"].contains(format) else { throw ValidationError("--format must be json or csv, got \"\(format)\"") }
    }

    func run() async throws {
        let configuration = try await options.load()
        let now = EpochClock.system.now()
        let end = try to.map { try parseTime($0, option: "--to") } ?? now
        let start = try from.map { try parseTime($0, option: "--from") } ?? end - 30 * 86_400_000
        guard start < end else { throw CommandFailure("--from must be before --to") }
        let database = try LiftDatabase(path: configuration.database.path)
        let report = try database.kpis(
            KPIReport.Scope(region: region, contractor: contractor, from: start, to: end), now: now,
            offlineThresholdMs: Int64(configuration.sla.offlineThresholdMinutes) * 60_000)
        let text = format == "csv" ? KPICSV.render(report) : String(decoding: try KPICSV.json(report), as: UTF8.self) + "\n"
        try writeOutput(text, to: output)
    }
}
