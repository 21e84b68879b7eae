import Foundation
import LiftCore
import LiftStore
import Logging

/// Opens and moves tickets, and tells contractors and regulators: the one place tickets change.
///
/// Fault events come from ingestion once committed; contractors' steps from the API and the CLI; deadlines,
/// schedules and connectivity from `SchedulerPass`. Every change is stored with its step (who, when, note),
/// then published on `contractor/{contractor_id}/tickets` and, for rescue and safety openings and every missed
/// deadline, on `regulator/{region}/alerts`; contractors with a webhook also get a signed POST.
public actor TicketEngine {
    let database: LiftDatabase
    let sla: SLAPolicy
    let machine = TicketMachine()
    let publish: TicketPublisher?
    let logger: Logger
    /// Called after each published change (the API's live stream listens here).
    var observers: [@Sendable (Ticket, [TicketMachine.Effect]) -> Void] = []

    static let day: Int64 = 86_400_000

    public init(database: LiftDatabase, sla: SLAPolicy = SLAPolicy(), publish: TicketPublisher?, logger: Logger = Logger(label: "liftwatch.tickets")) {
        self.database = database
        self.sla = sla
        self.publish = publish
        self.logger = logger
    }

    /// Registers a listener for every ticket change (after it is stored).
    public func observe(_ observer: @escaping @Sendable (Ticket, [TicketMachine.Effect]) -> Void) {
        observers.append(observer)
    }

    /// Handles committed events: a fault raised opens a ticket or counts an occurrence on the active one.
    /// Cleared faults, modes and visits are already stored; they close nothing (people close fault tickets).
    public func handle(_ events: [IngestBatch.Item<ElevatorEvent>]) async {
        for item in events {
            let event = item.value
            guard event.kind == .fault, event.state != .cleared, let fault = event.fault else { continue }
            do {
                try await handleFault(fault, event: event, elevatorID: item.elevatorID, region: item.region)
            } catch {
                logger.error("fault not turned into a ticket", metadata: ["elevator": "\(item.elevatorID)", "fault": "\(fault.rawValue)", "error": "\(error)"])
            }
        }
    }

    func handleFault(_ fault: FaultKey, event: ElevatorEvent, elevatorID: String, region: String) async throws {
        let at = event.ts
        let isRepeat = try database.faultRaisedCount(elevatorID: elevatorID, fault: fault, from: at - 30 * Self.day, to: at) >= 3
        if let active = try database.activeTicket(elevatorID: elevatorID, fault: fault) {
            let outcome = machine.recordOccurrence(active, repeat: isRepeat)
            try database.updateTicket(outcome.ticket, from: active, step: "occurrence", by: "liftwatch", note: "raised again (seq \(event.seq))", at: at)
            await deliver(outcome)
            return
        }
        let elevator = try database.elevator(elevatorID)
        let faultClass = fault.faultClass(occupied: event.occupied, carStopped: event.occupied == true ? true : nil)
        let type = TicketType(faultClass: faultClass)
        var ticket = Ticket(
            elevatorID: elevatorID, region: region, unitID: elevator?.unitID, contractorID: try database.contractor(of: elevatorID, at: at),
            type: type, openedAt: at, deadlines: sla.deadlines(for: type, region: region, openedAt: at), fault: fault,
            reason: "\(fault.rawValue): \(fault.meaning)\(event.floor.map { " at floor \($0)" } ?? "")\(event.occupied == true ? ", car occupied" : "")")
        ticket.repeat = isRepeat
        if let resolved = try database.lastResolution(elevatorID: elevatorID, fault: fault), at - resolved <= 7 * Self.day, at >= resolved {
            ticket.callback = true
        }
        try await open(ticket)
    }

    /// Stores and announces a new ticket. Returns nil when an equivalent one is active already.
    @discardableResult
    public func open(_ ticket: Ticket, by actor: String = "liftwatch") async throws -> Ticket? {
        guard let stored = try database.insertTicket(ticket, by: actor, at: ticket.openedAt) else { return nil }
        logger.info("ticket opened", metadata: [
            "ticket": "\(stored.id)", "elevator": "\(stored.elevatorID)", "type": "\(stored.type.rawValue)",
            "contractor": "\(stored.contractorID ?? "-")",
        ])
        var outcome = machine.open(stored)
        // A ticket opened after its deadlines (a scheduler that was down) is overdue at once.
        let checked = machine.checkDeadlines(stored, now: max(stored.openedAt, ticket.openedAt))
        outcome.ticket = checked.ticket
        if checked.changed {
            try database.updateTicket(checked.ticket, from: stored, step: "deadline", by: "liftwatch", note: checked.ticket.breaches.joined(separator: ", "), at: stored.openedAt)
            outcome.effects += checked.effects.filter { $0 != .notifyContractor }
        }
        await deliver(outcome)
        return outcome.ticket
    }

    /// A contractor's (or administrator's) step on a ticket.
    ///
    /// Closing a maintenance or inspection ticket looks for evidence from the elevator inside the ticket's
    /// window: a maintenance visit event, or the controller in maintenance or inspection mode.
    /// - Throws: `TicketEngineError.notFound`, or `.refused` with the state machine's reason.
    public func perform(_ action: TicketAction, on id: Int64, by actor: String, note: String? = nil, at now: Int64) async throws -> Ticket {
        guard let ticket = try database.ticket(id) else { throw TicketEngineError.notFound(id) }
        var evidence: Bool?
        if action == .close, ticket.type == .maintenance || ticket.type == .inspection {
            evidence = try database.hasMaintenanceEvidence(elevatorID: ticket.elevatorID, from: ticket.openedAt, to: now)
        }
        let outcome: TicketMachine.Outcome
        do {
            outcome = try machine.apply(action, to: ticket, at: now, note: note, evidence: evidence)
        } catch {
            throw TicketEngineError.refused(error)
        }
        try database.updateTicket(outcome.ticket, from: ticket, step: action.rawValue, by: actor, note: note, at: now)
        await deliver(outcome)
        return outcome.ticket
    }

    /// Marks missed deadlines on every active ticket.
    ///
    /// The scan of the active tickets runs outside the engine's isolation: a fault event's ticket waits for
    /// one changed ticket at most, not for the whole scan.
    @discardableResult
    public nonisolated func checkDeadlines(now: Int64) async throws -> Int {
        var escalated = 0
        for candidate in try database.activeTickets() where machine.checkDeadlines(candidate, now: now).changed {
            if try await markMissedDeadlines(ticketID: candidate.id, now: now) { escalated += 1 }
        }
        return escalated
    }

    /// One ticket of `checkDeadlines(now:)`, read again inside the isolation (a step may have come meanwhile).
    func markMissedDeadlines(ticketID: Int64, now: Int64) async throws -> Bool {
        guard let ticket = try database.ticket(ticketID) else { return false }
        let outcome = machine.checkDeadlines(ticket, now: now)
        guard outcome.changed else { return false }
        try database.updateTicket(outcome.ticket, from: ticket, step: "deadline", by: "liftwatch", note: outcome.ticket.breaches.joined(separator: ", "), at: now)
        await deliver(outcome)
        return true
    }

    /// Closes a ticket LiftWatch settles itself (a communication ticket when the elevator is back).
    public func settle(_ ticket: Ticket, note: String, at now: Int64) async throws {
        let outcome = machine.settle(ticket, at: now)
        guard outcome.changed else { return }
        try database.updateTicket(outcome.ticket, from: ticket, step: "settle", by: "liftwatch", note: note, at: now)
        await deliver(outcome)
    }

    /// Publishes a change as its effects say, queues webhook deliveries, and tells observers.
    func deliver(_ outcome: TicketMachine.Outcome) async {
        let ticket = outcome.ticket
        for effect in outcome.effects {
            switch effect {
            case .notifyContractor:
                guard let contractor = ticket.contractorID else { continue }
                let body = TicketJSON.encode(ticket)
                await send("contractor/\(contractor)/tickets", body)
                do { try database.enqueueWebhook(contractorID: contractor, ticketID: ticket.id, body: body, at: ticket.openedAt) } catch {
                    logger.error("webhook delivery not queued", metadata: ["ticket": "\(ticket.id)", "error": "\(error)"])
                }
            case .alertRegulator(let reason):
                await send("regulator/\(ticket.region)/alerts", TicketJSON.encode(ticket, alert: reason))
            }
        }
        for observer in observers { observer(ticket, outcome.effects) }
    }

    func send(_ topic: String, _ payload: [UInt8]) async {
        guard let publish else { return }
        do { try await publish(topic, payload) } catch {
            // The ticket is stored; the contractor still finds it through the API and the webhook.
            logger.error("ticket not published", metadata: ["topic": "\(topic)", "error": "\(error)"])
        }
    }
}

/// A ticket step that cannot be taken.
public enum TicketEngineError: Error, Sendable, CustomStringConvertible {
    case notFound(Int64)
    case refused(TicketActionError)

    public var description: String {
        switch self {
        case .notFound(let id): "no ticket \(id)"
        case .refused(let error): error.description
        }
    }
}
