import Foundation
import LiftCore
import LiftMQTT
import LiftStore
import Testing
@testable import LiftScheduler

@Suite("Faults into tickets over a real broker", .serialized)
struct FaultTicketScenarioTests {
    static let minute: Int64 = 60_000
    static let day: Int64 = 86_400_000

    @Test("an entrapment opens a rescue ticket with its deadlines, on the contractor and regulator topics; a duplicate changes nothing; a re-raise counts")
    func entrapment() async throws {
        let h = try await SchedulerHarness()
        try h.register("E1")
        let t = h.clock.now
        let payload = try await h.fault("E1", "entrapment_at_floor", at: t, occupied: true)
        try await h.eventually("ticket on the contractor topic") { h.inbox.on("contractor/C1/tickets").count == 1 }
        try await h.eventually("alert on the regulator topic") { h.inbox.on("regulator/430102/alerts").count == 1 }
        let published = h.inbox.on("contractor/C1/tickets")[0]
        #expect(published["type"] as? String == "rescue" && published["status"] as? String == "open" && published["priority"] as? Int == 1)
        #expect(published["fault"] as? String == "entrapment_at_floor" && published["elevator_id"] as? String == "E1")
        #expect(published["ack_due_at"] as? Int64 == t + 3 * Self.minute && published["on_site_due_at"] as? Int64 == t + 30 * Self.minute)
        #expect(published.keys.contains("acknowledged_at") && published["acknowledged_at"] is NSNull, "every field present, null until reached")
        let alert = h.inbox.on("regulator/430102/alerts")[0]
        #expect(alert["alert"] as? String == "rescue ticket opened" && (alert["ticket"] as? [String: Any])?["type"] as? String == "rescue")

        // The same message delivered again: stored once, no new ticket, no occurrence.
        try await h.publish("lift/430102/E1/event", payload)
        try await h.eventually("duplicate counted") { try h.database.ingestCounters("E1")?.duplicates == 1 }
        #expect(try h.database.tickets(TicketFilter(elevatorID: "E1")).map(\.occurrences) == [1])

        // Raised again (a new message): one more occurrence on the same ticket.
        try await h.fault("E1", "entrapment_at_floor", at: t + Self.minute, occupied: true)
        try await h.eventually("occurrence counted") { try h.database.tickets(TicketFilter(elevatorID: "E1")).first?.occurrences == 2 }
        #expect(try h.database.tickets(TicketFilter(elevatorID: "E1")).count == 1)
        // Cleared: recorded, the rescue ticket stays for people to close.
        try await h.fault("E1", "entrapment_at_floor", at: t + 2 * Self.minute, state: "cleared")
        try await h.eventually("cleared stored") { try h.database.events("E1").count == 3 }
        #expect(try h.database.tickets(TicketFilter(elevatorID: "E1")).first?.status == .open)
        await h.shutdown()
    }

    @Test("a missed deadline escalates: overdue, escalated, and an alert to the regulator")
    func missedDeadlineEscalates() async throws {
        let h = try await SchedulerHarness()
        try h.register("E1")
        let t = h.clock.now
        try await h.fault("E1", "brake_fault", at: t)
        try await h.eventually("safety ticket") { try h.database.activeTickets(elevatorID: "E1").count == 1 }
        #expect(try h.database.activeTickets(elevatorID: "E1").first?.type == .safetyRepair)
        _ = try await h.pass.run(now: t + 15 * Self.minute, withTrends: false)
        #expect(try h.database.activeTickets(elevatorID: "E1").first?.overdue == false, "at the deadline is still in time")
        let report = try await h.pass.run(now: t + 16 * Self.minute, withTrends: false)
        #expect(report.escalated == 1)
        let ticket = try #require(try h.database.activeTickets(elevatorID: "E1").first)
        #expect(ticket.overdue && ticket.escalated && ticket.breaches == ["acknowledge"])
        try await h.eventually("breach alert") { h.inbox.on("regulator/430102/alerts").count == 2 }
        #expect(h.inbox.on("regulator/430102/alerts").last?["alert"] as? String == "acknowledge deadline missed")
        #expect(try await h.pass.run(now: t + 17 * Self.minute, withTrends: false).escalated == 0, "escalated once")
        await h.shutdown()
    }

    @Test("the same fault three times in 30 days marks repeat; a fault within 7 days of a resolution marks callback")
    func repeatAndCallback() async throws {
        let h = try await SchedulerHarness()
        try h.register("E1")
        let t = h.clock.now
        try await h.fault("E1", "door_close_failure", at: t)
        try await h.eventually("repair ticket") { try h.database.activeTickets(elevatorID: "E1").count == 1 }
        var ticket = try #require(try h.database.activeTickets(elevatorID: "E1").first)
        for action in [TicketAction.acknowledge, .arrive, .resolve, .close] {
            ticket = try await h.engine.perform(action, on: ticket.id, by: "contractor:C1", note: "fixed the door operator", at: t + Self.day)
        }
        // Four days after the resolution: a callback.
        h.clock.set(t + 6 * Self.day + 1)  // controllers' clocks may not run ahead of LiftWatch's
        try await h.fault("E1", "door_close_failure", at: t + 5 * Self.day)
        try await h.eventually("second ticket") { try h.database.activeTickets(elevatorID: "E1").count == 1 }
        let second = try #require(try h.database.activeTickets(elevatorID: "E1").first)
        #expect(second.callback && !second.repeat && second.id != ticket.id)
        // Third raise within 30 days: repeat, on the active ticket.
        try await h.fault("E1", "door_close_failure", at: t + 6 * Self.day)
        try await h.eventually("repeat") { try h.database.activeTickets(elevatorID: "E1").first?.repeat == true }
        #expect(try h.database.activeTickets(elevatorID: "E1").first?.occurrences == 2)
        #expect(try h.database.ticketSteps(ticket.id).map(\.actor) == ["liftwatch", "contractor:C1", "contractor:C1", "contractor:C1", "contractor:C1"])
        #expect(try h.database.ticketSteps(ticket.id).last?.note == "fixed the door operator")
        await h.shutdown()
    }

    @Test("a fault goes to the contractor in charge when it arrives, whatever the controller's clock says")
    func contractorAtArrival() async throws {
        let h = try await SchedulerHarness()
        try h.register("E1", contractor: "C-OLD")
        let t = h.clock.now
        try h.database.assignContractor("C-NEW", to: "E1", from: t + Self.day, at: t, by: "test")
        h.clock.set(t + 2 * Self.day + 1)
        try await h.fault("E1", "button_stuck", at: t + 2 * Self.day)
        // Dated by the controller before the change, arriving after it: the new contractor's (v1.1 §11.1, §11.5).
        try await h.fault("E1", "battery_low", at: t + Self.day - 1)
        try await h.eventually("two tickets") { try h.database.activeTickets(elevatorID: "E1").count == 2 }
        let byFault = Dictionary(uniqueKeysWithValues: try h.database.activeTickets(elevatorID: "E1").map { ($0.fault!, $0.contractorID) })
        #expect(byFault == [.buttonStuck: "C-NEW", .batteryLow: "C-NEW"])
        try await h.eventually("on the new contractor's topic") { h.inbox.on("contractor/C-NEW/tickets").count == 2 }
        #expect(h.inbox.on("contractor/C-OLD/tickets").isEmpty)
        await h.shutdown()
    }

    @Test("offline by will message opens a communication ticket that closes itself when the elevator is back")
    func offlineAndBack() async throws {
        let h = try await SchedulerHarness()
        try h.register("E1")
        try h.register("E2")
        let t = h.clock.now
        try await h.publish("lift/430102/E1/status", #"{"state":"online","seq":\#(h.nextSeq("E1")),"ts":\#(t)}"#, retain: true)
        try await h.publish("lift/430102/E2/status", #"{"state":"online","seq":\#(h.nextSeq("E2")),"ts":\#(t)}"#, retain: true)
        try await h.eventually("online") { try h.database.elevator("E1")?.online == true && h.database.elevator("E2")?.online == true }
        #expect(try await h.pass.run(now: t + 1000, withTrends: false).opened.isEmpty)
        try await h.publish("lift/430102/E1/status", #"{"state":"offline"}"#, retain: true)  // the will
        try await h.eventually("offline") { try h.database.elevator("E1")?.online == false }
        let report = try await h.pass.run(now: t + 2000, withTrends: false)
        #expect(report.opened[.communication] == 1)
        let ticket = try #require(try h.database.activeTickets(elevatorID: "E1").first)
        #expect(ticket.type == .communication && ticket.onSiteDueAt == t + 2000 + Self.day)
        #expect(try await h.pass.run(now: t + 3000, withTrends: false).opened.isEmpty, "a second pass opens nothing new")
        // Silence beyond the threshold counts as offline too.
        h.clock.set(t + 10 * Self.minute)
        let silent = try await h.pass.run(now: t + 10 * Self.minute, withTrends: false)
        #expect(silent.opened[.communication] == 1 && silent.incidentsOpened == 0)
        // Back online.
        try await h.publish("lift/430102/E1/status", #"{"state":"online","seq":\#(h.nextSeq("E1")),"ts":\#(h.clock.now)}"#, retain: true)
        try await h.eventually("online again") { try h.database.elevator("E1")?.online == true }
        let back = try await h.pass.run(now: h.clock.now + 1000, withTrends: false)
        #expect(back.settled == 1)
        let settled = try #require(try h.database.ticket(ticket.id))
        #expect(settled.status == .closed && settled.resolvedAt != nil)
        await h.shutdown()
    }

    @Test("most elevators of one region falling silent within a minute open one area incident, not a ticket each")
    func regionalOutage() async throws {
        let h = try await SchedulerHarness()
        let ids = ["P1", "P2", "P3", "P4"]
        for id in ids { try h.register(id, region: "430103") }
        try h.register("OTHER", region: "430102")
        let t = h.clock.now
        for id in ids + ["OTHER"] {
            let region = id == "OTHER" ? "430102" : "430103"
            try await h.publish("lift/\(region)/\(id)/status", #"{"state":"online","seq":\#(h.nextSeq(id)),"ts":\#(t)}"#, retain: true)
        }
        try await h.eventually("all online") { try h.database.elevators().allSatisfy(\.online) }
        // A power cut: the wills of three of four arrive within seconds.
        for id in ids.prefix(3) { try await h.publish("lift/430103/\(id)/status", #"{"state":"offline"}"#, retain: true) }
        try await h.eventually("offline") { try h.database.elevators().filter { !$0.online }.count == 3 }
        let report = try await h.pass.run(now: t + 5000, withTrends: false)
        #expect(report.incidentsOpened == 1 && report.opened.isEmpty)
        let incident = try #require(try h.database.openIncidents().first)
        #expect(incident.region == "430103" && incident.elevators == 3)
        try await h.eventually("incident alert") {
            h.inbox.on("regulator/430103/alerts").contains { $0["alert"] as? String == "area incident" }
        }
        #expect(try await h.pass.run(now: t + 6000, withTrends: false).opened.isEmpty, "no ticket each while the incident is open")
        for id in ids.prefix(3) {
            try await h.publish("lift/430103/\(id)/status", #"{"state":"online","seq":\#(h.nextSeq(id)),"ts":\#(t + 7000)}"#, retain: true)
        }
        try await h.eventually("back") { try h.database.elevators().allSatisfy(\.online) }
        #expect(try await h.pass.run(now: t + 8000, withTrends: false).incidentsClosed == 1)
        await h.shutdown()
    }
}

@Suite("Rescue dispatch over a real broker", .serialized)
struct RescueDispatchScenarioTests {
    static let minute: Int64 = 60_000

    /// The scenario of a full rescue with escalation: nobody acknowledges, the rescue station is sent, then the fire
    /// brigade; the property manager is called at dispatch and answers; the passengers are released and the
    /// follow-up call closes it.
    @Test("a rescue nobody acknowledges escalates to the rescue station, then the fire brigade: a step and an alert each; the property manager answers")
    func escalatedRescue() async throws {
        let h = try await SchedulerHarness()
        try h.register("E1")
        try h.database.putPropertyManager(PropertyManagerRecord(managerID: "PM1", name: "长沙某物业", safetyOfficer: "王安全"), at: h.clock.now, by: "test")
        _ = try h.database.setFieldRecords(elevatorID: "E1", propertyManagerID: .some("PM1"), rescueCode: .some("431001"), at: h.clock.now, by: "test")
        let t = h.clock.now
        try await h.fault("E1", "entrapment_between_floors", at: t, occupied: true)
        try await h.eventually("rescue ticket") { try h.database.activeTickets(elevatorID: "E1").count == 1 }
        let opened = try #require(try h.database.activeTickets(elevatorID: "E1").first)
        #expect(opened.type == .rescue && opened.rescue?.managerCalledAt == opened.openedAt, "the property manager is called with the dispatch")
        let o = opened.openedAt

        _ = try await h.pass.run(now: o + 3 * Self.minute + 1_000, withTrends: false)
        var ticket = try #require(try h.database.ticket(opened.id))
        #expect(ticket.rescue?.escalationLevel == .rescueStation && ticket.rescue?.stationDispatchedAt == o + 3 * Self.minute + 1_000)
        _ = try await h.pass.run(now: o + 10 * Self.minute, withTrends: false)
        #expect(try h.database.ticket(opened.id)?.rescue?.escalationLevel == .rescueStation, "the fire brigade only 15 min after the station")
        _ = try await h.pass.run(now: o + 18 * Self.minute + 1_000, withTrends: false)
        ticket = try #require(try h.database.ticket(opened.id))
        #expect(ticket.rescue?.escalationLevel == .fireBrigade && ticket.escalated && ticket.breaches == ["acknowledge"])
        try await h.eventually("escalation alerts") { h.inbox.on("regulator/430102/alerts").count >= 4 }
        let alerts = h.inbox.on("regulator/430102/alerts").compactMap { $0["alert"] as? String }
        #expect(alerts.contains("rescue escalated to the nearby rescue station: the maintainer did not acknowledge within 3 min"))
        #expect(alerts.contains("rescue escalated to the fire brigade (119): nobody on site 15 min after the rescue station was sent"))
        let steps = try h.database.ticketSteps(opened.id).map(\.action)
        #expect(steps == ["open", "deadline", "dispatch_rescue_station", "call_fire_brigade"])

        // The property manager answers; the fire brigade arrives and releases; the maintainer follows up and closes.
        _ = try await h.engine.perform(.answer, on: opened.id, as: Principal(tokenID: 9, role: .propertyManager, managerID: "PM1"), at: o + 19 * Self.minute)
        await #expect(throws: TicketEngineError.self) {
            try await h.engine.perform(.answer, on: opened.id, as: Principal(tokenID: 9, role: .propertyManager, managerID: "PM2"), at: o + 19 * Self.minute)
        }
        _ = try await h.engine.perform(.acknowledge, on: opened.id, by: "dispatcher", at: o + 19 * Self.minute)
        _ = try await h.engine.perform(.contact, on: opened.id, by: "dispatcher", note: "电话安抚", at: o + 20 * Self.minute)
        _ = try await h.engine.perform(.arrive, on: opened.id, by: "dispatcher", details: StepDetails(responder: .fireBrigade), at: o + 25 * Self.minute)
        _ = try await h.engine.perform(
            .release, on: opened.id, by: "dispatcher", details: StepDetails(passengers: 3, injuries: 0, cause: .powerCut), at: o + 28 * Self.minute)
        _ = try await h.engine.perform(.followUp, on: opened.id, by: "contractor:C1", at: o + 60 * Self.minute)
        let closed = try await h.engine.perform(.close, on: opened.id, by: "contractor:C1", at: o + 61 * Self.minute)
        let record = try #require(closed.rescue)
        #expect(record.managerAnsweredAt == o + 19 * Self.minute && record.arrivedBy == .fireBrigade && record.releasedBy == .fireBrigade)
        #expect(record.passengersReleased == 3 && record.injuries == 0 && record.cause == .powerCut && record.followUpAt == o + 60 * Self.minute)
        #expect(try h.database.ticketSteps(opened.id).last(where: { $0.action == "release" })?.note == "[passengers 3, injuries 0, cause power_cut]")
        // The contractor's topic carries the record.
        try await h.eventually("closed ticket published") { h.inbox.on("contractor/C1/tickets").contains { $0["status"] as? String == "closed" } }
        let published = try #require(h.inbox.on("contractor/C1/tickets").last { $0["status"] as? String == "closed" })
        #expect((published["rescue"] as? [String: Any])?["escalation_level"] as? String == "fire_brigade")
        let figures = try h.database.kpis(KPIReport.Scope(region: "43", from: o - 1, to: o + 86_400_000), now: o + 2 * 3_600_000).rescueDispatch
        #expect(figures.rescues == 1 && figures.escalatedToFireBrigade == 1 && figures.propertyManagerAnswerRate == 0 && figures.shareAcknowledgedWithin3Minutes == 0)
        #expect(figures.meanSecondsToRelease == 28 * 60 && figures.byCause["power_cut"] == 1)
        await h.shutdown()
    }
}
