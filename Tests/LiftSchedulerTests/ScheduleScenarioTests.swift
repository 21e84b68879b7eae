import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import LiftCore
import LiftMQTT
import LiftStore
import LiftTestSupport
import Testing
@testable import LiftScheduler

/// The schedule against a real SQLite file, passes run day by day as of a simulated clock.
@Suite("Maintenance schedule, inspections, evidence, trends and webhooks")
struct ScheduleScenarioTests {
    static let day: Int64 = 86_400_000

    func database() throws -> LiftDatabase {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("schedule-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try LiftDatabase(path: directory + "/liftwatch.sqlite")
    }

    /// Marks the elevator online as of `now` (what ingestion does on each message).
    func heard(_ database: LiftDatabase, _ key: Int64, at now: Int64) throws {
        var batch = IngestBatch()
        batch.lastSeen = [key: now]
        batch.statuses = [IngestBatch.Item(elevator: key, elevatorID: "", region: "430102", value: StatusReport(state: .online), receivedAt: now)]
        _ = try database.commit(batch)
    }

    @Test("400 simulated days: a maintenance ticket 3 days before each due date, levels on the right dates; passes run twice open nothing new")
    func fourHundredDays() async throws {
        let database = try database()
        let start = CivilDate("2025-01-01")!
        try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102", contractorID: "C1", commissionedOn: "2025-01-01"), at: start.startEpochMs, by: "test")
        let engine = TicketEngine(database: database, outbox: nil)
        let pass = SchedulerPass(database: database, engine: engine, configuration: SchedulerConfiguration())
        var closed: [(due: CivilDate, level: String, opened: CivilDate)] = []
        for offset in 0...400 {
            let today = start.adding(days: offset)
            let now = today.startEpochMs + 9 * 3_600_000  // 09:00 each day
            _ = try await pass.run(now: now, withTrends: false)
            _ = try await pass.run(now: now, withTrends: false)  // idempotent
            for ticket in try database.activeTickets(elevatorID: "E1") where ticket.type == .maintenance {
                let due = CivilDate(epochMs: ticket.dueAt!)
                guard due == today else { continue }
                var t = ticket
                for action in [TicketAction.acknowledge, .arrive, .resolve, .close] {
                    t = try await engine.perform(action, on: t.id, by: "contractor:C1", at: now + 3_600_000)
                }
                closed.append((due, ticket.level ?? "", CivilDate(epochMs: ticket.openedAt)))
            }
        }
        #expect(closed.count == 26)
        #expect(closed.allSatisfy { $0.opened.days(to: $0.due) == 3 })
        #expect(closed.first?.due == CivilDate("2025-01-16"))
        let higher = closed.filter { $0.level != "half_month" }.map { "\($0.due) \($0.level)" }
        #expect(higher == ["2025-04-01 quarter", "2025-07-15 half_year", "2025-10-28 quarter", "2026-01-11 annual"])
        #expect(try database.tickets(TicketFilter(elevatorID: "E1", types: [.maintenance], limit: 1000)).count == 26, "the 27th (due day 405) is not open yet")
        // Inspection in year 1 (due 2026-01-01) was opened 30 days ahead, once.
        let inspections = try database.tickets(TicketFilter(elevatorID: "E1", types: [.inspection], limit: 100))
        #expect(inspections.map(\.level) == ["periodic_inspection"] && inspections.map { CivilDate(epochMs: $0.dueAt!) } == [CivilDate("2026-01-01")!])
        #expect(CivilDate(epochMs: inspections[0].openedAt) == CivilDate("2025-12-02"))
        // Without evidence from the elevator, every closure is flagged unverified.
        let closedTickets = try database.tickets(TicketFilter(elevatorID: "E1", statuses: [.closed], types: [.maintenance], limit: 1000))
        #expect(closedTickets.count == 26)
        #expect(closedTickets.allSatisfy { $0.unverified })
    }

    @Test("a pass does not call the ticket engine while fault events are being handed on, and goes on when they are done")
    func passGivesWayToFaults() async throws {
        let database = try database()
        let start = CivilDate("2025-01-01")!
        try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102", contractorID: "C1", commissionedOn: "2025-01-01"), at: start.startEpochMs, by: "test")
        let pass = SchedulerPass(database: database, engine: TicketEngine(database: database, outbox: nil), configuration: SchedulerConfiguration())
        let now = start.adding(days: 12).startEpochMs + 9 * 3_600_000  // 3 days before the first half-monthly visit

        database.priority.enter()  // what the events loop does from taking a fault until its ticket is handed on
        let run = Task { try await pass.run(now: now, withTrends: false) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try database.activeTickets(elevatorID: "E1").isEmpty, "the pass waited")
        database.priority.leave()
        let report = try await run.value
        #expect(report.opened[.maintenance] == 1)
        #expect(try database.activeTickets(elevatorID: "E1").map(\.type) == [.maintenance])
    }

    @Test("inspection and self-test tickets by commissioning year")
    func inspectionYears() async throws {
        let database = try database()
        try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102", contractorID: "C1", commissionedOn: "2019-03-10"), at: 0, by: "test")
        let engine = TicketEngine(database: database, outbox: nil)
        let pass = SchedulerPass(database: database, engine: engine, configuration: SchedulerConfiguration())
        var opened: [String] = []
        var day = CivilDate("2020-01-01")!
        while day <= CivilDate("2027-12-31")! {
            _ = try await pass.run(now: day.startEpochMs, withTrends: false)
            day = day.adding(days: 7)
        }
        for ticket in try database.tickets(TicketFilter(types: [.inspection], limit: 100)) {
            opened.append("\(CivilDate(epochMs: ticket.dueAt!)) \(ticket.level!)")
        }
        #expect(opened == [
            "2020-03-10 periodic_inspection", "2021-03-10 self_test", "2022-03-10 self_test", "2023-03-10 periodic_inspection",
            "2024-03-10 self_test", "2025-03-10 self_test", "2026-03-10 periodic_inspection", "2027-03-10 self_test",
        ])
    }

    @Test("on-demand maintenance stretches to 30 days while online and healthy, and falls back to 15 when a safety fault occurs")
    func onDemandStretchAndFallback() async throws {
        let database = try database()
        let start = CivilDate("2025-01-01")!
        let key = try database.register(
            ElevatorRegistration(elevatorID: "E1", region: "430102", contractorID: "C1", commissionedOn: "2025-01-01", onDemand: true),
            at: start.startEpochMs, by: "test")
        let engine = TicketEngine(database: database, outbox: nil)
        let pass = SchedulerPass(database: database, engine: engine, configuration: SchedulerConfiguration())
        var dues: [(CivilDate, String)] = []
        for offset in 0...120 {
            let today = start.adding(days: offset)
            let now = today.startEpochMs + 9 * 3_600_000
            try heard(database, key, at: now)
            if offset == 70 {
                // A brake fault, repaired the same day: no safety fault for 30 days is needed again.
                var batch = IngestBatch()
                batch.events = [IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102",
                    value: ElevatorEvent(seq: 1, ts: now, kind: .fault, code: "brake_fault", fault: .brakeFault, state: .raised), receivedAt: now)]
                _ = try database.commit(batch)
            }
            _ = try await pass.run(now: now, withTrends: false)
            // The brake fault's safety ticket (opened by the pass's sweep: the event was stored without one) is
            // repaired the same day.
            for ticket in try database.activeTickets(elevatorID: "E1") where ticket.type == .safetyRepair {
                var t = ticket
                for action in [TicketAction.acknowledge, .arrive, .resolve, .close] { t = try await engine.perform(action, on: t.id, by: "c", at: now) }
            }
            for ticket in try database.activeTickets(elevatorID: "E1") where ticket.type == .maintenance && CivilDate(epochMs: ticket.dueAt!) == today {
                var t = ticket
                for action in [TicketAction.acknowledge, .arrive, .resolve, .close] { t = try await engine.perform(action, on: t.id, by: "c", at: now) }
                dues.append((today, ticket.reason))
            }
        }
        let gaps = zip(dues, dues.dropFirst()).map { $0.0.days(to: $1.0) }
        // The first visit comes 15 days after the start (as for every elevator), then 30 days (all conditions hold)
        // until the safety fault on day 70 (2025-03-12): the visit then due (2025-03-17 at 30 days, 2025-03-02 at
        // 15) is due that day; then every 15 days while the fault is under 30 days old.
        #expect(dues.first?.0 == CivilDate("2025-01-16"))
        #expect(gaps.prefix(1) == [30])
        #expect(dues.contains { $0.1.contains("back to 15 days") && $0.1.contains("safety fault on 2025-03-12") })
        #expect(dues.map { "\($0.0)" } == ["2025-01-16", "2025-02-15", "2025-03-12", "2025-03-27", "2025-04-11"], "\(dues.map(\.0))")
        #expect(gaps == [30, 25, 15, 15], "15 days while the safety fault is under 30 days old")
    }

    @Test("a maintenance ticket closed with a visit or maintenance mode in its window is verified; without, unverified")
    func unverifiedClosure() async throws {
        let database = try database()
        let t0 = CivilDate("2025-01-01")!.startEpochMs
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102", contractorID: "C1", commissionedOn: "2025-01-01"), at: t0, by: "test")
        let engine = TicketEngine(database: database, outbox: nil)
        let opened = try #require(try await engine.open(Ticket(elevatorID: "E1", region: "430102", contractorID: "C1", type: .maintenance, openedAt: t0, deadlines: .init(due: t0 + 3 * Self.day), level: "half_month", reason: "due")))
        var ticket = opened
        for action in [TicketAction.acknowledge, .arrive, .resolve] { ticket = try await engine.perform(action, on: ticket.id, by: "c", at: t0 + Self.day) }
        #expect(try await engine.perform(.close, on: ticket.id, by: "c", at: t0 + Self.day).unverified, "no visit on record")

        var second = try #require(try await engine.open(Ticket(elevatorID: "E1", region: "430102", contractorID: "C1", type: .maintenance, openedAt: t0 + 2 * Self.day, deadlines: .init(due: t0 + 5 * Self.day), level: "half_month", reason: "due")))
        var batch = IngestBatch()
        batch.telemetry = [IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102", value: TelemetrySample(seq: 5, ts: t0 + 2 * Self.day + 3_600_000, mode: .maintenance), receivedAt: t0)]
        _ = try database.commit(batch)
        for action in [TicketAction.acknowledge, .arrive, .resolve] { second = try await engine.perform(action, on: second.id, by: "c", at: t0 + 3 * Self.day) }
        #expect(try await !engine.perform(.close, on: second.id, by: "c", at: t0 + 3 * Self.day).unverified, "the controller was in maintenance mode")
    }

    @Test("a degrading door operator opens one predictive ticket with the figures")
    func predictiveTicket() async throws {
        let database = try database()
        let now = CivilDate("2025-03-01")!.startEpochMs
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102", contractorID: "C1", commissionedOn: "2024-01-01"), at: 0, by: "test")
        var batch = IngestBatch()
        var seq: UInt64 = 0
        for dayIndex in 0..<37 {
            let dayStart = now - Int64(37 - dayIndex) * Self.day
            let closing = dayIndex < 30 ? 3000.0 : 3700.0  // the last week 23 % slower
            for i in 0..<60 {
                seq += 1
                batch.telemetry.append(IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102",
                    value: TelemetrySample(seq: seq, ts: dayStart + Int64(i) * 60_000, doorCloseMs: closing + Double(i % 5)), receivedAt: dayStart))
            }
        }
        _ = try database.commit(batch)
        while try database.updateRollups() > 0 {}
        let engine = TicketEngine(database: database, outbox: nil)
        let pass = SchedulerPass(database: database, engine: engine, configuration: SchedulerConfiguration())
        let report = try await pass.run(now: now, withTrends: true)
        #expect(report.opened[.predictive] == 1)
        let ticket = try #require(try database.tickets(TicketFilter(types: [.predictive])).first)
        #expect(ticket.signal == "door_close_time" && ticket.reason.contains("door-closing time rising") && ticket.reason.contains("+23 %"))
        #expect(ticket.resolveDueAt == now + 7 * Self.day)
        #expect(try await pass.run(now: now + 3_600_000, withTrends: true).opened.isEmpty, "opened once")
        let health = try HealthEvaluator(database: database, configuration: SchedulerConfiguration()).health(of: try #require(try database.elevator("E1")), now: now)
        #expect(health.state == .offline && health.reasons.contains { $0.contains("degrading signal") })
    }

    @Test("a webhook receiver can verify the HMAC-SHA256 signature of each ticket it receives")
    func webhookSignature() async throws {
        let database = try database()
        try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102", contractorID: "C1"), at: 0, by: "test")
        let received = ReceivedRequests()
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            let header = { (name: String) in request.headers[.init(name)!] ?? "" }
            received.append(
                Array(buffer: body), signature: header("X-LiftWatch-Signature"),
                signed: "\(header("X-LiftWatch-Timestamp")).\(header("X-LiftWatch-Delivery")).")
            return .noContent
        }
        let (port, server) = try await TestHTTPServer.start(router)
        let secret = "s3cret-for-C1"
        try database.setWebhook(Webhook(contractorID: "C1", url: "http://127.0.0.1:\(port)/hook", secret: secret), at: 0, by: "test")
        let engine = TicketEngine(database: database, outbox: nil)
        try await engine.open(Ticket(elevatorID: "E1", region: "430102", contractorID: "C1", type: .repair, openedAt: 1_000, reason: "door"))
        var configuration = WebhookService.Configuration()
        configuration.allowPrivateTargets = true  // the test's receiver is on loopback
        let service = WebhookService(database: database, clock: EpochClock { 2_000 }, configuration: configuration)
        let client = WebhookService.makeClient()
        #expect(try await service.deliverDue(client: client) == 1)
        try await client.shutdown()
        server.cancel()
        let (body, signature, prefix) = try #require(received.all.first)
        let id = try #require(try database.webhookDeliveries(contractorID: "C1").first?.id)
        #expect(prefix == "2000.\(id).", "timestamp and delivery id headers")
        // What a receiver does: HMAC "<timestamp>.<delivery id>.<raw body>" with the shared secret and compare.
        let signed = Array(prefix.utf8) + body
        let expected = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Array(secret.utf8)))
        #expect(signature == "sha256=" + expected.map { String(format: "%02x", $0) }.joined())
        #expect(HMAC<SHA256>.isValidAuthenticationCode(Data(hex: String(signature.dropFirst(7)))!, authenticating: signed, using: SymmetricKey(data: Array(secret.utf8))))
        // The body alone no longer verifies: a replayed body with another timestamp is refused by a receiver.
        #expect(!HMAC<SHA256>.isValidAuthenticationCode(Data(hex: String(signature.dropFirst(7)))!, authenticating: body, using: SymmetricKey(data: Array(secret.utf8))))
        let ticket = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        #expect(ticket?["elevator_id"] as? String == "E1" && ticket?["type"] as? String == "repair")
        #expect(try database.webhookDeliveries(contractorID: "C1").map(\.status) == ["delivered"])
    }

    @Test("a failing webhook is retried with backoff and the attempts are logged")
    func webhookRetries() async throws {
        let database = try database()
        try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102", contractorID: "C1"), at: 0, by: "test")
        let router = Router()
        router.post("/busy") { _, _ -> HTTPResponse.Status in .serviceUnavailable }
        let (port, server) = try await TestHTTPServer.start(router)
        defer { server.cancel() }
        try database.setWebhook(Webhook(contractorID: "C1", url: "http://127.0.0.1:\(port)/busy", secret: "x"), at: 0, by: "test")
        let engine = TicketEngine(database: database, outbox: nil)
        try await engine.open(Ticket(elevatorID: "E1", region: "430102", contractorID: "C1", type: .repair, openedAt: 1_000, reason: "door"))
        let clock = ManualEpochClock(1_000)
        var configuration = WebhookService.Configuration()
        configuration.allowPrivateTargets = true
        let service = WebhookService(database: database, clock: clock.clock, configuration: configuration)
        let client = WebhookService.makeClient()
        #expect(try await service.deliverDue(client: client) == 0)
        #expect(try await service.deliverDue(client: client) == 0)
        let first = try #require(try database.webhookDeliveries(contractorID: "C1").first)
        #expect(first.attempts == 1 && first.status == "pending" && first.nextAttemptAt == 1_000 + 2_000 && first.lastStatus == 503)
        clock.set(3_000)
        _ = try await service.deliverDue(client: client)
        #expect(try database.webhookDeliveries(contractorID: "C1").first?.nextAttemptAt == 3_000 + 4_000)
        try await client.shutdown()
    }
}

final class ReceivedRequests: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [([UInt8], String, String)] = []
    func append(_ body: [UInt8], signature: String, signed prefix: String) { lock.withLock { items.append((body, signature, prefix)) } }
    var all: [([UInt8], String, String)] { lock.withLock { items } }
}

extension Data {
    init?(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) ?? hex.endIndex
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
