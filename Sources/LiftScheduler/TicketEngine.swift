import Foundation
import LiftCore
import LiftStore
import Logging

/// Opens and moves tickets, and tells contractors and regulators: the one place tickets change.
///
/// Fault events come from ingestion once committed (and from `sweepUnticketedFaults`, for any that were committed
/// without their ticket); contractors' steps from the API and the CLI; deadlines, schedules and connectivity from
/// `SchedulerPass`. Each change is one transaction (`LiftDatabase.ticketTransaction`): the ticket, its step and
/// audit entry, the link from the fault event, and the messages that announce it (`contractor/{id}/tickets`,
/// `regulator/{region}/alerts`, the contractor's webhook) in the durable outbox. Once committed, the messages are
/// handed to the `OutboxDispatcher`, which publishes them until the broker acknowledges each.
public actor TicketEngine {
    let database: LiftDatabase
    let sla: SLAPolicy
    /// When a late rescue escalates to the rescue station, then the fire brigade.
    let rescuePolicy: RescueEscalationPolicy
    /// What makes a maintenance record look false.
    let visitPolicy: VisitPolicy
    let machine = TicketMachine()
    let outbox: OutboxDispatcher?
    let clock: EpochClock
    let logger: Logger
    /// Called after each change is stored (the API's live stream listens here).
    var observers: [@Sendable (Ticket, [TicketMachine.Effect]) -> Void] = []
    /// How long a fault's ticket keeps trying while another writer holds the database (`SQLITE_BUSY`) before it
    /// is left to the sweep.
    let busyRetry: Duration

    static let day: Int64 = 86_400_000

    public init(
        database: LiftDatabase, sla: SLAPolicy = SLAPolicy(), rescuePolicy: RescueEscalationPolicy = RescueEscalationPolicy(),
        visitPolicy: VisitPolicy = VisitPolicy(), outbox: OutboxDispatcher?, clock: EpochClock = .system, busyRetry: Duration = .seconds(5),
        logger: Logger = Logger(label: "liftwatch.tickets")
    ) {
        self.database = database
        self.sla = sla
        self.rescuePolicy = rescuePolicy
        self.visitPolicy = visitPolicy
        self.outbox = outbox
        self.clock = clock
        self.busyRetry = busyRetry
        self.logger = logger
    }

    /// Registers a listener for every ticket change (after it is stored).
    public func observe(_ observer: @escaping @Sendable (Ticket, [TicketMachine.Effect]) -> Void) {
        observers.append(observer)
    }

    // MARK: faults

    /// Handles committed events: a fault raised (an alarm button included) opens a ticket or counts an occurrence
    /// on the active one. Cleared faults, modes and visits are already stored; they close nothing.
    ///
    /// A fault whose ticket cannot be written (the database held past `busyRetry`, the disk full) stays unhandled
    /// in the store and is ticketed by the next `sweepUnticketedFaults`.
    public func handle(_ events: [IngestBatch.Item<ElevatorEvent>]) async {
        for item in events where item.value.raisedFault != nil {
            do {
                if item.value.assessment?.revised == true {
                    try await retryingWhileBusy { try self.escalateRevised(item) }
                    continue
                }
                try await retryingWhileBusy { try self.handleFault(item, now: item.receivedAt, recovered: false) }
            } catch {
                logger.error("fault not turned into a ticket yet; the sweep will", metadata: [
                    "elevator": "\(item.elevatorID)", "fault": "\(item.value.fault?.rawValue ?? "")", "seq": "\(item.value.seq)", "error": "\(error)",
                ])
            }
        }
    }

    /// Tickets every raised fault stored without its ticket and received at least `settle` ago (at start-up and on
    /// every scheduler pass; v1.1 §11.6). Returns how many it handled.
    @discardableResult
    public func sweepUnticketedFaults(now: Int64, settleMs: Int64 = 2_000) async throws -> Int {
        var handled = 0
        while true {
            let found = try database.unticketedFaults(receivedBefore: now - settleMs, limit: 200)
            guard !found.isEmpty else { return handled }
            for item in found {
                if try handleFault(item, now: now, recovered: true) { handled += 1 }
            }
            if found.count < 200 { return handled }
        }
    }

    /// One raised fault in one transaction: nothing if it was handled already; else an occurrence on the active
    /// ticket for its key, or a new ticket. Deadlines run from its arrival (`receivedAt`, v1.1 §11.1); its class
    /// is the one decided on arrival (`FaultAssessment`). Returns whether it did anything.
    @discardableResult
    func handleFault(_ item: IngestBatch.Item<ElevatorEvent>, now: Int64, recovered: Bool) throws -> Bool {
        let event = item.value
        guard let fault = event.raisedFault else { return false }
        let key = EventKey(elevator: item.elevator, seq: event.seq)
        let arrival = item.receivedAt
        let assessment = event.assessment ?? FaultAssessment.assess(fault, event: event, arrivedAt: arrival, latest: nil)
        let late = recovered ? " (ticketed by the sweep \(max(0, now - arrival) / 1000) s after arrival)" : ""
        let (outcome, messages) = try database.ticketTransaction("ticket \(fault.rawValue) of \(item.elevatorID)") { tx -> TicketMachine.Outcome? in
            // Handled already (by the sweep, or before a restart): nothing to do. An event not in the store (handed
            // over without its commit) is ticketed all the same.
            guard try tx.isHandled(key) != true else { return nil }
            // Counted by the controller's own clock, consistent with itself whatever its offset from ours.
            let isRepeat = try tx.faultRaisedCount(elevatorID: item.elevatorID, fault: fault, from: event.ts - 30 * Self.day, to: event.ts) >= 3
            let type = TicketType(faultClass: assessment.faultClass)
            var reason = "\(fault.rawValue): \(fault.meaning)\(event.floor.map { " at floor \($0)" } ?? "")"
            if let basis = assessment.basis { reason += "; \(basis)" }
            if let active = try tx.activeTicket(elevatorID: item.elevatorID, fault: fault), type.priority < active.priority {
                // More urgent than the ticket open for the same fault (a rescue where a minor repair stood): it becomes one.
                var outcome = machine.escalate(
                    active, to: type, deadlines: sla.deadlines(for: type, region: item.region, openedAt: arrival), at: arrival, faultAt: event.ts,
                    reason: reason + late)
                outcome.ticket.repeat = outcome.ticket.repeat || isRepeat
                if type == .rescue, outcome.ticket.rescue?.managerCalledAt == nil, try tx.elevator(item.elevatorID)?.propertyManagerID != nil {
                    outcome.ticket.rescue?.managerCalledAt = arrival
                }
                try tx.update(outcome.ticket, from: active, step: "escalate", by: "liftwatch",
                              note: "\(active.type.rawValue) → \(type.rawValue): raised again (seq \(event.seq)) as \(assessment.faultClass.rawValue)", at: arrival)
                try tx.deliver(outcome.effects, of: outcome.ticket, at: max(now, arrival))
                try tx.link(key, to: active.id)
                return outcome
            }
            if let active = try tx.activeTicket(elevatorID: item.elevatorID, fault: fault) {
                let outcome = machine.recordOccurrence(active, repeat: isRepeat)
                let told = !outcome.effects.isEmpty
                try tx.update(outcome.ticket, from: active, step: told ? "occurrence" : nil, by: "liftwatch",
                              note: "raised again (seq \(event.seq), \(outcome.ticket.occurrences) in all)\(late)", at: arrival)
                try tx.deliver(outcome.effects, of: outcome.ticket, at: arrival)
                try tx.link(key, to: active.id)
                return outcome
            }
            let elevator = try tx.elevator(item.elevatorID)
            var ticket = Ticket(
                elevatorID: item.elevatorID, region: item.region, unitID: elevator?.unitID,
                contractorID: try tx.contractor(of: item.elevatorID, at: arrival), type: type, openedAt: arrival,
                deadlines: sla.deadlines(for: type, region: item.region, openedAt: arrival), fault: fault, reason: reason + late)
            ticket.faultAt = event.ts
            ticket.repeat = isRepeat
            if type == .rescue {
                // The property manager is called with the dispatch when one is on record.
                ticket.rescue = RescueRecord(
                    dispatchedAt: arrival, cause: RescueRecord.presumedCause(of: fault), managerCalledAt: elevator?.propertyManagerID != nil ? arrival : nil)
            }
            if let resolved = try tx.lastResolution(elevatorID: item.elevatorID, fault: fault), arrival >= resolved, arrival - resolved <= 7 * Self.day {
                ticket.callback = true
            }
            guard let stored = try tx.insert(ticket, by: "liftwatch", at: arrival) else {
                throw TicketEngineAbort("an active \(fault.rawValue) ticket of \(item.elevatorID) appeared in the same transaction")
            }
            let outcome = try opened(stored, checkedAt: max(now, arrival), in: &tx)
            try tx.link(key, to: stored.id)
            return outcome
        }
        guard let outcome else { return false }
        if recovered { logger.warning("fault ticketed by the sweep", metadata: ["elevator": "\(item.elevatorID)", "fault": "\(fault.rawValue)", "ticket": "\(outcome.ticket.id)"]) }
        after(outcome, messages)
        return true
    }

    /// A fault whose class telemetry received after it made more urgent (`FaultAssessment.revised`): the ticket open
    /// for it becomes that type, its deadlines from the fault's arrival. Nothing when no such ticket is open (it was
    /// resolved meanwhile) or it is already as urgent.
    func escalateRevised(_ item: IngestBatch.Item<ElevatorEvent>) throws {
        guard let fault = item.value.raisedFault, let assessment = item.value.assessment else { return }
        let type = TicketType(faultClass: assessment.faultClass)
        let (outcome, messages) = try database.ticketTransaction("escalate the \(fault.rawValue) ticket of \(item.elevatorID)") { tx -> TicketMachine.Outcome? in
            guard let active = try tx.activeTicket(elevatorID: item.elevatorID, fault: fault), type.priority < active.priority else { return nil }
            var reason = "\(fault.rawValue): \(fault.meaning)\(item.value.floor.map { " at floor \($0)" } ?? "")"
            if let basis = assessment.basis { reason += "; \(basis)" }
            var outcome = machine.escalate(
                active, to: type, deadlines: sla.deadlines(for: type, region: item.region, openedAt: item.receivedAt), at: item.receivedAt,
                faultAt: item.value.ts, reason: reason)
            outcome.ticket.occurrences = active.occurrences
            if type == .rescue, outcome.ticket.rescue?.managerCalledAt == nil, try tx.elevator(item.elevatorID)?.propertyManagerID != nil {
                outcome.ticket.rescue?.managerCalledAt = item.receivedAt
            }
            try tx.update(outcome.ticket, from: active, step: "escalate", by: "liftwatch",
                          note: "\(active.type.rawValue) → \(type.rawValue): telemetry received after the fault shows \(assessment.basis ?? "")", at: item.receivedAt)
            try tx.deliver(outcome.effects, of: outcome.ticket, at: clock.now())
            return outcome
        }
        guard let outcome else { return }
        logger.warning("ticket escalated from later telemetry", metadata: ["ticket": "\(outcome.ticket.id)", "type": "\(type.rawValue)"])
        after(outcome, messages)
    }

    /// The `open` outcome of a stored ticket, with any deadline already missed by `now` marked at once.
    private func opened(_ stored: Ticket, checkedAt now: Int64, in tx: inout TicketTransaction) throws -> TicketMachine.Outcome {
        var outcome = machine.open(stored)
        let checked = machine.checkDeadlines(stored, now: max(now, stored.openedAt))
        if checked.changed {
            try tx.update(checked.ticket, from: stored, step: "deadline", by: "liftwatch", note: checked.ticket.breaches.joined(separator: ", "), at: now)
            outcome.ticket = checked.ticket
            outcome.effects += checked.effects.filter { $0 != .notifyContractor }
        }
        try tx.deliver(outcome.effects, of: outcome.ticket, at: max(now, stored.openedAt))
        return outcome
    }

    // MARK: other openings and steps

    /// Stores and announces a new ticket (schedule, connectivity, trends). Nil when an equivalent one is active.
    @discardableResult
    public func open(_ ticket: Ticket, by actor: String = "liftwatch", now: Int64? = nil) async throws -> Ticket? {
        let (outcome, messages) = try database.ticketTransaction("open a \(ticket.type.rawValue) ticket for \(ticket.elevatorID)") { tx -> TicketMachine.Outcome? in
            guard let stored = try tx.insert(ticket, by: actor, at: ticket.openedAt) else { return nil }
            return try opened(stored, checkedAt: now ?? ticket.openedAt, in: &tx)
        }
        guard let outcome else { return nil }
        logger.info("ticket opened", metadata: [
            "ticket": "\(outcome.ticket.id)", "elevator": "\(outcome.ticket.elevatorID)", "type": "\(outcome.ticket.type.rawValue)",
            "contractor": "\(outcome.ticket.contractorID ?? "-")",
        ])
        after(outcome, messages)
        return outcome.ticket
    }

    /// The `signal` of tickets opened by residents' reports: one open per elevator at a time.
    public static let residentReportSignal = "resident_report"

    /// A resident's report from the elevator's public page: a `minor_repair` ticket (signal `resident_report`, its
    /// deadline the region's), or, while one is open, one more occurrence of it with the report as the step's note.
    /// The contractor hears of it as of a fault's occurrences (the 1st, 2nd, 4th, 8th…).
    public func residentReport(elevatorID: String, text: String, at now: Int64) async throws -> Ticket {
        let (outcome, messages) = try database.ticketTransaction("resident report for \(elevatorID)") { tx -> TicketMachine.Outcome in
            if let active = try tx.activeTickets(elevatorID: elevatorID).first(where: { $0.signal == Self.residentReportSignal }) {
                let outcome = machine.recordOccurrence(active, repeat: false)
                try tx.update(outcome.ticket, from: active, step: "occurrence", by: "resident", note: text, at: now)
                try tx.deliver(outcome.effects, of: outcome.ticket, at: now)
                return outcome
            }
            guard let elevator = try tx.elevator(elevatorID) else { throw TicketEngineAbort("no elevator \(elevatorID)") }
            var ticket = Ticket(
                elevatorID: elevatorID, region: elevator.region, unitID: elevator.unitID, contractorID: try tx.contractor(of: elevatorID, at: now),
                type: .minorRepair, openedAt: now, deadlines: sla.deadlines(for: .minorRepair, region: elevator.region, openedAt: now), reason: text)
            ticket.signal = Self.residentReportSignal
            guard let stored = try tx.insert(ticket, by: "resident", at: now) else {
                throw TicketEngineAbort("an active resident ticket of \(elevatorID) appeared in the same transaction")
            }
            return try opened(stored, checkedAt: now, in: &tx)
        }
        after(outcome, messages)
        return outcome.ticket
    }

    /// A step by a contractor or an administrator (API, pages, CLI).
    ///
    /// Who may take it is `Principal.refusal(of:on:)`'s rule, checked here against the ticket as stored. Closing a
    /// maintenance or inspection ticket looks for evidence from the elevator inside the ticket's window.
    /// - Throws: `TicketEngineError.notFound`, `.forbidden` (the caller may not), or `.refused` with the state
    ///   machine's reason.
    public func perform(
        _ action: TicketAction, on id: Int64, as caller: Principal, note: String? = nil, details: StepDetails = StepDetails(), at now: Int64
    ) async throws -> Ticket {
        let (outcome, messages) = try database.ticketTransaction("\(action.rawValue) ticket \(id)") { tx -> TicketMachine.Outcome in
            guard let ticket = try tx.ticket(id) else { throw TicketEngineError.notFound(id) }
            let managerID = caller.role == .propertyManager ? try tx.elevator(ticket.elevatorID)?.propertyManagerID : nil
            if let refusal = caller.refusal(of: action, on: ticket, managerID: managerID) { throw TicketEngineError.forbidden(refusal) }
            var evidence: Bool?
            if action == .close, ticket.type == .maintenance || ticket.type == .inspection {
                evidence = try database.hasMaintenanceEvidence(elevatorID: ticket.elevatorID, from: ticket.openedAt, to: now)
            }
            let outcome: TicketMachine.Outcome
            do {
                outcome = try machine.apply(action, to: ticket, at: now, note: note, details: details, evidence: evidence, by: caller.actor)
            } catch let error as TicketActionError {
                throw TicketEngineError.refused(error)
            }
            try tx.update(outcome.ticket, from: ticket, step: action.rawValue, by: caller.actor, note: Self.stepNote(note, details), at: now)
            try tx.deliver(outcome.effects, of: outcome.ticket, at: now)
            // As stored: with its new revision.
            var stored = outcome
            stored.ticket = try tx.ticket(id) ?? outcome.ticket
            return stored
        }
        after(outcome, messages)
        return outcome.ticket
    }

    /// `perform(_:on:as:note:details:at:)` as an administrator named `actor` (the command line, tests).
    public func perform(
        _ action: TicketAction, on id: Int64, by actor: String, note: String? = nil, details: StepDetails = StepDetails(), at now: Int64
    ) async throws -> Ticket {
        try await perform(action, on: id, as: Principal.named(actor), note: note, details: details, at: now)
    }

    /// A step's note as stored: the caller's words, then the rescue details it carried (`passengers 2, injuries 0`).
    static func stepNote(_ note: String?, _ details: StepDetails) -> String? {
        var parts: [String] = []
        if let v = details.passengers { parts.append("passengers \(v)") }
        if let v = details.injuries { parts.append("injuries \(v)") }
        if let v = details.cause { parts.append("cause \(v.rawValue)") }
        if let v = details.responder { parts.append("by \(v.rawValue)") }
        guard !parts.isEmpty else { return note }
        return [note, "[" + parts.joined(separator: ", ") + "]"].compactMap { $0 }.joined(separator: " ")
    }

    /// Moves every active ticket whose elevator's contract has passed to another contractor by `now` (a contract
    /// change dated ahead, or a fault ticketed by the sweep after a change): a `reassign` step, and both contractors
    /// told (v1.1 §11.5). Returns how many moved.
    @discardableResult
    public nonisolated func followContracts(now: Int64) async throws -> Int {
        var moved = 0
        for ticket in try database.activeTickets() where try database.contractor(of: ticket.elevatorID, at: now) != ticket.contractorID {
            if try await reassign(ticketID: ticket.id, now: now) { moved += 1 }
        }
        return moved
    }

    func reassign(ticketID: Int64, now: Int64) async throws -> Bool {
        let (outcome, messages) = try database.ticketTransaction("reassign ticket \(ticketID)") { tx -> TicketMachine.Outcome? in
            guard let ticket = try tx.ticket(ticketID), ticket.status.isActive else { return nil }
            let current = try tx.contractor(of: ticket.elevatorID, at: now)
            let outcome = machine.reassign(ticket, to: current)
            guard outcome.changed else { return nil }
            try tx.update(outcome.ticket, from: ticket, step: "reassign", by: "liftwatch",
                          note: "maintenance contract of \(ticket.elevatorID) in force: \(ticket.contractorID ?? "no contractor") → \(current ?? "no contractor")", at: now)
            try tx.deliver(outcome.effects, of: outcome.ticket, at: now)
            return outcome
        }
        guard let outcome else { return false }
        after(outcome, messages)
        return true
    }

    /// Marks missed deadlines on every active ticket.
    ///
    /// The scan of the active tickets runs outside the engine's isolation: a fault event's ticket waits for
    /// one changed ticket at most, not for the whole scan.
    @discardableResult
    public nonisolated func checkDeadlines(now: Int64) async throws -> Int {
        var escalated = 0
        for candidate in try database.activeTickets()
        where machine.checkDeadlines(candidate, now: now).changed || machine.escalateRescue(candidate, now: now, policy: rescuePolicy) != nil {
            if try await markMissedDeadlines(ticketID: candidate.id, now: now) { escalated += 1 }
        }
        return escalated
    }

    /// One ticket of `checkDeadlines(now:)`, read again inside the transaction (a step may have come meanwhile).
    func markMissedDeadlines(ticketID: Int64, now: Int64) async throws -> Bool {
        let (outcome, messages) = try database.ticketTransaction("check the deadlines of ticket \(ticketID)") { tx -> TicketMachine.Outcome? in
            guard let ticket = try tx.ticket(ticketID) else { return nil }
            var outcome = machine.checkDeadlines(ticket, now: now)
            if outcome.changed {
                try tx.update(outcome.ticket, from: ticket, step: "deadline", by: "liftwatch", note: outcome.ticket.breaches.joined(separator: ", "), at: now)
            }
            // A late rescue goes to the rescue station, then the fire brigade: a step and an alert each.
            if let escalation = machine.escalateRescue(outcome.ticket, now: now, policy: rescuePolicy) {
                let step = escalation.responder == .rescueStation ? "dispatch_rescue_station" : "call_fire_brigade"
                try tx.update(escalation.outcome.ticket, from: outcome.ticket, step: step, by: "liftwatch", note: escalation.why, at: now)
                var effects = outcome.effects
                for effect in escalation.outcome.effects where !effects.contains(effect) { effects.append(effect) }
                outcome = TicketMachine.Outcome(ticket: escalation.outcome.ticket, effects: effects, changed: true)
                logger.warning("rescue escalated", metadata: [
                    "ticket": "\(ticketID)", "elevator": "\(ticket.elevatorID)", "to": "\(escalation.responder.rawValue)", "why": "\(escalation.why)",
                ])
            }
            guard outcome.changed else { return nil }
            try tx.deliver(outcome.effects, of: outcome.ticket, at: now)
            return outcome
        }
        guard let outcome else { return false }
        after(outcome, messages)
        return true
    }

    /// Closes a ticket LiftWatch settles itself (a communication ticket when the elevator is back).
    public func settle(_ ticketID: Int64, note: String, at now: Int64) async throws {
        let (outcome, messages) = try database.ticketTransaction("settle ticket \(ticketID)") { tx -> TicketMachine.Outcome? in
            guard let ticket = try tx.ticket(ticketID) else { return nil }
            let outcome = machine.settle(ticket, at: now)
            guard outcome.changed else { return nil }
            try tx.update(outcome.ticket, from: ticket, step: "settle", by: "liftwatch", note: note, at: now)
            try tx.deliver(outcome.effects, of: outcome.ticket, at: now)
            return outcome
        }
        guard let outcome else { return }
        after(outcome, messages)
    }

    /// Hands messages another transaction queued in the outbox (an area incident's alert) to the broker now.
    public nonisolated func dispatch(_ messages: [OutboxMessage]) {
        outbox?.send(messages)
    }

    /// After a commit: the messages to the broker at once, and the observers.
    func after(_ outcome: TicketMachine.Outcome, _ messages: [OutboxMessage]) {
        outbox?.send(messages)
        for observer in observers { observer(outcome.ticket, outcome.effects) }
    }

    /// Runs `body` again while the database is busy (another process's writer), for up to `busyRetry`.
    private func retryingWhileBusy<T>(_ body: () throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + busyRetry
        var delay = Duration.milliseconds(50)
        while true {
            do {
                return try body()
            } catch let error as StoreError where error.isBusy && ContinuousClock.now + delay < deadline {
                logger.warning("database busy; retrying the ticket", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
            }
        }
    }
}

/// A ticket step that cannot be taken.
public enum TicketEngineError: Error, Sendable, CustomStringConvertible {
    case notFound(Int64)
    /// The caller may not take this step on this ticket (`Principal.refusal(of:on:)`).
    case forbidden(String)
    case refused(TicketActionError)

    public var description: String {
        switch self {
        case .notFound(let id): "no ticket \(id)"
        case .forbidden(let reason): reason
        case .refused(let error): error.description
        }
    }
}
