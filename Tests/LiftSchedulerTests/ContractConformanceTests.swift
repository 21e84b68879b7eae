import Foundation
import LiftCore
@testable import LiftIngest
import LiftStore
import Testing
@testable import LiftScheduler

/// Issue 28: deviations from the contract a section-by-section reading found.
@Suite("Contract conformance: evidence, replay, inspections, on-demand")
struct ContractConformanceTests {
    static let day: Int64 = 86_400_000

    func database() throws -> LiftDatabase {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conformance-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try LiftDatabase(path: directory + "/liftwatch.sqlite")
    }

    @Test("a visit shown only by telemetry of a day already compacted still verifies the maintenance ticket")
    func evidenceOnCompactedDays() async throws {
        let database = try database()
        let day0 = CivilDate("2026-11-02")!.startEpochMs
        let key = try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102", contractorID: "C1"), at: 0, by: "test")
        let engine = TicketEngine(database: database, outbox: nil)
        let ticket = try #require(try await engine.open(Ticket(
            elevatorID: "E1", region: "430102", contractorID: "C1", type: .maintenance, openedAt: day0, deadlines: .init(due: day0 + 3 * Self.day),
            level: "half_month", reason: "half-monthly")))
        // The technician's visit: the controller in maintenance mode for ten minutes on day 1, nothing else.
        var batch = IngestBatch()
        for minute in 0..<10 {
            let ts = day0 + Self.day + 10 * 3_600_000 + Int64(minute) * 60_000
            batch.telemetry.append(.init(elevator: key, elevatorID: "E1", region: "430102",
                                         value: TelemetrySample(seq: UInt64(minute + 1), ts: ts, mode: .maintenance), receivedAt: ts))
        }
        _ = try database.commit(batch)
        // The daily compaction has moved day 1 into a chunk before the ticket is closed on day 3.
        #expect(try database.compact(before: day0 + 3 * Self.day).chunksWritten == 1)
        #expect(try database.storageReport().hotSamples == 0)
        var t = ticket
        for action in [TicketAction.acknowledge, .arrive, .resolve, .close] {
            t = try await engine.perform(action, on: t.id, by: "contractor:C1", at: day0 + 3 * Self.day)
        }
        #expect(t.status == .closed && !t.unverified)
    }

    @Test("a fault dead-lettered for an unregistered elevator and replayed after registration gets its ticket, from the replay, in its region's numbering")
    func replayActsLikeArrival() async throws {
        let database = try database()
        let received: Int64 = 1_795_000_000_000
        // The fault arrived while the elevator was not registered: number 9 of platform municipal-b is an entrapment there.
        var batch = IngestBatch()
        batch.deadLetters = [NewDeadLetter(
            topic: "lift/430102/LATE/event", payload: Array(#"{"seq":7,"ts":\#(received - 5_000),"kind":"fault","code":"9","state":"raised","occupied":true}"#.utf8),
            receivedAt: received, rejection: Rejection(.unregistered, "elevator LATE is not registered"), elevatorID: "LATE")]
        _ = try database.commit(batch)
        try database.register(ElevatorRegistration(elevatorID: "LATE", region: "430102", contractorID: "C1"), at: received + 60_000, by: "test")
        let maps = ["default": FaultCodeMap.standard, "municipal-b": FaultCodeMap(platform: "municipal-b", keysByNumber: [9: .entrapmentAtFloor])]
        let replayAt = received + 3_600_000
        let replayer = DeadLetterReplayer(database: database, clock: EpochClock { replayAt }, faultCodeMaps: maps, regionPlatforms: ["4301": "municipal-b"])
        let (summary, result) = try replayer.replay()
        #expect(summary.accepted == 1)
        let engine = TicketEngine(database: database, outbox: nil)
        await engine.handle(result.newEvents)
        let ticket = try #require(try database.activeTickets(elevatorID: "LATE").first)
        #expect(ticket.fault == .entrapmentAtFloor && ticket.type == .rescue)
        #expect(ticket.openedAt == replayAt && ticket.faultAt == received - 5_000 && ticket.ackDueAt == replayAt + 3 * 60_000)
        // An old message says nothing of whether the elevator is online now.
        #expect(try database.elevator("LATE")?.lastSeen == nil)
        // Replayed again: a duplicate, and nothing new.
        #expect(try replayer.replay().0.replayed == 0)
        #expect(try database.tickets(TicketFilter(elevatorID: "LATE")).count == 1)
    }

    @Test("a replay is not rate-limited: a hundred of one elevator's events, dead-lettered while it was unknown, all pass")
    func replayIsNotRateLimited() async throws {
        let database = try database()
        let now: Int64 = 1_795_000_000_000
        var batch = IngestBatch()
        for seq in 1...100 {
            batch.deadLetters.append(NewDeadLetter(
                topic: "lift/430102/E1/event", payload: Array(#"{"seq":\#(seq),"ts":\#(now),"kind":"mode","code":"normal"}"#.utf8),
                receivedAt: now, rejection: Rejection(.unregistered, "not yet"), elevatorID: "E1"))
        }
        _ = try database.commit(batch)
        try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102"), at: now, by: "test")
        let (summary, _) = try DeadLetterReplayer(database: database, clock: EpochClock { now + 1_000 }).replay()
        #expect(summary.accepted == 100 && summary.rejectedAgain == 0)
        #expect(try database.events("E1").count == 100)
    }

    @Test("a fault replayed by a process that hands nothing on is ticketed by the next pass all the same")
    func replayedFaultSwept() async throws {
        let database = try database()
        let now: Int64 = 1_795_000_000_000
        try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102", contractorID: "C1"), at: 0, by: "test")
        var batch = IngestBatch()
        batch.deadLetters = [NewDeadLetter(
            topic: "lift/430102/E1/event", payload: Array(#"{"seq":3,"ts":\#(now),"kind":"fault","code":"brake_fault","state":"raised"}"#.utf8),
            receivedAt: now, rejection: Rejection(.unregistered, "not yet"), elevatorID: "E1")]
        _ = try database.commit(batch)
        _ = try DeadLetterReplayer(database: database, clock: EpochClock { now }).replay()
        let pass = SchedulerPass(database: database, engine: TicketEngine(database: database, outbox: nil), configuration: SchedulerConfiguration())
        #expect(try await pass.run(now: now + 5_000, withTrends: false, withSchedule: false).recovered == 1)
        #expect(try database.activeTickets(elevatorID: "E1").map(\.type) == [.safetyRepair])
    }

    @Test("an inspection is due at the end of its day (Beijing time): done on its date it is on time; self-tests are counted apart")
    func inspectionDueAtDayEnd() async throws {
        let database = try database()
        // Year 2 after commissioning: the owner's self-test.
        try database.register(ElevatorRegistration(elevatorID: "E1", region: "430102", contractorID: "C1", commissionedOn: "2023-03-10"), at: 0, by: "test")
        let engine = TicketEngine(database: database, outbox: nil)
        let pass = SchedulerPass(database: database, engine: engine, configuration: SchedulerConfiguration())
        _ = try await pass.run(now: CivilDate("2025-02-20")!.startEpochMs, withTrends: false)
        let inspection = try #require(try database.tickets(TicketFilter(types: [.inspection])).first)
        #expect(inspection.level == "self_test")
        #expect(inspection.dueAt == CivilDate("2025-03-11")!.startEpochMs - 1)
        // Done at 16:00 on its date: on time, no breach.
        var t = inspection
        let doneAt = CivilDate("2025-03-10")!.startEpochMs + 16 * 3_600_000
        for action in [TicketAction.acknowledge, .arrive, .resolve] { t = try await engine.perform(action, on: t.id, by: "c", at: doneAt) }
        #expect(!t.overdue && t.breaches.isEmpty)

        // An open self-test past its date is counted as a self-test, not as an overdue statutory inspection.
        let database2 = try self.database()
        try database2.register(ElevatorRegistration(elevatorID: "E2", region: "430102", contractorID: "C1", commissionedOn: "2023-03-10"), at: 0, by: "test")
        let pass2 = SchedulerPass(database: database2, engine: TicketEngine(database: database2, outbox: nil), configuration: SchedulerConfiguration())
        _ = try await pass2.run(now: CivilDate("2025-02-20")!.startEpochMs, withTrends: false)
        let later = CivilDate("2025-03-20")!.startEpochMs
        let kpis = try database2.kpis(KPIReport.Scope(region: "4301", from: later - 30 * Self.day, to: later), now: later)
        #expect(kpis.selfTestsOverdue == 1 && kpis.inspectionsOverdue == 0)
    }

    @Test("an elevator open under a safety repair is out of service until it is resolved, in the figures")
    func safetyRepairIsOutOfService() async throws {
        let database = try database()
        for id in ["E1", "E2", "E3"] {
            try database.register(ElevatorRegistration(elevatorID: id, region: "430102", contractorID: "C1"), at: 0, by: "test")
        }
        let engine = TicketEngine(database: database, outbox: nil)
        let now: Int64 = 1_795_000_000_000
        let safety = try #require(try await engine.open(Ticket(
            elevatorID: "E2", region: "430102", contractorID: "C1", type: .safetyRepair, openedAt: now, fault: .brakeFault, reason: "brake")))
        func figures() throws -> KPIReport { try database.kpis(KPIReport.Scope(region: "4301", from: now - Self.day, to: now + Self.day), now: now) }
        #expect(try figures().elevatorsInService == 2 && figures().elevatorsOutOfServiceForSafety == 1)
        var t = safety
        for action in [TicketAction.acknowledge, .arrive, .resolve] { t = try await engine.perform(action, on: t.id, by: "c", at: now + 60_000) }
        #expect(try figures().elevatorsInService == 3 && figures().elevatorsOutOfServiceForSafety == 0)
    }

    @Test("the first visit of an on-demand elevator is due at 15 days, as for every elevator")
    func firstOnDemandVisit() {
        let regime = MaintenanceRegime()
        let start = CivilDate("2025-01-01")!
        let first = regime.next(start: start, visits: [], onDemand: .init(approved: true), today: start)
        #expect(first.due == CivilDate("2025-01-16") && first.intervalDays == 15)
        #expect(first.reason.contains("first visit"))
        let later = regime.next(start: start, visits: [.init(date: CivilDate("2025-01-16")!, level: .halfMonth)], onDemand: .init(approved: true), today: start)
        #expect(later.due == CivilDate("2025-02-15") && later.intervalDays == 30)
    }
}
