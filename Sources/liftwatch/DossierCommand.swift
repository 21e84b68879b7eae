import ArgumentParser
import Foundation
import LiftAPI
import LiftCore
import LiftStore

struct DossierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dossier",
        abstract: "Write the dossier of a building unit (or of an elevator's unit) as JSON or a printable HTML page.",
        discussion: """
            The dossier gathers the unit, its elevator, stages, contracts, terminals, faults, maintenance visits and \
            the daily health history. The HTML page carries its health chart with Chart.js inlined from Debian's \
            libjs-chart.js, so the file opens and prints without a network.
            Example: liftwatch dossier U-430102-0001 --format html -o U-430102-0001.html
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, html }

    @OptionGroup var options: ConfigurationOptions
    @Argument(help: ArgumentHelp("A unit_id or elevator_id.", valueName: "id")) var id: String
    @Option(help: "json or html.") var format: Format = .json
    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var output: String?
    @Option(help: ArgumentHelp("Days of daily health history.", valueName: "days")) var days = 365
    @Option(help: ArgumentHelp("The HTML page's language: zh-CN (the default) or en.", valueName: "language")) var language: PageLanguage = .zh

    static let chartScriptPath = "/usr/share/javascript/chart.js/chart.min.js"

    func run() async throws {
        let database = try LiftDatabase(path: try await options.load().database.path)
        let dossier = try reportingRegistryErrors { try database.dossier(id, now: EpochClock.system.now(), historyDays: days) }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try writeOutput(String(decoding: try encoder.encode(dossier), as: UTF8.self) + "\n", to: output)
        case .html:
            guard let script = try? String(contentsOfFile: Self.chartScriptPath, encoding: .utf8) else {
                throw CommandFailure("\(Self.chartScriptPath) is missing: install libjs-chart.js (scripts/setup.sh does)")
            }
            try writeOutput(DossierPage(dossier: dossier, chartScript: .inline(script), language: language).render(), to: output)
        }
        if let output, output != "-" { printError("wrote \(output)") }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read and verify the append-only, hash-chained audit log of every change.",
        subcommands: [Verify.self, List.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the chain; name every entry altered, removed or inserted. Exit status 1 when any is found.",
            discussion: """
                Prints the head hash: keep it elsewhere and pass it back with --expect-head to detect entries cut from \
                the end or forged onto it, which the chain alone cannot show.
                """)
        @OptionGroup var options: ConfigurationOptions
        @Option(help: ArgumentHelp("The head hash (and optionally :COUNT) recorded earlier.", valueName: "hash")) var expectHead: String?
        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            let result = try database.verifyAudit()
            for problem in result.problems { print("\(problem)") }
            var intact = result.isIntact
            if let expectHead {
                let hash = expectHead.split(separator: ":").first.map(String.init) ?? expectHead
                let entries = try database.auditEntries()
                if let at = entries.firstIndex(where: { $0.hash == hash }) {
                    print("the recorded head is entry \(entries[at].seq); \(entries.count - at - 1) entries were appended since")
                } else {
                    print("the recorded head \(hash) is not in the log: entries were removed from the end or the chain was rewritten")
                    intact = false
                }
            }
            print("\(result.entries) entries, head \(result.headHash): \(intact ? "intact" : "\(result.problems.count) problem(s)")")
            if !intact { throw ExitCode(1) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print audit entries, oldest first.")
        @OptionGroup var options: ConfigurationOptions
        @Option(help: ArgumentHelp("Only entries about this unit, elevator, ticket or token.", valueName: "id")) var subject: String?
        @Option(help: ArgumentHelp("At most this many.", valueName: "n")) var limit = 100
        @Option(help: ArgumentHelp("Only entries after this seq.", valueName: "seq")) var after: Int64 = 0
        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            for entry in try database.auditEntries(subject: subject, afterSeq: after, limit: limit) {
                print(entry.seq, ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(entry.at) / 1000)), entry.actor, entry.action,
                      entry.subject, entry.detail)
            }
        }
    }
}

extension PageLanguage: ExpressibleByArgument {}
