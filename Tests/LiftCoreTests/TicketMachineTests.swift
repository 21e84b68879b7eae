import Foundation
import Testing
@testable import LiftCore

@Suite("Ticket state machine")
struct TicketMachineTests {
    let machine = TicketMachine()
    static let t0: Int64 = 1_790_000_000_000
    static let minute: Int64 = 60_000

    func rescue() -> Ticket {
        Ticket(
            id: 1, elevatorID: "E1", region: "430102", contractorID: "C1", type: .rescue, openedAt: Self.t0,
            deadlines: SLAPolicy().deadlines(for: .rescue, region: "430102", openedAt: Self.t0), fault: .entrapmentAtFloor, reason: "trapped")
    }

    @Test("a ticket goes open → acknowledged → on_site → resolved → closed, each step dated")
    func fullPath() throws {
        var ticket = rescue()
        ticket = try machine.apply(.acknowledge, to: ticket, at: Self.t0 + 1 * Self.minute).ticket
        ticket = try machine.apply(.arrive, to: ticket, at: Self.t0 + 12 * Self.minute).ticket
        ticket = try machine.apply(.resolve, to: ticket, at: Self.t0 + 15 * Self.minute).ticket
        let outcome = try machine.apply(.close, to: ticket, at: Self.t0 + 20 * Self.minute)
        #expect(outcome.ticket.status == .closed && outcome.effects == [.notifyContractor])
        #expect(outcome.ticket.acknowledgedAt == Self.t0 + Self.minute && outcome.ticket.onSiteAt == Self.t0 + 12 * Self.minute)
        #expect(!outcome.ticket.overdue && outcome.ticket.breaches.isEmpty)
    }

    @Test("every step out of order is refused, naming the step expected")
    func outOfOrder() throws {
        for status in TicketStatus.allCases {
            var ticket = rescue()
            ticket.status = status
            for action in TicketAction.allCases where !TicketMachine.transition(action).from.contains(status) {
                #expect(throws: TicketActionError.self, "\(action) on \(status)") { try machine.apply(action, to: ticket, at: Self.t0, note: "x") }
            }
        }
        #expect {
            try machine.apply(.resolve, to: rescue(), at: Self.t0)
        } throws: { "\($0)" == "cannot resolve a ticket that is open: the next step is acknowledge" }
    }

    @Test("cancelling needs a reason and is possible from any state before closed")
    func cancel() throws {
        #expect(throws: TicketActionError.self) { try machine.apply(.cancel, to: rescue(), at: Self.t0, note: " ") }
        let cancelled = try machine.apply(.cancel, to: rescue(), at: Self.t0 + 5, note: "false alarm: residents confirmed nobody inside").ticket
        #expect(cancelled.status == .cancelled && cancelled.cancelReason == "false alarm: residents confirmed nobody inside" && cancelled.cancelledAt == Self.t0 + 5)
        var closed = rescue()
        closed.status = .closed
        #expect(throws: TicketActionError.self) { try machine.apply(.cancel, to: closed, at: Self.t0, note: "late") }
    }

    @Test("a missed deadline marks the ticket overdue and escalated and alerts the regulator once per deadline")
    func deadlines() throws {
        let ticket = rescue()
        #expect(!machine.checkDeadlines(ticket, now: Self.t0 + 3 * Self.minute).changed, "at the deadline is still in time")
        let late = machine.checkDeadlines(ticket, now: Self.t0 + 3 * Self.minute + 1)
        #expect(late.ticket.overdue && late.ticket.escalated && late.ticket.breaches == ["acknowledge"])
        #expect(late.effects == [.notifyContractor, .alertRegulator(reason: "acknowledge deadline missed")])
        #expect(!machine.checkDeadlines(late.ticket, now: Self.t0 + 4 * Self.minute).changed, "alerted once")
        let acked = try machine.apply(.acknowledge, to: late.ticket, at: Self.t0 + 4 * Self.minute).ticket
        let arrivedLate = try machine.apply(.arrive, to: acked, at: Self.t0 + 31 * Self.minute)
        #expect(arrivedLate.ticket.breaches == ["acknowledge", "on_site"] && arrivedLate.effects.contains(.alertRegulator(reason: "on_site deadline missed")))
    }

    @Test("closing maintenance without evidence from the elevator flags it unverified; with evidence it does not")
    func unverified() throws {
        var ticket = Ticket(id: 2, elevatorID: "E1", region: "430102", type: .maintenance, openedAt: Self.t0, deadlines: .init(due: Self.t0 + 86_400_000), level: "half_month", reason: "due")
        ticket.status = .resolved
        #expect(try machine.apply(.close, to: ticket, at: Self.t0 + 1, evidence: false).ticket.unverified)
        #expect(try !machine.apply(.close, to: ticket, at: Self.t0 + 1, evidence: true).ticket.unverified)
    }

    @Test("rescue and safety tickets alert the regulator as they open; others only the contractor")
    func openingEffects() {
        #expect(machine.open(rescue()).effects == [.notifyContractor, .alertRegulator(reason: "rescue ticket opened")])
        let repair = Ticket(elevatorID: "E1", region: "430102", type: .repair, openedAt: 0, reason: "r")
        #expect(machine.open(repair).effects == [.notifyContractor])
    }
}

@Suite("SLA deadlines")
struct SLAPolicyTests {
    @Test("defaults per type, the rural rescue limit, and the longest region prefix overriding")
    func deadlines() {
        var policy = SLAPolicy()
        let t: Int64 = 1_000_000
        let rescue = policy.deadlines(for: .rescue, region: "430102", openedAt: t)
        #expect(rescue.acknowledge == t + 180_000 && rescue.onSite == t + 1_800_000 && rescue.resolve == nil && rescue.due == t + 1_800_000)
        #expect(policy.deadlines(for: .safetyRepair, region: "430102", openedAt: t).onSite == t + 7_200_000)
        #expect(policy.deadlines(for: .repair, region: "430102", openedAt: t).onSite == t + 86_400_000)
        #expect(policy.deadlines(for: .minorRepair, region: "430102", openedAt: t).resolve == t + 259_200_000)
        #expect(policy.deadlines(for: .predictive, region: "430102", openedAt: t).resolve == t + 604_800_000)
        policy.ruralRegions = ["430181"]
        #expect(policy.deadlines(for: .rescue, region: "430181", openedAt: t).onSite == t + 3_600_000)
        policy.regionOverrides = ["43": [.repair: .init(onSiteMs: 12 * 3_600_000)], "4301": [.repair: .init(onSiteMs: 8 * 3_600_000)]]
        #expect(policy.deadlines(for: .repair, region: "430102", openedAt: t).onSite == t + 8 * 3_600_000)
        #expect(policy.deadlines(for: .repair, region: "430202", openedAt: t).onSite == t + 12 * 3_600_000)
    }
}

@Suite("Maintenance and inspection regimes")
struct RegimeTests {
    let regime = MaintenanceRegime()

    /// Visits done on their due dates for 400 days from commissioning on 2025-01-01.
    @Test("400 days of half-monthly maintenance give the right levels on the right dates")
    func fourHundredDays() {
        let start = CivilDate("2025-01-01")!
        var visits: [MaintenanceRegime.Visit] = []
        var today = start
        let end = start.adding(days: 400)
        var opened: [(opens: CivilDate, due: CivilDate)] = []
        while today <= end {
            let next = regime.next(start: start, visits: visits, onDemand: .notApproved, today: today)
            if today >= next.opensOn {
                opened.append((today, next.due))
                visits.append(.init(date: next.due, level: next.level))
                today = next.due
            }
            today = today.adding(days: 1)
        }
        let due = visits.map(\.date)
        #expect(visits.count == 26)
        #expect(due.first == CivilDate("2025-01-16") && zip(due, due.dropFirst()).allSatisfy { $0.days(to: $1) == 15 })
        #expect(opened.count == 26)
        #expect(opened.allSatisfy { $0.opens.days(to: $0.due) == 3 }, "each ticket opens 3 days ahead")
        let higher = visits.filter { $0.level != .halfMonth }.map { "\($0.date) \($0.level.rawValue)" }
        #expect(higher == ["2025-04-01 quarter", "2025-07-15 half_year", "2025-10-28 quarter", "2026-01-11 annual"])
    }

    @Test("on-demand maintenance stretches to the approved maximum while all conditions hold, and drops back to 15 days")
    func onDemand() {
        let start = CivilDate("2025-01-01")!
        let visit = MaintenanceRegime.Visit(date: CivilDate("2025-03-01")!, level: .halfMonth)
        let good = MaintenanceRegime.OnDemandConditions(approved: true, maximumDays: 30)
        let stretched = regime.next(start: start, visits: [visit], onDemand: good, today: CivilDate("2025-03-05")!)
        #expect(stretched.due == CivilDate("2025-03-31") && stretched.intervalDays == 30 && stretched.reason.contains("on-demand maintenance: 30 days"))
        let offline = MaintenanceRegime.OnDemandConditions(approved: true, maximumDays: 30, failing: ["offline"])
        let back = regime.next(start: start, visits: [visit], onDemand: offline, today: CivilDate("2025-03-05")!)
        #expect(back.due == CivilDate("2025-03-16") && back.intervalDays == 15 && back.reason.contains("back to 15 days") && back.reason.contains("offline"))
        let lateDrop = regime.next(start: start, visits: [visit], onDemand: offline, today: CivilDate("2025-03-20")!)
        #expect(lateDrop.due == CivilDate("2025-03-20"), "dropping back late is due today, not overdue at once")
    }

    @Test("periodic inspection in years 1, 4, 7, 9, 11, 13, 15 and yearly after; self-testing between; opened 30 days ahead")
    func inspectionYears() {
        let regime = InspectionRegime()
        let inspections = (1...20).filter { regime.kind(year: $0) == .periodicInspection }
        #expect(inspections == [1, 4, 7, 9, 11, 13, 15, 16, 17, 18, 19, 20])
        let commissioned = CivilDate("2020-06-15")!
        #expect(regime.open(on: CivilDate("2024-05-15")!, commissioned: commissioned).isEmpty)
        let due = regime.open(on: CivilDate("2024-05-16")!, commissioned: commissioned)
        #expect(due.map(\.year) == [4] && due.first?.kind == .periodicInspection && due.first?.due == CivilDate("2024-06-15"))
        #expect(regime.open(on: CivilDate("2025-06-01")!, commissioned: commissioned).map(\.kind) == [.selfTest])
    }
}

@Suite("Configuration data of the scheduler")
struct SchedulerDataTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("traction checklists: 31 half-monthly items, 44 quarterly, 59 half-yearly, 76 annual, each level including those below")
    func checklists() throws {
        let lists = try MaintenanceChecklists.load(Self.root.appendingPathComponent("config/maintenance-checklists.json").path)
        #expect(MaintenanceLevel.allCases.map { lists.items(level: $0).count } == [31, 44, 59, 76])
        #expect(lists.items(level: .annual).starts(with: lists.items(level: .halfYear)))
        #expect(lists.items(level: .halfMonth).contains { $0.contains("7 mm") })
    }

    @Test("the shipped health thresholds are the defaults")
    func healthThresholds() throws {
        #expect(try TrendDetector.Thresholds.load(Self.root.appendingPathComponent("config/health.json").path) == TrendDetector.Thresholds())
    }

    @Test("cancelling without a reason is refused as a missing note, whatever the ticket's state")
    func cancelNeedsANoteFirst() {
        var ticket = Ticket(elevatorID: "E1", region: "430102", type: .repair, openedAt: 0, reason: "x")
        ticket.status = .closed
        #expect(throws: TicketActionError.self) { try TicketMachine().apply(.cancel, to: ticket, at: 1, note: "  ") }
        do {
            _ = try TicketMachine().apply(.cancel, to: ticket, at: 1, note: nil)
        } catch {
            #expect(error.kind == .missingNote)
        }
        do {
            _ = try TicketMachine().apply(.cancel, to: ticket, at: 1, note: "duplicate")
        } catch {
            #expect(error.kind == .outOfOrder, "with a reason, a closed ticket's cancel is out of order")
        }
    }
}
