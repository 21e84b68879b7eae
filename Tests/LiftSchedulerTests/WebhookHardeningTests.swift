import AsyncHTTPClient
import Foundation
import Hummingbird
import LiftCore
import LiftMQTT
import LiftStore
import LiftTestSupport
import Synchronization
import Testing
@testable import LiftScheduler

/// Issue 23 item 8: webhooks that cannot be turned against LiftWatch or against other contractors.
@Suite("Webhooks: redirects, private targets, one contractor's slow endpoint", .serialized)
struct WebhookHardeningTests {
    final class Hits: Sendable {
        let counts = Mutex<[String: Int]>([:])
        func hit(_ path: String) { counts.withLock { $0[path, default: 0] += 1 } }
        func count(_ path: String) -> Int { counts.withLock { $0[path] ?? 0 } }
    }

    func database() throws -> LiftDatabase {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webhooks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let database = try LiftDatabase(path: directory + "/liftwatch.sqlite")
        for (elevator, contractor) in [("E1", "C-SLOW"), ("E2", "C-OK")] {
            try database.register(ElevatorRegistration(elevatorID: elevator, region: "430102", contractorID: contractor), at: 0, by: "test")
        }
        return database
    }

    func receiver(_ hits: Hits, slow: Duration = .seconds(20)) async throws -> (port: Int, task: Task<Void, any Error>) {
        let router = Router()
        router.post("/redirect") { _, _ -> Response in
            hits.hit("/redirect")
            return Response(status: .found, headers: [.location: "/landing"])
        }
        router.post("/landing") { _, _ -> HTTPResponse.Status in
            hits.hit("/landing")
            return .ok
        }
        router.post("/slow") { _, _ -> HTTPResponse.Status in
            hits.hit("/slow")
            try await Task.sleep(for: slow)
            hits.hit("/slow answered")
            return .ok
        }
        router.post("/fast") { _, _ -> HTTPResponse.Status in
            hits.hit("/fast")
            return .ok
        }
        return try await TestHTTPServer.start(router)
    }

    func ticket(_ elevator: String, _ contractor: String, _ type: TicketType) -> Ticket {
        Ticket(elevatorID: elevator, region: "430102", contractorID: contractor, type: type, openedAt: 1_000, reason: "test")
    }

    @Test("a redirect is not followed: the delivery fails and is retried at the same URL")
    func redirectsAreNotFollowed() async throws {
        let database = try database()
        let hits = Hits()
        let (port, server) = try await receiver(hits)
        defer { server.cancel() }
        try database.setWebhook(Webhook(contractorID: "C-OK", url: "http://127.0.0.1:\(port)/redirect", secret: "0123456789abcdef"), at: 0, by: "test")
        _ = try await TicketEngine(database: database, outbox: nil).open(ticket("E2", "C-OK", .repair))
        var configuration = WebhookService.Configuration()
        configuration.allowPrivateTargets = true
        let client = WebhookService.makeClient()
        #expect(try await WebhookService(database: database, clock: EpochClock { 2_000 }, configuration: configuration).deliverDue(client: client) == 0)
        try await client.shutdown()
        #expect(hits.count("/redirect") == 1 && hits.count("/landing") == 0)
        let delivery = try #require(try database.webhookDeliveries(contractorID: "C-OK").first)
        #expect(delivery.status == "pending" && delivery.lastStatus == 302)
    }

    @Test("a delivery waiting for its retry is superseded by a later state of its ticket, never sent after it")
    func retriesNeverOvertakeLaterState() async throws {
        let database = try database()
        let hits = Hits()
        let (port, server) = try await receiver(hits)
        defer { server.cancel() }
        try database.setWebhook(Webhook(contractorID: "C-OK", url: "http://127.0.0.1:\(port)/redirect", secret: "0123456789abcdef"), at: 0, by: "test")
        let engine = TicketEngine(database: database, outbox: nil)
        let opened = try #require(try await engine.open(ticket("E2", "C-OK", .repair)))
        var configuration = WebhookService.Configuration()
        configuration.allowPrivateTargets = true
        let client = WebhookService.makeClient()
        // The first attempt fails; while it waits for its retry the contractor acknowledges the ticket.
        #expect(try await WebhookService(database: database, clock: EpochClock { 2_000 }, configuration: configuration).deliverDue(client: client) == 0)
        _ = try await engine.perform(.acknowledge, on: opened.id, by: "C-OK", at: 3_000)
        try database.setWebhook(Webhook(contractorID: "C-OK", url: "http://127.0.0.1:\(port)/fast", secret: "0123456789abcdef"), at: 3_000, by: "test")
        #expect(try await WebhookService(database: database, clock: EpochClock { 600_000 }, configuration: configuration).deliverDue(client: client) == 1)
        try await client.shutdown()
        #expect(hits.count("/fast") == 1, "only the acknowledged ticket went out")
        try database.pruneWebhookDeliveries(queuedBefore: 0)
        let log = try database.webhookDeliveries(contractorID: "C-OK").sorted { $0.id < $1.id }
        #expect(log.map(\.status) == ["superseded", "delivered"])
    }

    @Test("the delivery log drops finished deliveries after its retention and keeps pending ones whatever their age")
    func deliveryLogRetention() async throws {
        let database = try database()
        try database.setWebhook(Webhook(contractorID: "C-OK", url: "http://127.0.0.1:9/x", secret: "0123456789abcdef"), at: 0, by: "test")
        let engine = TicketEngine(database: database, outbox: nil)
        let opened = try #require(try await engine.open(ticket("E2", "C-OK", .repair)))
        _ = try await engine.perform(.acknowledge, on: opened.id, by: "C-OK", at: 3_000)
        let queued = try database.webhookDeliveries(contractorID: "C-OK").sorted { $0.id < $1.id }
        try #require(queued.count == 2)
        try database.recordWebhookAttempt(queued[0].id, httpStatus: 200, error: nil, delivered: true, retryAt: nil, at: 4_000)
        #expect(try database.pruneWebhookDeliveries(queuedBefore: 10_000_000) == 1)
        #expect(try database.webhookDeliveries(contractorID: "C-OK").map(\.id) == [queued[1].id])
    }

    @Test("a webhook on a loopback or private address is refused unless allowed")
    func privateTargetsRefused() async throws {
        let database = try database()
        let hits = Hits()
        let (port, server) = try await receiver(hits)
        defer { server.cancel() }
        try database.setWebhook(Webhook(contractorID: "C-OK", url: "http://127.0.0.1:\(port)/fast", secret: "0123456789abcdef"), at: 0, by: "test")
        _ = try await TicketEngine(database: database, outbox: nil).open(ticket("E2", "C-OK", .repair))
        let client = WebhookService.makeClient()
        #expect(try await WebhookService(database: database, clock: EpochClock { 2_000 }).deliverDue(client: client) == 0)
        try await client.shutdown()
        #expect(hits.count("/fast") == 0)
        #expect(try database.webhookDeliveries(contractorID: "C-OK").first?.lastError?.contains("private or loopback") == true)
        for (url, refused) in [
            ("http://localhost/x", true), ("http://10.1.2.3/x", true), ("http://192.168.0.9/x", true), ("http://169.254.169.254/latest", true),
            ("http://[::1]/x", true), ("http://100.64.0.1/x", true), ("ftp://8.8.8.8/x", true), ("http://8.8.8.8/x", false),
        ] {
            #expect((await WebhookTarget.refusal(url, allowPrivate: false) != nil) == refused, "\(url)")
        }
    }

    @Test("one contractor's endpoint that hangs does not delay another contractor's rescue")
    func slowEndpointIsolated() async throws {
        let database = try database()
        let hits = Hits()
        let (port, server) = try await receiver(hits)
        defer { server.cancel() }
        try database.setWebhook(Webhook(contractorID: "C-SLOW", url: "http://127.0.0.1:\(port)/slow", secret: "0123456789abcdef"), at: 0, by: "test")
        try database.setWebhook(Webhook(contractorID: "C-OK", url: "http://127.0.0.1:\(port)/fast", secret: "0123456789abcdef"), at: 0, by: "test")
        let engine = TicketEngine(database: database, outbox: nil)
        // The slow contractor's deliveries come first in the queue.
        for _ in 0..<3 { _ = try await engine.open(ticket("E1", "C-SLOW", .minorRepair)) }
        var configuration = WebhookService.Configuration()
        configuration.allowPrivateTargets = true
        configuration.timeout = .seconds(30)
        let service = WebhookService(database: database, clock: EpochClock { 2_000 }, configuration: configuration)
        let running = Task { try await service.run() }
        let deadline = ContinuousClock.now + .seconds(10)
        while hits.count("/slow") == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(200))
        #expect(hits.count("/slow") == 1, "the slow endpoint holds its first delivery")
        let start = ContinuousClock.now
        _ = try await engine.open(ticket("E2", "C-OK", .rescue))
        while hits.count("/fast") == 0, ContinuousClock.now - start < .seconds(15) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(hits.count("/fast") == 1)
        #expect(hits.count("/slow answered") == 0, "the rescue went out while the slow endpoint still held its delivery")
        running.cancel()
    }
}
