import AsyncHTTPClient
import Foundation
import Hummingbird
import LiftCore
import LiftMQTT
import LiftScheduler
import LiftStore
import LiftTestSupport
import NIOCore
import Testing
@testable import LiftAPI

@Suite("Live stream (Server-Sent Events)")
struct LiveStreamTests {
    /// Reads a stream until `predicate` holds for what was read, or `timeout` passes.
    func read(_ url: String, token: String, client: HTTPClient, until predicate: @escaping @Sendable (String) -> Bool, timeout: Duration = .seconds(20)) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await client.execute(request, timeout: .seconds(10))
        #expect(response.status == .ok && response.headers.first(name: "content-type") == "text/event-stream")
        return try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                var text = ""
                for try await chunk in response.body {
                    text += String(buffer: chunk)
                    if predicate(text) { break }
                }
                return text
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return "timeout"
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
    }

    @Test("ticket changes and alerts stream to those who may see them, and to no one else")
    func scopedStream() async throws {
        let fixture = try APIFixture()
        let hub = try #require(fixture.context.events)
        let engine = try #require(fixture.context.engine)
        await engine.observe { ticket, effects in
            hub.publish(ticket: ticket, alerts: effects.compactMap { if case .alertRegulator(let reason) = $0 { reason } else { nil } })
        }
        let (port, server) = try await TestHTTPServer.start(LiftHTTPServer.router(fixture.context))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let url = "http://127.0.0.1:\(port)/api/v1/stream"
        async let regulator = read(url, token: fixture.tokens["regulator"]!, client: client) { $0.contains("event: alert") }
        async let other = read(url, token: fixture.tokens["regulator-other"]!, client: client, until: { $0.contains("event: ") }, timeout: .seconds(5))
        async let contractor = read(url, token: fixture.tokens["contractor"]!, client: client) { $0.contains("event: ticket") }
        // All three streams subscribed before the ticket opens (a busy machine may take a while).
        let deadline = ContinuousClock.now + .seconds(15)
        while hub.subscriberCount < 3 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(hub.subscriberCount == 3)
        try await engine.open(Ticket(elevatorID: "E1", region: "430102", contractorID: "C1", type: .rescue, openedAt: APIFixture.now, fault: .entrapmentBetweenFloors, reason: "trapped"))
        let (seenByRegulator, seenByOther, seenByContractor) = try await (regulator, other, contractor)
        #expect(seenByRegulator.contains("event: ticket\ndata: {") && seenByRegulator.contains("\"alert\":\"rescue ticket opened\""))
        #expect(seenByContractor.contains("\"elevator_id\":\"E1\""))
        #expect(seenByOther == "timeout", "a regulator of another region sees nothing")
        try await client.shutdown()
        server.cancel()
    }
}
