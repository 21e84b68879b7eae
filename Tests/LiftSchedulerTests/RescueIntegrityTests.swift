import Foundation
import GRDB
import LiftCore
import LiftMQTT
@testable import LiftStore
import Synchronization
import Testing
@testable import LiftScheduler

/// Issue 23: no entrapment lost, hidden or mis-timed because of LiftWatch. Real mosquitto and SQLite files.
@Suite("Rescue integrity over a real broker", .serialized)
struct RescueIntegrityTests {
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000

    /// Another connection to the same file holding SQLite's write lock (as a CLI import does) until released.
    final class CompetingWriter: @unchecked Sendable {
        private let release = DispatchSemaphore(value: 0)
        private let held = DispatchSemaphore(value: 0)
        private let done = DispatchSemaphore(value: 0)
        private let thread: Thread

        init(path: String) throws {
            let queue = try DatabaseQueue(path: path)
            let release = self.release, held = self.held, done = self.done
            thread = Thread {
                try? queue.inTransaction(.immediate) { db in
                    try db.execute(sql: "CREATE TABLE IF NOT EXISTS import_scratch(x)")
                    held.signal()
                    release.wait()
                    return .commit
                }
                try? queue.close()
                done.signal()
            }
            thread.start()
            held.wait()
        }

        /// Lets go of the lock and returns once the other connection has committed and closed.
        func stop() {
            release.signal()
            done.wait()
        }
    }

    @Test("a fault committed while another writer holds the database past every retry is ticketed by the next sweep, from its arrival")
    func busyDatabaseThenSweep() async throws {
        let h = try await SchedulerHarness(handOff: false, busyTimeout: 0.1, engineBusyRetry: .milliseconds(300))
        try h.register("E1")
        let arrival = h.clock.now
        try await h.fault("E1", "entrapment_between_floors", at: arrival, occupied: true)
        try await h.eventually("the fault stored") { try h.database.events("E1").count == 1 }
        let event = try #require(try h.database.unticketedFaults(receivedBefore: .max).first)

        // The hand-off, while a CLI import holds the database: the ticket cannot be written.
        let writer = try CompetingWriter(path: h.database.path)
        await h.engine.handle([event])
        #expect(try h.database.tickets(TicketFilter(elevatorID: "E1")).isEmpty)
        #expect(h.database.writeHealth.failure?.resultCode == 5, "SQLITE_BUSY kept as the cause")
        writer.stop()

        // The next scheduler pass, 40 s later, finds the stored fault without its ticket.
        h.clock.set(arrival + 40_000)
        let report = try await h.pass.run(now: h.clock.now, withTrends: false, withSchedule: false)
        #expect(report.recovered == 1)
        let ticket = try #require(try h.database.tickets(TicketFilter(elevatorID: "E1")).first)
        #expect(ticket.type == .rescue && ticket.openedAt == arrival && ticket.ackDueAt == arrival + 3 * Self.minute)
        #expect(ticket.reason.contains("ticketed by the sweep 40 s after arrival"))
        try await h.eventually("the rescue on the contractor topic") { h.inbox.on("contractor/C1/tickets").count == 1 }
        #expect(h.database.writeHealth.failure == nil)
        // Swept once: a second pass finds nothing.
        #expect(try await h.pass.run(now: h.clock.now + 10_000, withTrends: false, withSchedule: false).recovered == 0)
        let all = try h.database.tickets(TicketFilter(elevatorID: "E1")).map { "\($0.type.rawValue) \($0.status.rawValue) \($0.reason)" }
        #expect(all.count == 1, "\(all)")
        await h.shutdown()
    }

    @Test("a ticket waiting for a busy database is written as soon as the other writer lets go")
    func busyDatabaseRetried() async throws {
        // Retries outlast the other writer by far, however slowly this machine runs the test.
        let h = try await SchedulerHarness(handOff: false, busyTimeout: 0.1, engineBusyRetry: .seconds(60))
        try h.register("E1")
        try await h.fault("E1", "brake_fault")
        try await h.eventually("the fault stored") { try h.database.events("E1").count == 1 }
        let event = try #require(try h.database.unticketedFaults(receivedBefore: .max).first)
        let writer = try CompetingWriter(path: h.database.path)
        let handled = Task { await h.engine.handle([event]) }
        try await Task.sleep(for: .milliseconds(600))
        #expect(try h.database.tickets(TicketFilter(elevatorID: "E1")).isEmpty)
        writer.stop()
        await handled.value
        #expect(try h.database.tickets(TicketFilter(elevatorID: "E1")).map(\.type) == [.safetyRepair])
        #expect(try h.database.unticketedFaults(receivedBefore: .max).isEmpty)
        await h.shutdown()
    }

    @Test("a process that dies between the fault's commit and its ticket: the next start's first pass opens and sends it")
    func killBetweenCommitAndTicket() async throws {
        // `handOff: false`: ingestion commits and nothing follows, as when the process is killed right there.
        let h = try await SchedulerHarness(handOff: false)
        try h.register("E1")
        let arrival = h.clock.now
        try await h.fault("E1", "entrapment_at_floor", at: arrival - 2 * Self.hour, occupied: true)
        try await h.eventually("the fault stored") { try h.database.events("E1").count == 1 }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try h.database.tickets(TicketFilter(elevatorID: "E1")).isEmpty)
        #expect(h.inbox.on("contractor/C1/tickets").isEmpty)

        // The restarted service: a new engine and dispatcher on the same file, its first pass.
        let outbox = OutboxDispatcher(database: h.database, transport: OutboxDispatcher.transport(over: h.liftwatch))
        let engine = TicketEngine(database: h.database, outbox: outbox, clock: h.clock.clock)
        let pass = SchedulerPass(database: h.database, engine: engine, configuration: h.configuration)
        h.clock.set(arrival + 5_000)
        #expect(try await pass.run(now: h.clock.now, withTrends: false).recovered == 1)
        try await h.eventually("the ticket on the contractor topic") { h.inbox.on("contractor/C1/tickets").count == 1 }
        try await h.eventually("the alert on the region's topic") { h.inbox.on("regulator/430102/alerts").count == 1 }
        let published = h.inbox.on("contractor/C1/tickets")[0]
        #expect(published["opened_at"] as? Int64 == arrival && published["fault_at"] as? Int64 == arrival - 2 * Self.hour)
        await h.shutdown()
    }

    @Test("messages queued while the broker could not take them are published by the next dispatcher, and recorded delivered")
    func outboxSurvivesRestart() async throws {
        let h = try await SchedulerHarness(handOff: false)
        try h.register("E1")
        try await h.fault("E1", "safety_circuit_open")
        try await h.eventually("the fault stored") { try h.database.events("E1").count == 1 }
        // The first process: its transport refuses every message (the broker is away), then it dies.
        struct Away: Error {}
        let refusing = OutboxDispatcher(database: h.database, transport: { _, _ in throw Away() })
        let first = TicketEngine(database: h.database, outbox: refusing, clock: h.clock.clock)
        await first.handle(try h.database.unticketedFaults(receivedBefore: .max))
        try refusing.flush()
        #expect(try h.database.outbox.pendingCount() == 2, "the ticket and the regulator's alert wait in the outbox")
        try await Task.sleep(for: .milliseconds(300))
        #expect(h.inbox.on("contractor/C1/tickets").isEmpty)

        // The next process's dispatcher.
        let second = OutboxDispatcher(database: h.database, transport: OutboxDispatcher.transport(over: h.liftwatch), interval: .milliseconds(100))
        let running = Task { try await second.run() }
        try await h.eventually("the ticket on the contractor topic") { h.inbox.on("contractor/C1/tickets").count == 1 }
        try await h.eventually("the alert") { h.inbox.on("regulator/430102/alerts").count == 1 }
        try await h.eventually("both recorded delivered") { try h.database.outbox.pendingCount() == 0 }
        running.cancel()
        await h.shutdown()
    }

    @Test("a ticket message retried after the broker came back never overtakes a later state of its ticket")
    func retriesKeepTicketOrder() async throws {
        let h = try await SchedulerHarness(handOff: false)
        try h.register("E1")
        try await h.fault("E1", "safety_circuit_open")
        try await h.eventually("the fault stored") { try h.database.events("E1").count == 1 }
        // The broker is away while the ticket opens and the contractor acknowledges it over the API.
        struct Away: Error {}
        let refusing = OutboxDispatcher(database: h.database, transport: { _, _ in throw Away() })
        let first = TicketEngine(database: h.database, outbox: refusing, clock: h.clock.clock)
        await first.handle(try h.database.unticketedFaults(receivedBefore: .max))
        let ticket = try #require(try h.database.activeTickets(elevatorID: "E1").first)
        _ = try await first.perform(.acknowledge, on: ticket.id, by: "C1", at: h.clock.now + 60_000)
        try refusing.flush()
        #expect(try h.database.outbox.pendingCount() == 2, "the acknowledged ticket and the regulator's alert; the opened snapshot is superseded")

        let second = OutboxDispatcher(database: h.database, transport: OutboxDispatcher.transport(over: h.liftwatch), interval: .milliseconds(100))
        let running = Task { try await second.run() }
        try await h.eventually("the alert") { h.inbox.on("regulator/430102/alerts").count == 1 }
        try await h.eventually("the ticket") { !h.inbox.on("contractor/C1/tickets").isEmpty }
        try await h.eventually("recorded delivered") { try h.database.outbox.pendingCount() == 0 }
        running.cancel()
        try await Task.sleep(for: .milliseconds(200))
        // Only the ticket as it stands went out: never "open" after "acknowledged".
        #expect(h.inbox.on("contractor/C1/tickets").map { $0["status"] as? String } == ["acknowledged"])
        #expect(h.inbox.on("contractor/C1/tickets").first?["revision"] as? Int64 == 2)
        try h.database.outbox.prune(now: h.clock.now + 120_000)
        let rows = try h.database.read { db in
            try Row.fetchAll(db, sql: "SELECT delivered_at, superseded_at FROM mqtt_outbox WHERE topic = 'contractor/C1/tickets' ORDER BY id")
        }
        try #require(rows.count == 2)
        #expect((rows[0]["superseded_at"] as Int64?) != nil && (rows[0]["delivered_at"] as Int64?) == nil, "the opened snapshot: superseded, never sent")
        #expect((rows[1]["delivered_at"] as Int64?) != nil)
        await h.shutdown()
    }

    @Test("deadlines run from arrival: a controller clock hours off neither breaches a ticket at once nor hides a breach")
    func deadlinesFromArrival() async throws {
        let h = try await SchedulerHarness()
        try h.register("E1")
        try h.register("E2")
        let now = h.clock.now
        // Three hours behind: before v1.1 every deadline had passed on arrival.
        try await h.fault("E1", "entrapment_at_floor", at: now - 3 * Self.hour, occupied: true)
        // Twenty hours ahead: before, the deadlines lay a day away and a breach went unseen.
        try await h.fault("E2", "brake_fault", at: now + 20 * Self.hour)
        try await h.eventually("two tickets") { try h.database.activeTickets().count == 2 }
        let rescue = try #require(try h.database.activeTickets(elevatorID: "E1").first)
        #expect(rescue.openedAt == now && rescue.faultAt == now - 3 * Self.hour)
        #expect(rescue.ackDueAt == now + 3 * Self.minute && rescue.onSiteDueAt == now + 30 * Self.minute)
        #expect(!rescue.overdue && rescue.breaches.isEmpty)
        let safety = try #require(try h.database.activeTickets(elevatorID: "E2").first)
        #expect(safety.openedAt == now && safety.ackDueAt == now + 15 * Self.minute)
        // 16 minutes after arrival the safety ticket's acknowledgement is late, whatever the controller's clock said.
        #expect(try await h.pass.run(now: now + 16 * Self.minute, withTrends: false).escalated == 2)
        #expect(try h.database.activeTickets(elevatorID: "E2").first?.breaches == ["acknowledge"])
        try await h.eventually("published") { h.inbox.on("contractor/C1/tickets").contains { ($0["elevator_id"] as? String) == "E1" } }
        let published = try #require(h.inbox.on("contractor/C1/tickets").first { ($0["elevator_id"] as? String) == "E1" })
        #expect(published["fault_at"] as? Int64 == now - 3 * Self.hour && published["opened_at"] as? Int64 == now)
        await h.shutdown()
    }

    @Test("a contract-shaped controller that says nothing of the car on its alarm or power failure gets a rescue when its telemetry shows someone inside")
    func rescueFromTelemetry() async throws {
        let h = try await SchedulerHarness()
        for id in ["E1", "E2", "E3", "E4"] { try h.register(id) }
        // Telemetry, then at once the event, as a stranger's controller sends them.
        try await h.telemetry("E1", #""occupied":true,"speed":0,"direction":"idle""#)
        try await h.event("E1", #""kind":"alarm","code":"alarm_button""#)
        try await h.telemetry("E2", #""occupied":true,"speed":0"#)
        try await h.event("E2", #""kind":"fault","code":"power_failure","state":"raised""#)
        // Moving and occupied: the alarm is not a rescue; empty car without power: a repair.
        try await h.telemetry("E3", #""occupied":true,"speed":1.0,"direction":"up""#)
        try await h.event("E3", #""kind":"alarm","code":"alarm_button""#)
        try await h.telemetry("E4", #""occupied":false,"speed":0"#)
        try await h.event("E4", #""kind":"fault","code":"power_failure","state":"raised""#)
        // The periodic test call of the remote alarm opens nothing.
        try await h.event("E4", #""kind":"alarm","code":"alarm_test""#)
        try await h.eventually("four tickets") { try h.database.activeTickets().count == 4 }
        try await Task.sleep(for: .milliseconds(300))
        let types = Dictionary(uniqueKeysWithValues: try h.database.activeTickets().map { ($0.elevatorID, $0.type) })
        #expect(types == ["E1": .rescue, "E2": .rescue, "E3": .minorRepair, "E4": .repair])
        let alarm = try #require(try h.database.activeTickets(elevatorID: "E1").first)
        #expect(alarm.fault == .alarmButton && alarm.reason.contains("occupied true (latest telemetry"))
        #expect(try h.database.events("E4").count == 2, "the test call is recorded")
        // The figures follow the same classes: two faults that trapped people.
        let kpis = try h.database.kpis(KPIReport.Scope(region: "4301", from: h.clock.now - Self.hour, to: h.clock.now + Self.hour), now: h.clock.now)
        #expect(kpis.faultsByClass == ["rescue": 2, "minor": 1, "repair": 1])
        #expect(kpis.entrapments == 2)
        await h.shutdown()
    }

    @Test("when the contract moves, active tickets move with a step; both contractors hear of it and only the new one may act")
    func ticketsFollowTheContract() async throws {
        let h = try await SchedulerHarness()
        try h.register("E1", contractor: "C-OLD")
        try await h.fault("E1", "door_close_failure")
        try await h.eventually("repair ticket") { try h.database.activeTickets(elevatorID: "E1").count == 1 }
        let ticket = try #require(try h.database.activeTickets(elevatorID: "E1").first)
        #expect(ticket.contractorID == "C-OLD")
        try h.database.assignContractor("C-NEW", to: "E1", from: h.clock.now, at: h.clock.now, by: "admin:token-1")
        let moved = try #require(try h.database.ticket(ticket.id))
        #expect(moved.contractorID == "C-NEW" && moved.status == .open)
        let step = try #require(try h.database.ticketSteps(ticket.id).last)
        #expect(step.action == "reassign" && step.actor == "admin:token-1" && step.note?.contains("from C-OLD to C-NEW") == true)
        // The store queued the messages in the change's transaction; the dispatcher sends them.
        try h.outbox.sendDue()
        try await h.eventually("the new contractor told") { h.inbox.on("contractor/C-NEW/tickets").count == 1 }
        try await h.eventually("the former contractor told") { h.inbox.on("contractor/C-OLD/tickets").count == 2 }
        #expect(h.inbox.on("contractor/C-OLD/tickets").last?["contractor_id"] as? String == "C-NEW")
        // The former contractor can no longer act on it; the new one can.
        await #expect(throws: TicketEngineError.self) {
            try await h.engine.perform(.acknowledge, on: ticket.id, as: Principal(tokenID: 7, role: .contractor, contractorID: "C-OLD"), at: h.clock.now)
        }
        #expect(try await h.engine.perform(.acknowledge, on: ticket.id, as: Principal(tokenID: 8, role: .contractor, contractorID: "C-NEW"), at: h.clock.now).status == .acknowledged)
        await h.shutdown()
    }

    @Test("a contractor cannot cancel a rescue or safety ticket; an admin's cancellation is a step with its reason, alerted to the region")
    func cancellingRules() async throws {
        let h = try await SchedulerHarness()
        try h.register("E1")
        try await h.fault("E1", "entrapment_at_floor", occupied: true)
        try await h.fault("E1", "button_stuck")
        try await h.eventually("two tickets") { try h.database.activeTickets(elevatorID: "E1").count == 2 }
        let rescue = try #require(try h.database.activeTickets(elevatorID: "E1").first { $0.type == .rescue })
        let minor = try #require(try h.database.activeTickets(elevatorID: "E1").first { $0.type == .minorRepair })
        let contractor = Principal(tokenID: 3, role: .contractor, contractorID: "C1")
        do {
            _ = try await h.engine.perform(.cancel, on: rescue.id, as: contractor, note: "false alarm", at: h.clock.now)
            Issue.record("a contractor cancelled a rescue")
        } catch TicketEngineError.forbidden(let reason) {
            #expect(reason.contains("may not cancel a rescue ticket"))
        }
        #expect(try h.database.ticket(rescue.id)?.status == .open)
        // Its own minor repair, with a reason: allowed, and the region hears of it.
        #expect(try await h.engine.perform(.cancel, on: minor.id, as: contractor, note: "button replaced before the visit", at: h.clock.now).status == .cancelled)
        let admin = Principal(tokenID: 1, role: .admin)
        #expect(try await h.engine.perform(.cancel, on: rescue.id, as: admin, note: "duplicate of a 96366 call handled on site", at: h.clock.now).status == .cancelled)
        let steps = try h.database.ticketSteps(rescue.id)
        #expect(steps.last?.action == "cancel" && steps.last?.actor == "admin:token-1" && steps.last?.note == "duplicate of a 96366 call handled on site")
        try await h.eventually("cancellations on the alerts topic") {
            h.inbox.on("regulator/430102/alerts").compactMap { $0["alert"] as? String }.filter { $0.contains("cancelled") }.count == 2
        }
        let alerts = h.inbox.on("regulator/430102/alerts").compactMap { $0["alert"] as? String }
        #expect(alerts.contains("rescue ticket cancelled by admin:token-1: duplicate of a 96366 call handled on site"))
        let kpis = try h.database.kpis(KPIReport.Scope(region: "43", from: h.clock.now - Self.hour, to: h.clock.now + Self.hour), now: h.clock.now)
        #expect(kpis.rescueTickets == 1 && kpis.rescueTicketsCancelled == 1)
        await h.shutdown()
    }

    @Test("a fault raised a thousand times counts a thousand occurrences on one ticket, with a message and a step per doubling only")
    func occurrencesFold() async throws {
        let h = try await SchedulerHarness()
        try h.register("E1")
        let first = try #require(try await {
            try await h.fault("E1", "door_obstructed")
            try await h.eventually("ticket") { try h.database.activeTickets(elevatorID: "E1").count == 1 }
            return try h.database.activeTickets(elevatorID: "E1").first
        }())
        // Stored and handed to the engine as ingestion does (the per-elevator rate limit would cut a flood this
        // fast at the door; this is what a slower one adds up to).
        let key = try #require(try h.database.elevator("E1")).key
        var batch = IngestBatch()
        for seq in 2...1_000 {
            batch.events.append(IngestBatch.Item(elevator: key, elevatorID: "E1", region: "430102", value: ElevatorEvent(
                seq: UInt64(seq) + 100, ts: h.clock.now, kind: .fault, code: "door_obstructed", fault: .doorObstructed, state: .raised),
                receivedAt: h.clock.now))
        }
        await h.engine.handle(try h.database.commit(batch).newEvents)
        let ticket = try #require(try h.database.ticket(first.id))
        #expect(ticket.occurrences == 1_000)
        #expect(ticket.repeat)
        let steps = try h.database.ticketSteps(first.id).filter { $0.action == "occurrence" }
        // Told at the 2nd (which also made it repeat), 4th, 8th … 512th: nine steps, nine messages, one alert.
        #expect(steps.count == 9, "\(steps.count) occurrence steps")
        try await h.eventually("messages") { h.inbox.on("contractor/C1/tickets").count == 10 }
        try await Task.sleep(for: .milliseconds(300))
        #expect(h.inbox.on("contractor/C1/tickets").count == 10)
        #expect(h.inbox.on("regulator/430102/alerts").compactMap { $0["alert"] as? String } == ["repeat fault door_obstructed"])
        #expect(try h.database.auditEntries(subject: "ticket:\(first.id)").count == 10, "the opening and nine steps, not a thousand")
        await h.shutdown()
    }

    @Test("an alarm that opened a minor repair becomes a rescue when it is pressed again in a stopped, occupied car")
    func escalationOfAnOpenTicket() async throws {
        let h = try await SchedulerHarness()
        try h.register("E1")
        try await h.event("E1", #""kind":"alarm","code":"alarm_button","occupied":true,"speed":1.2"#)
        try await h.eventually("minor repair") { try h.database.activeTickets(elevatorID: "E1").first?.type == .minorRepair }
        let minor = try #require(try h.database.activeTickets(elevatorID: "E1").first)
        h.clock.advance(byMilliseconds: 10 * Self.minute)
        try await h.event("E1", #""kind":"alarm","code":"alarm_button","occupied":true,"speed":0"#)
        try await h.eventually("the same ticket, now a rescue") { try h.database.ticket(minor.id)?.type == .rescue }
        let rescue = try #require(try h.database.ticket(minor.id))
        #expect(rescue.priority == 1 && rescue.openedAt == h.clock.now && rescue.ackDueAt == h.clock.now + 3 * Self.minute && rescue.occurrences == 2)
        #expect(try h.database.ticketSteps(minor.id).last?.action == "escalate")
        try await h.eventually("the regulator told") {
            h.inbox.on("regulator/430102/alerts").contains { ($0["alert"] as? String) == "rescue ticket opened (was minor_repair ticket \(minor.id))" }
        }
        #expect(try h.database.activeTickets(elevatorID: "E1").count == 1)
        await h.shutdown()
    }

    @Test("an alarm classed minor for want of telemetry becomes a rescue when telemetry received just after shows someone trapped")
    func revisionFromLaterTelemetry() async throws {
        let h = try await SchedulerHarness()
        try h.register("E1")
        // Nothing known of the car when the alarm arrives: minor, provisionally.
        try await h.event("E1", #""kind":"alarm","code":"alarm_button""#)
        try await h.eventually("minor repair") { try h.database.activeTickets(elevatorID: "E1").first?.type == .minorRepair }
        let ticket = try #require(try h.database.activeTickets(elevatorID: "E1").first)
        let arrival = ticket.openedAt
        // The controller's telemetry, published before the alarm, arrives 2 s after it.
        h.clock.advance(byMilliseconds: 2_000)
        try await h.telemetry("E1", #""occupied":true,"speed":0"#)
        try await h.eventually("escalated to a rescue") { try h.database.ticket(ticket.id)?.type == .rescue }
        let rescue = try #require(try h.database.ticket(ticket.id))
        #expect(rescue.openedAt == arrival && rescue.ackDueAt == arrival + 3 * Self.minute, "deadlines from the alarm's arrival")
        #expect(try h.database.ticketSteps(ticket.id).last?.note?.contains("telemetry received after the fault") == true)
        let kpis = try h.database.kpis(KPIReport.Scope(region: "4301", from: arrival - Self.hour, to: arrival + Self.hour), now: h.clock.now)
        #expect(kpis.entrapments == 1, "the figures use the revised class")
        await h.shutdown()
    }

    @Test("a contract change dated ahead moves the active tickets when its day comes")
    func futureContractMovesTickets() async throws {
        let h = try await SchedulerHarness()
        try h.register("E1", contractor: "C-OLD")
        try await h.fault("E1", "door_close_failure")
        try await h.eventually("repair ticket") { try h.database.activeTickets(elevatorID: "E1").count == 1 }
        let ticket = try #require(try h.database.activeTickets(elevatorID: "E1").first)
        let start = h.clock.now
        try h.database.assignContractor("C-NEW", to: "E1", from: start + 86_400_000, at: start, by: "admin:token-1")
        #expect(try h.database.ticket(ticket.id)?.contractorID == "C-OLD", "not before the contract starts")
        #expect(try await h.pass.run(now: start + 3_600_000, withTrends: false, withSchedule: false).reassigned == 0)
        // The repair ticket, and the communication ticket the first pass opened (the elevator has been silent since).
        #expect(try await h.pass.run(now: start + 86_400_000 + 1, withTrends: false, withSchedule: false).reassigned == 2)
        #expect(try h.database.activeTickets(elevatorID: "E1").allSatisfy { $0.contractorID == "C-NEW" })
        #expect(try h.database.ticket(ticket.id)?.contractorID == "C-NEW")
        try await h.eventually("the new contractor told") { !h.inbox.on("contractor/C-NEW/tickets").isEmpty }
        await h.shutdown()
    }
}
