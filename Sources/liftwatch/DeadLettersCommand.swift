import ArgumentParser
import Foundation
import LiftCore
import LiftIngest
import LiftStore

struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List the messages that could not be used, and replay them once the cause is fixed.",
        subcommands: [List.self, Replay.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters, oldest first.")

        @OptionGroup var options: ConfigurationOptions

        @Option(help: ArgumentHelp("Only this reason (\(Rejection.Reason.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "reason"))
        var reason: String?

        @Flag(help: "Only those not yet replayed.")
        var pending = false

        @Option(help: "At most this many.")
        var limit = 50

        @Flag(help: "One JSON object per line, payload as text.")
        var json = false

        func validate() throws {
            if let reason, Rejection.Reason(rawValue: reason) == nil {
                throw ValidationError("unknown reason \"\(reason)\"; one of \(Rejection.Reason.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            let configuration = try await options.load()
            let database = try LiftDatabase(path: configuration.database.path)
            let letters = try database.deadLetters(limit: limit, pendingOnly: pending, reason: reason)
            let formatter = ISO8601DateFormatter()
            for letter in letters {
                let payload = String(decoding: letter.payload.prefix(200), as: UTF8.self)
                if json {
                    let object: [String: Any] = [
                        "id": letter.id, "topic": letter.topic, "reason": letter.reason, "message": letter.message,
                        "received_at": letter.receivedAt, "payload": String(decoding: letter.payload, as: UTF8.self),
                        "payload_base64": Data(letter.payload).base64EncodedString(),
                        "replayed_at": letter.replayedAt as Any, "replay_outcome": letter.replayOutcome as Any,
                    ]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    let when = formatter.string(from: Date(timeIntervalSince1970: Double(letter.receivedAt) / 1000))
                    print("#\(letter.id) \(when) \(letter.topic)\n    \(letter.reason): \(letter.message)\n    payload: \(payload)\(letter.payload.count > 200 ? "… (\(letter.payload.count) bytes)" : "")")
                    if let outcome = letter.replayOutcome { print("    replay: \(outcome)") }
                }
            }
            if !json { print("\(letters.count) dead letter(s)") }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Feed pending dead letters through ingestion again.",
            discussion: "Those that now pass are stored (once) and marked replayed; the others stay pending with the new reason.")

        @OptionGroup var options: ConfigurationOptions

        @Option(name: .customLong("id"), help: "Only these dead letters. Repeatable.")
        var ids: [Int64] = []

        @Option(help: "Only dead letters of this reason.")
        var reason: String?

        func run() async throws {
            let configuration = try await options.load()
            let database = try LiftDatabase(path: configuration.database.path)
            let replayer = DeadLetterReplayer(
                database: database, faultCodeMaps: try FaultCodeMap.loadDirectory(configuration.faultCodesDirectory),
                regionPlatforms: configuration.regionPlatformMap)
            let (summary, result) = try replayer.replay(ids: ids.isEmpty ? nil : ids, reason: reason) { done in
                FileHandle.standardError.write(Data("replayed \(done)…\n".utf8))
            }
            // Replayed faults get their tickets as if they had arrived now.
            if result.newEvents.contains(where: { $0.value.raisedFault != nil }) {
                let (engine, outbox) = try await commandEngine(configuration, database: database)
                await engine.handle(result.newEvents)
                await outbox.finish()
            }
            print("replayed \(summary.replayed): \(summary.accepted) stored, \(summary.rejectedAgain) rejected again")
            for (reason, count) in summary.rejectedReasons.sorted(by: { $0.key < $1.key }) {
                print("  \(reason): \(count)")
            }
        }
    }
}
