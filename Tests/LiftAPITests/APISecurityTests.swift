import Foundation
import Hummingbird
import LiftCore
import LiftStore
import HummingbirdTesting
import Logging
import Synchronization
import Testing
@testable import LiftAPI

/// Hostile input at the API edge: injection on every query parameter and body field, oversized bodies,
/// and tokens kept out of the logs.
@Suite("HTTP API: hostile input")
struct APISecurityTests {
    /// Values an attacker would try; none is a valid id, region, enum, number or cursor.
    static let hostile = [
        "x' OR '1'='1", "1; DROP TABLE tickets; --", "\" OR \"\"=\"", "../../etc/passwd", "<script>alert(1)</script>", "%00", "\\u0000",
        "a b", String(repeating: "A", count: 5_000),
    ]
    /// Out-of-range numbers for the numeric parameters.
    static let numeric: [(path: String, name: String)] = [
        ("/api/v1/units", "limit"), ("/api/v1/tickets", "limit"), ("/api/v1/tickets", "from"), ("/api/v1/kpis", "to"),
        ("/api/v1/elevators/E1/series?metric=speed", "step"), ("/api/v1/elevators/E1/dossier", "days"), ("/api/v1/dead-letters", "limit"),
    ]

    /// Every query parameter of every route, each as the only parameter.
    static let parameters: [(path: String, names: [String])] = [
        ("/api/v1/units", ["region", "rating", "stage", "cursor", "limit"]),
        ("/api/v1/elevators", ["region", "contractor", "health", "stage", "cursor", "limit"]),
        ("/api/v1/elevators/E1/series", ["metric", "from", "to", "step"]),
        ("/api/v1/elevators/E1/dossier", ["format", "days"]),
        ("/api/v1/tickets", ["elevator", "contractor", "region", "status", "type", "from", "to", "cursor", "limit"]),
        ("/api/v1/kpis", ["region", "contractor", "from", "to", "format"]),
        ("/api/v1/dead-letters", ["reason", "pending", "cursor", "limit"]),
        ("/api/v1/incidents", ["region", "open"]),
    ]

    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
    }

    @Test("every query parameter refuses injection-shaped values with 400 and the contract's error; nothing changes")
    func queryInjection() async throws {
        let fixture = try APIFixture()
        let before = try fixture.database.tickets(TicketFilter()).count
        try await fixture.application.test(.router) { client in
            for (path, names) in Self.parameters {
                for name in names {
                    for value in Self.hostile {
                        var uri = "\(path)?\(name)=\(Self.encode(value))"
                        if path.hasSuffix("/series") && name != "metric" { uri += "&metric=speed" }
                        let (status, json, text) = try await client.call(.get, uri, fixture.headers("admin"))
                        #expect(status == .badRequest, "\(uri) → \(status): \(text.prefix(200))")
                        #expect((json?["error"] as? [String: Any])?["code"] is String, "\(uri): \(text.prefix(200))")
                    }
                }
            }
            for (path, name) in Self.numeric {
                for value in ["-1", "1e309", "99999999999999999999999", "0x10", "1.5"] {
                    let uri = "\(path)\(path.contains("?") ? "&" : "?")\(name)=\(Self.encode(value))"
                    let (status, _, text) = try await client.call(.get, uri, fixture.headers("admin"))
                    #expect(status == .badRequest, "\(uri) → \(status): \(text.prefix(200))")
                }
            }
            for value in Self.hostile {
                let (status, _, text) = try await client.call(.get, "/api/v1/elevators/\(Self.encode(value))", fixture.headers("admin"))
                // Not an id at all: a bad request; an id that is well formed but unknown: not found.
                #expect(status == (Identifier.isValidID(value) ? .notFound : .badRequest), "elevator id \(value.prefix(40)) → \(status): \(text.prefix(200))")
            }
        }
        #expect(try fixture.database.tickets(TicketFilter()).count == before)
    }

    @Test("every body field refuses injection-shaped values; free text (a step's note) is kept verbatim, never executed")
    func bodyInjection() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            for value in Self.hostile {
                let quoted = String(data: try JSONSerialization.data(withJSONObject: [value]), encoding: .utf8)!.dropFirst().dropLast()
                for (uri, body) in [
                    ("/api/v1/units/U1", #"{"region":\#(quoted),"rating":"suitable"}"#),
                    ("/api/v1/units/U1", #"{"region":"430102","rating":\#(quoted)}"#),
                    ("/api/v1/units/U1", #"{"region":"430102","stage":\#(quoted)}"#),
                    ("/api/v1/elevators/E1", #"{"region":\#(quoted)}"#),
                    ("/api/v1/elevators/E1", #"{"region":"430102","contractor_id":\#(quoted)}"#),
                    ("/api/v1/elevators/E1", #"{"region":"430102","unit_id":\#(quoted)}"#),
                    ("/api/v1/elevators/E1", #"{"region":"430102","commissioned_on":\#(quoted)}"#),
                    ("/api/v1/elevators/E1", #"{"region":"430102","stage":\#(quoted)}"#),
                    ("/api/v1/elevators/E1", #"{"region":"430102","platform":\#(quoted)}"#),
                ] {
                    let (status, json, text) = try await client.call(.put, uri, fixture.headers("admin"), body: body)
                    #expect(status == .badRequest, "PUT \(uri) \(body.prefix(80)) → \(status): \(text.prefix(200))")
                    #expect((json?["error"] as? [String: Any])?["code"] is String)
                }
                let id = fixture.ticketIDs.values.sorted()[0]
                let (status, _, text) = try await client.call(.post, "/api/v1/tickets/\(id)/actions", fixture.headers("admin"), body: #"{"action":\#(quoted)}"#)
                #expect(status == .badRequest, "action \(value.prefix(40)) → \(status): \(text.prefix(200))")
                let (replay, _, replayText) = try await client.call(.post, "/api/v1/dead-letters/replay", fixture.headers("admin"), body: #"{"reason":\#(quoted)}"#)
                #expect(replay == .badRequest, "replay reason \(value.prefix(40)) → \(replay): \(replayText.prefix(200))")
            }
            // A note is free text: stored as given, and the tables are still there afterwards. M3 is open: it can be cancelled.
            let ticket = fixture.ticketIDs["M3"]!
            let note = "x'); DROP TABLE tickets; --"
            let body = String(data: try JSONSerialization.data(withJSONObject: ["action": "cancel", "note": note]), encoding: .utf8)!
            let (status, json, text) = try await client.call(.post, "/api/v1/tickets/\(ticket)/actions", fixture.headers("admin"), body: body)
            #expect(status == .ok, "\(text.prefix(200))")
            #expect((json?["cancel_reason"] as? String) == note)
            #expect(try fixture.database.ticketSteps(ticket).last?.note == note)
        }
        #expect(try fixture.database.tickets(TicketFilter()).count == fixture.ticketIDs.count)
    }

    @Test("bodies over the limit are refused with 413 before they are read whole")
    func oversizedBodies() async throws {
        let fixture = try APIFixture()
        let huge = #"{"region":"430102","address":""# + String(repeating: "x", count: 2 << 20) + #""}"#
        try await fixture.application.test(.router) { client in
            for (method, uri) in [(HTTPRequest.Method.put, "/api/v1/units/U1"), (.put, "/api/v1/elevators/E1"), (.post, "/api/v1/dead-letters/replay")] {
                let (status, json, _) = try await client.call(method, uri, fixture.headers("admin"), body: huge)
                #expect(status == .contentTooLarge, "\(method) \(uri) → \(status)")
                #expect((json?["error"] as? [String: Any])?["code"] is String)
            }
        }
    }

    /// Keeps every log line (message and metadata) in memory.
    final class CapturedLogs: @unchecked Sendable {
        // @unchecked: `lines` is guarded by `lock`.
        let lock = NSLock()
        var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: String { lock.withLock { lines.joined(separator: "\n") } }
    }

    struct CapturingHandler: LogHandler {
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            logs.append("\(event.level) \(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 }) \(event.source) \(event.file)")
        }
    }

    @Test("tokens never reach the logs, valid or not, in a header, a cookie or the login form (trace level)")
    func tokensAreNotLogged() async throws {
        let fixture = try APIFixture()
        let logs = CapturedLogs()
        let logger = Logger(label: "test") { _ in CapturingHandler(logs: logs) }
        let application = Application(router: LiftHTTPServer.router(fixture.context), logger: logger)
        let wrong = "lw_" + String(repeating: "ab", count: 32)
        let valid = fixture.tokens["admin"]!
        try await application.test(.router) { client in
            for token in [valid, wrong] {
                _ = try await client.call(.get, "/api/v1/tickets?limit=1", [.authorization: "Bearer \(token)"])
                _ = try await client.call(.get, "/api/v1/elevators/E1", [.authorization: "Bearer \(token)"])
                _ = try await client.call(.get, "/api/v1/tickets?cursor=\(token)", [.authorization: "Bearer \(token)"])
                try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                         body: ByteBuffer(string: "token=\(token)&next=%2F")) { _ in }
                try await client.execute(uri: "/", method: .get, headers: [.cookie: "lw_token=\(token)"]) { _ in }
            }
        }
        let text = logs.all
        #expect(!logs.lines.isEmpty, "nothing was logged: the test would prove nothing")
        for token in [valid, wrong] {
            #expect(!text.contains(token), "a token was logged")
            #expect(!text.contains(String(token.dropFirst(3).prefix(16))), "part of a token was logged")
        }
    }
}
