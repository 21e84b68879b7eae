import ArgumentParser
import Foundation
import LiftCore
import LiftMQTT
import LiftScheduler
import LiftStore
import Logging

/// Reads a time given on the command line: epoch milliseconds, `YYYY-MM-DD` (midnight UTC+8) or ISO 8601.
func parseTime(_ text: String, option: String) throws -> Int64 {
    if let ms = Int64(text) { return ms }
    if let date = CivilDate(text) { return date.startEpochMs }
    let formatter = ISO8601DateFormatter()
    for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]] {
        formatter.formatOptions = options
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
    }
    throw ValidationError("\(option) must be epoch milliseconds, YYYY-MM-DD or ISO 8601 (2026-11-25T09:00:00+08:00), got \"\(text)\"")
}

func formatTime(_ ms: Int64?) -> String {
    guard let ms else { return "-" }
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
    return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
}

/// A ticket engine for one command: publishes on the configured broker when one answers, else only stores
/// (a running `serve` sends webhooks from the queue either way).
/// A ticket engine for one command: its changes' messages go out through the outbox on the configured broker
/// when one answers (and stay queued for `liftwatch serve` otherwise). Call `finish()` before exiting.
func commandEngine(_ configuration: LiftWatchConfiguration, database: LiftDatabase) async throws -> (TicketEngine, CommandOutbox) {
    let host = configuration.broker.host.isEmpty ? "127.0.0.1" : configuration.broker.host
    let port = configuration.broker.host.isEmpty ? configuration.broker.embeddedPort : configuration.broker.port
    var client: MQTTClient? = try MQTTClient(
        configuration: MQTTConfiguration(
            host: host, port: port, clientID: "liftwatch-cli-\(ProcessInfo.processInfo.processIdentifier)",
            // Its own account where the broker binds client ids to usernames: never the server's session.
            username: [configuration.broker.cliUsername, configuration.broker.username].first { !$0.isEmpty },
            password: configuration.broker.password.isEmpty ? nil : configuration.broker.password),
        logger: Logger(label: "liftwatch.cli.mqtt", factory: { _ in SwiftLogNoOpLogHandler() }))
    client?.start()
    do { try await client?.waitUntilConnected(timeout: .seconds(2)) } catch {
        printError("note: no broker at \(host):\(port); ticket changes are stored but not published on MQTT")
        await client?.shutdown()
        client = nil
    }
    let dispatcher = OutboxDispatcher(
        database: database, transport: client.map(OutboxDispatcher.transport(over:)),
        logger: Logger(label: "liftwatch.outbox", factory: { _ in SwiftLogNoOpLogHandler() }))
    let sla = try configuration.schedulerConfiguration().sla
    let engine = TicketEngine(
        database: database, sla: sla, rescuePolicy: configuration.rescueEscalationPolicy, visitPolicy: configuration.visitPolicy, outbox: dispatcher,
        logger: Logger(label: "liftwatch.tickets", factory: { _ in SwiftLogNoOpLogHandler() }))
    return (engine, CommandOutbox(dispatcher: dispatcher, client: client))
}

/// The outbox of a command's engine and the connection it publishes on.
struct CommandOutbox {
    let dispatcher: OutboxDispatcher
    let client: MQTTClient?

    /// Waits (briefly) for the broker to acknowledge what was sent, records it, and disconnects.
    func finish() async {
        await dispatcher.drain(timeout: .seconds(3))
        await client?.shutdown()
    }
}

struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler", abstract: "Run scheduler passes by hand.", subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One scheduler pass as of a time: deadlines, connectivity, maintenance, inspections, health trends.",
            discussion: """
                Running it twice for the same time opens nothing new. Example: liftwatch scheduler run --now 2026-12-01
                """)
        @OptionGroup var options: ConfigurationOptions
        @Option(help: ArgumentHelp("As of this time: epoch ms, YYYY-MM-DD (UTC+8) or ISO 8601; default now.", valueName: "time"))
        var now: String?
        @Flag(help: "Skip the health trends (faster on large fleets).") var noTrends = false

        func run() async throws {
            let configuration = try await options.load()
            let at = try now.map { try parseTime($0, option: "--now") } ?? EpochClock.system.now()
            let database = try LiftDatabase(path: configuration.database.path)
            let (engine, outbox) = try await commandEngine(configuration, database: database)
            let pass = SchedulerPass(database: database, engine: engine, configuration: try configuration.schedulerConfiguration())
            let report = try await pass.run(now: at, withTrends: !noTrends)
            await outbox.finish()
            print("scheduler pass as of \(formatTime(at)): \(report)")
        }
    }
}

struct TicketsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickets", abstract: "List tickets, show one with its steps, or take a step on one.",
        subcommands: [List.self, Show.self, Act.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Tickets, oldest first.")
        @OptionGroup var options: ConfigurationOptions
        @Option(help: "Only this elevator.") var elevator: String?
        @Option(help: "Only this contractor.") var contractor: String?
        @Option(help: "Only this region prefix.") var region: String?
        @Option(help: ArgumentHelp("Only these statuses (comma-separated): \(TicketStatus.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "list"))
        var status: String?
        @Option(help: ArgumentHelp("Only these types (comma-separated): \(TicketType.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "list"))
        var type: String?
        @Option(help: "At most this many.") var limit = 200

        func run() async throws {
            let statuses = try status.map { try $0.split(separator: ",").map { text in
                guard let s = TicketStatus(rawValue: String(text)) else { throw ValidationError("unknown status \"\(text)\"") }
                return s
            } }
            let types = try type.map { try $0.split(separator: ",").map { text in
                guard let t = TicketType(rawValue: String(text)) else { throw ValidationError("unknown type \"\(text)\"") }
                return t
            } }
            let database = try LiftDatabase(path: try await options.load().database.path)
            let tickets = try database.tickets(TicketFilter(
                elevatorID: elevator, contractorID: contractor, regionPrefix: region, statuses: statuses, types: types, limit: limit))
            print("id      type           status        elevator          contractor  opened                     due                        flags")
            for t in tickets {
                let flags = [t.overdue ? "overdue" : nil, t.escalated ? "escalated" : nil, t.repeat ? "repeat" : nil, t.callback ? "callback" : nil,
                             t.unverified ? "unverified" : nil, t.occurrences > 1 ? "×\(t.occurrences)" : nil].compactMap { $0 }.joined(separator: ",")
                print(String(t.id).padding(toLength: 7, withPad: " ", startingAt: 0), t.type.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0),
                      t.status.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0), t.elevatorID.padding(toLength: 17, withPad: " ", startingAt: 0),
                      (t.contractorID ?? "-").padding(toLength: 11, withPad: " ", startingAt: 0), formatTime(t.openedAt).padding(toLength: 26, withPad: " ", startingAt: 0),
                      formatTime(t.dueAt).padding(toLength: 26, withPad: " ", startingAt: 0), flags)
            }
            print("\(tickets.count) ticket(s)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One ticket as JSON, with its steps and, for maintenance, its checklist.")
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: "Ticket id.") var id: Int64

        func run() async throws {
            let configuration = try await options.load()
            let database = try LiftDatabase(path: configuration.database.path)
            guard let ticket = try database.ticket(id) else { throw CommandFailure("no ticket \(id)") }
            print(String(decoding: TicketJSON.encode(ticket), as: UTF8.self))
            for step in try database.ticketSteps(id) {
                print("  \(formatTime(step.at))  \(step.action)  \(step.fromStatus?.rawValue ?? "-") → \(step.toStatus.rawValue)  \(step.actor)  \(step.note ?? "")")
            }
            if ticket.type == .maintenance, let level = ticket.level.flatMap(MaintenanceLevel.init(rawValue:)),
                let lists = try? MaintenanceChecklists.load(configuration.scheduler.checklistsFile)
            {
                let items = lists.items(level: level)
                print("  checklist (\(level.rawValue), \(items.count) items):")
                for (n, item) in items.enumerated() { print("    \(n + 1). \(item)") }
            }
        }
    }

    struct Act: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a step: acknowledge, arrive, resolve, close, or cancel (with --note giving the reason).",
            discussion: """
                A rescue also takes contact (passengers reached and calmed), release (passengers out: --passengers and \
                --injuries), follow_up (the call confirming release) and answer (the property manager answered).
                Examples:
                  liftwatch tickets act 12 arrive --as contractor:C-HN-03 --note "on site, car at floor 4"
                  liftwatch tickets act 7 release --passengers 2 --injuries 0 --cause misuse --as contractor:C-HN-03
                """)
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: "Ticket id.") var id: Int64
        @Argument(help: "acknowledge, arrive, resolve, close, cancel; for a rescue also contact, release, follow_up, answer.") var action: String
        @Option(help: "What was done, or why it was cancelled.") var note: String?
        @Option(help: "release of a rescue: how many passengers were let out.") var passengers: Int?
        @Option(help: "release of a rescue: how many of them were injured.") var injuries: Int?
        @Option(help: "A rescue's cause: misuse, maintenance_quality, power_cut or equipment.") var cause: RescueCause?
        @Option(help: "Who arrived or released a rescue's passengers: maintainer, rescue_station or fire_brigade.") var responder: RescueResponder?
        @Option(name: .customLong("as"), help: ArgumentHelp("Who takes the step (default cli:$USER).", valueName: "actor")) var actor: String?

        func validate() throws {
            guard TicketAction(rawValue: action) != nil else {
                throw ValidationError("action must be one of \(TicketAction.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(action)\"")
            }
        }

        func run() async throws {
            let configuration = try await options.load()
            let database = try LiftDatabase(path: configuration.database.path)
            let (engine, outbox) = try await commandEngine(configuration, database: database)
            do {
                let details = StepDetails(passengers: passengers, injuries: injuries, cause: cause, responder: responder)
                let ticket = try await engine.perform(
                    TicketAction(rawValue: action)!, on: id, by: actor ?? cliActor, note: note, details: details, at: EpochClock.system.now())
                await outbox.finish()
                print("ticket \(id): \(ticket.status.rawValue)\(ticket.unverified ? " (unverified: no evidence of the visit from the elevator)" : "")")
            } catch let error as TicketEngineError {
                await outbox.finish()
                throw CommandFailure(error.description)
            }
        }
    }
}

extension RescueCause: ExpressibleByArgument {}
extension RescueResponder: ExpressibleByArgument {}

struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "A contractor's webhook: signed HTTP POSTs of its tickets.", subcommands: [Set.self, Log.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register (or replace) a contractor's webhook URL and shared secret.",
            discussion: """
                Each POST carries X-LiftWatch-Delivery (its id), X-LiftWatch-Timestamp (epoch ms) and X-LiftWatch-Signature: \
                sha256=<hex HMAC-SHA256 of "<timestamp>.<delivery id>.<body>" with the secret>. Redirects are not followed; \
                a URL whose host resolves to a loopback or private address is refused unless webhooks.allow_private_targets.
                """)
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: "Contractor id.") var contractor: String
        @Argument(help: "http:// or https:// URL.") var url: String
        @Option(help: "Shared secret (at least 16 characters).") var secret: String

        func validate() throws {
            guard Identifier.isValidID(contractor) else { throw ValidationError("contractor id \"\(contractor)\" is not [A-Za-z0-9_-]{1,64}") }
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw ValidationError("url must be an http:// or https:// URL, got \"\(url)\"")
            }
            guard secret.count >= 16 else { throw ValidationError("--secret must have at least 16 characters") }
        }

        func run() async throws {
            let configuration = try await options.load()
            if let refusal = await WebhookTarget.refusal(url, allowPrivate: configuration.webhooks.allowPrivateTargets) {
                throw CommandFailure("webhook \(url): \(refusal)")
            }
            let database = try LiftDatabase(path: configuration.database.path)
            try database.setWebhook(Webhook(contractorID: contractor, url: url, secret: secret), at: EpochClock.system.now(), by: cliActor)
            print("webhook of \(contractor): \(url)")
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The delivery log of a contractor's webhook, newest first.")
        @OptionGroup var options: ConfigurationOptions
        @Argument(help: "Contractor id.") var contractor: String
        func run() async throws {
            let database = try LiftDatabase(path: try await options.load().database.path)
            for d in try database.webhookDeliveries(contractorID: contractor) {
                print(d.id, "ticket \(d.ticketID)", d.status, "attempts \(d.attempts)", d.lastStatus.map { "HTTP \($0)" } ?? "", d.lastError ?? "")
            }
        }
    }
}
