import Foundation
import Testing
@testable import LiftCore

@Suite("Rescue dispatch: steps, escalation and figures")
struct RescueDispatchTests {
    let machine = TicketMachine()
    static let t0: Int64 = 1_796_601_600_000  // 2026-12-07 00:00 UTC = 08:00 in Changsha
    static let minute: Int64 = 60_000

    func rescue(id: Int64 = 1, at t: Int64 = Self.t0, fault: FaultKey = .entrapmentAtFloor, managerCalled: Bool = false) -> Ticket {
        var ticket = Ticket(
            id: id, elevatorID: "E1", region: "430102", contractorID: "C1", type: .rescue, openedAt: t,
            deadlines: SLAPolicy().deadlines(for: .rescue, region: "430102", openedAt: t), fault: fault, reason: "trapped")
        if managerCalled { ticket.rescue = RescueRecord(dispatchedAt: t, managerCalledAt: t) }
        return machine.open(ticket).ticket
    }

    @Test("a rescue records each step: dispatched, acknowledged, contacted, arrived, released with passengers and injuries, followed up, closed")
    func fullRescue() throws {
        var ticket = rescue(managerCalled: true)
        #expect(ticket.rescue?.dispatchedAt == Self.t0 && ticket.rescue?.escalationLevel == .maintainer)
        ticket = try machine.apply(.acknowledge, to: ticket, at: Self.t0 + 1 * Self.minute).ticket
        ticket = try machine.apply(.contact, to: ticket, at: Self.t0 + 2 * Self.minute, note: "通话安抚，乘客情绪稳定").ticket
        ticket = try machine.apply(.answer, to: ticket, at: Self.t0 + 3 * Self.minute).ticket
        #expect(ticket.status == .acknowledged, "contact and answer record what happens inside a status")
        #expect(throws: TicketActionError.self, "the first contact once") { try machine.apply(.contact, to: ticket, at: Self.t0 + 4 * Self.minute) }
        ticket = try machine.apply(.arrive, to: ticket, at: Self.t0 + 18 * Self.minute).ticket
        ticket = try machine.apply(
            .release, to: ticket, at: Self.t0 + 22 * Self.minute, details: StepDetails(passengers: 2, injuries: 0, cause: .misuse)).ticket
        #expect(ticket.status == .resolved && ticket.resolvedAt == Self.t0 + 22 * Self.minute)
        ticket = try machine.apply(.followUp, to: ticket, at: Self.t0 + 60 * Self.minute, note: "回访：乘客已安全离开").ticket
        ticket = try machine.apply(.close, to: ticket, at: Self.t0 + 61 * Self.minute).ticket
        let record = try #require(ticket.rescue)
        #expect(record.contactedAt == Self.t0 + 2 * Self.minute)
        #expect(record.managerAnsweredAt == Self.t0 + 3 * Self.minute)
        #expect(record.arrivedBy == .maintainer && record.releasedBy == .maintainer)
        #expect(record.releasedAt == Self.t0 + 22 * Self.minute && record.passengersReleased == 2 && record.injuries == 0)
        #expect(record.followUpAt == Self.t0 + 60 * Self.minute && record.cause == .misuse && ticket.status == .closed)
    }

    @Test("release needs passengers and injuries; injuries above passengers, rescue steps on other tickets and a second follow-up are refused")
    func refusals() throws {
        var ticket = rescue()
        ticket = try machine.apply(.acknowledge, to: ticket, at: Self.t0).ticket
        ticket = try machine.apply(.arrive, to: ticket, at: Self.t0 + Self.minute).ticket
        #expect { try machine.apply(.release, to: ticket, at: Self.t0 + 2 * Self.minute) } throws: {
            ($0 as? TicketActionError)?.kind == .invalidDetails && "\($0)".hasPrefix("passengers: required")
        }
        #expect { try machine.apply(.release, to: ticket, at: Self.t0, details: StepDetails(passengers: 1, injuries: 2)) } throws: {
            "\($0)" == "injuries: 2 is more than the 1 passengers released"
        }
        #expect { try machine.apply(.arrive, to: ticket, at: Self.t0, details: StepDetails(passengers: 1)) } throws: {
            ($0 as? TicketActionError)?.kind == .invalidDetails
        }
        #expect { try machine.apply(.answer, to: ticket, at: Self.t0) } throws: {
            ($0 as? TicketActionError)?.kind == .notApplicable && "\($0)" == "no property manager was called for ticket 1"
        }
        // `resolve` stays the contract's step for a rescue, details optional.
        let resolved = try machine.apply(.resolve, to: ticket, at: Self.t0 + 2 * Self.minute).ticket
        #expect(resolved.status == .resolved && resolved.rescue?.releasedAt == Self.t0 + 2 * Self.minute && resolved.rescue?.passengersReleased == nil)
        let followed = try machine.apply(.followUp, to: resolved, at: Self.t0 + 3 * Self.minute).ticket
        #expect(throws: TicketActionError.self) { try machine.apply(.followUp, to: followed, at: Self.t0 + 4 * Self.minute) }

        let repair = Ticket(id: 2, elevatorID: "E1", region: "430102", type: .repair, openedAt: Self.t0, fault: .doorOpenFailure, reason: "door")
        #expect { try machine.apply(.contact, to: repair, at: Self.t0) } throws: {
            "\($0)" == "contact is a step of rescue tickets; ticket 2 is a repair ticket"
        }
        #expect { try machine.apply(.acknowledge, to: repair, at: Self.t0, details: StepDetails(cause: .equipment)) } throws: {
            ($0 as? TicketActionError)?.kind == .invalidDetails
        }
        #expect { try machine.apply(.resolve, to: rescue(), at: Self.t0) } throws: {
            "\($0)" == "cannot resolve a ticket that is open: the next step is acknowledge"
        }
    }

    @Test("a rescue nobody acknowledges goes to the rescue station after 3 min, then the fire brigade 15 min later; an arrival stops it")
    func escalation() throws {
        let policy = RescueEscalationPolicy()
        let ticket = rescue()
        #expect(machine.escalateRescue(ticket, now: Self.t0 + 3 * Self.minute, policy: policy) == nil, "at the deadline is still in time")
        let station = try #require(machine.escalateRescue(ticket, now: Self.t0 + 3 * Self.minute + 1, policy: policy))
        #expect(station.responder == .rescueStation && station.why == "the maintainer did not acknowledge within 3 min")
        #expect(station.outcome.ticket.rescue?.escalationLevel == .rescueStation && station.outcome.ticket.escalated)
        #expect(station.outcome.effects == [.notifyContractor, .alertRegulator(reason: "rescue escalated to the nearby rescue station: the maintainer did not acknowledge within 3 min")])
        let sent = station.outcome.ticket
        #expect(machine.escalateRescue(sent, now: Self.t0 + 10 * Self.minute, policy: policy) == nil)
        let fire = try #require(machine.escalateRescue(sent, now: Self.t0 + 3 * Self.minute + 1 + 15 * Self.minute, policy: policy))
        #expect(fire.responder == .fireBrigade && fire.outcome.ticket.rescue?.fireBrigadeCalledAt == Self.t0 + 18 * Self.minute + 1)
        #expect(machine.escalateRescue(fire.outcome.ticket, now: Self.t0 + 60 * Self.minute, policy: policy) == nil, "nothing above the fire brigade")

        // Acknowledged in time but nobody there by the on-site deadline: the station.
        let acknowledged = try machine.apply(.acknowledge, to: rescue(), at: Self.t0 + Self.minute).ticket
        #expect(machine.escalateRescue(acknowledged, now: Self.t0 + 30 * Self.minute, policy: policy) == nil)
        #expect(machine.escalateRescue(acknowledged, now: Self.t0 + 30 * Self.minute + 1, policy: policy)?.why == "nobody on site within 30 min")
        // The rescue station sent past an unacknowledged maintainer arrives while the ticket is open; nobody else may
        // be named who was not sent, and injuries come with passengers.
        #expect { try machine.apply(.arrive, to: ticket, at: Self.t0, details: StepDetails(responder: .rescueStation)) } throws: {
            ($0 as? TicketActionError)?.kind == .invalidDetails
        }
        let stationThere = try machine.apply(.arrive, to: sent, at: Self.t0 + 12 * Self.minute, details: StepDetails(responder: .rescueStation)).ticket
        #expect(stationThere.status == .onSite && stationThere.rescue?.arrivedBy == .rescueStation)
        #expect(machine.escalateRescue(stationThere, now: Self.t0 + 60 * Self.minute, policy: policy) == nil, "no fire brigade once the station is there")
        #expect { try machine.apply(.release, to: stationThere, at: Self.t0, details: StepDetails(injuries: 0)) } throws: {
            ($0 as? TicketActionError)?.kind == .invalidDetails
        }
        // Someone on site: no escalation, whatever the time.
        let arrived = try machine.apply(.arrive, to: acknowledged, at: Self.t0 + 20 * Self.minute).ticket
        #expect(machine.escalateRescue(arrived, now: Self.t0 + 90 * Self.minute, policy: policy) == nil)
        // Only rescues escalate so.
        let repair = Ticket(id: 2, elevatorID: "E1", region: "430102", type: .safetyRepair, openedAt: Self.t0,
                            deadlines: SLAPolicy().deadlines(for: .safetyRepair, region: "430102", openedAt: Self.t0), fault: .brakeFault, reason: "brake")
        #expect(machine.escalateRescue(repair, now: Self.t0 + 99 * Self.minute, policy: policy) == nil)
    }

    @Test("a power failure's rescue starts with the cause power_cut; a minor ticket escalated into a rescue gets its record")
    func records() {
        #expect(rescue(fault: .powerFailure).rescue?.cause == .powerCut)
        #expect(rescue().rescue?.cause == nil)
        let minor = Ticket(id: 3, elevatorID: "E1", region: "430102", type: .minorRepair, openedAt: Self.t0, fault: .alarmButton, reason: "alarm")
        let raised = machine.escalate(minor, to: .rescue, deadlines: SLAPolicy().deadlines(for: .rescue, region: "430102", openedAt: Self.t0 + 5),
                                      at: Self.t0 + 5, faultAt: nil, reason: "stopped, occupied")
        #expect(raised.ticket.rescue?.dispatchedAt == Self.t0 + 5)
    }

    /// The worked example of docs/kpis.md.
    @Test("figures of four rescues: 3-minute response rate, mean time to release, hours, causes, escalation, answer rate")
    func figures() throws {
        let h: Int64 = 3_600_000
        // A: 08:00 CST, acknowledged at 2 min, released at 20 min (2 passengers), misuse, manager answered at 1 min, followed up.
        var a = RescueRecord(dispatchedAt: Self.t0, cause: .misuse, managerCalledAt: Self.t0)
        a.managerAnsweredAt = Self.t0 + 1 * Self.minute
        a.passengersReleased = 2
        a.injuries = 0
        a.followUpAt = Self.t0 + 40 * Self.minute
        // B: 08:30 CST, acknowledged at 4 min, released at 40 min (1 passenger, 1 injured), escalated to the station;
        // the manager answered at 6 min (late).
        var b = RescueRecord(dispatchedAt: Self.t0 + h / 2, cause: .equipment, managerCalledAt: Self.t0 + h / 2)
        b.managerAnsweredAt = Self.t0 + h / 2 + 6 * Self.minute
        b.escalationLevel = .rescueStation
        b.passengersReleased = 1
        b.injuries = 1
        // C: 22:00 CST (14:00 UTC), never acknowledged, fire brigade, not released yet, no manager on record.
        var c = RescueRecord(dispatchedAt: Self.t0 + 14 * h)
        c.escalationLevel = .fireBrigade
        // D: cancelled: counted nowhere.
        let d = RescueRecord(dispatchedAt: Self.t0 + h)
        let figures = RescueFigures([
            .init(openedAt: Self.t0, acknowledgedAt: Self.t0 + 2 * Self.minute, resolvedAt: Self.t0 + 20 * Self.minute, status: .closed, record: a),
            .init(openedAt: Self.t0 + h / 2, acknowledgedAt: Self.t0 + h / 2 + 4 * Self.minute, resolvedAt: Self.t0 + h / 2 + 40 * Self.minute,
                  status: .resolved, record: b),
            .init(openedAt: Self.t0 + 14 * h, acknowledgedAt: nil, resolvedAt: nil, status: .open, record: c),
            .init(openedAt: Self.t0 + h, acknowledgedAt: Self.t0 + h + Self.minute, resolvedAt: nil, status: .cancelled, record: d),
        ])
        #expect(figures.rescues == 3)
        #expect(figures.shareAcknowledgedWithin3Minutes == 1.0 / 3.0)
        #expect(figures.meanSecondsToRelease == 1_800, "(20 min + 40 min) / 2")
        #expect(figures.byHour[8] == 2 && figures.byHour[22] == 1 && figures.byHour.reduce(0, +) == 3)
        #expect(figures.byCause == ["misuse": 1, "equipment": 1, "unclassified": 1, "power_cut": 0, "maintenance_quality": 0])
        #expect(figures.shareEscalated == 2.0 / 3.0 && figures.escalatedToRescueStation == 2 && figures.escalatedToFireBrigade == 1)
        #expect(figures.propertyManagerAnswerRate == 0.5, "A answered in 1 min, B in 6 min; C had no manager called")
        #expect(figures.passengersReleased == 3 && figures.injuries == 1)
        #expect(figures.shareFollowedUp == 0.5)
        // On the wire.
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(figures)) as? [String: Any])
        #expect(json["share_acknowledged_within_3_minutes"] as? Double == 1.0 / 3.0 && (json["by_hour"] as? [Int])?.count == 24)
    }

    @Test("the rescue record goes on the wire with every field, null until reached; other tickets carry rescue null")
    func wire() throws {
        let ticket = rescue()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(TicketJSON.encode(ticket))) as? [String: Any])
        let record = try #require(json["rescue"] as? [String: Any])
        #expect(record["dispatched_at"] as? Int64 == Self.t0 && record["escalation_level"] as? String == "maintainer")
        #expect(record.keys.contains("released_at") && record["released_at"] is NSNull && record["passengers_released"] is NSNull)
        let repair = Ticket(id: 2, elevatorID: "E1", region: "430102", type: .repair, openedAt: Self.t0, fault: .doorOpenFailure, reason: "door")
        let other = try #require(try JSONSerialization.jsonObject(with: Data(TicketJSON.encode(repair))) as? [String: Any])
        #expect(other.keys.contains("rescue") && other["rescue"] is NSNull)
        // A ticket decodes back with its record.
        let decoded = try JSONDecoder().decode(Ticket.self, from: Data(TicketJSON.encode(ticket)))
        #expect(decoded.rescue == ticket.rescue)
    }
}
