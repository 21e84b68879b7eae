/// The ticket state machine: steps, occurrences, deadlines. Pure: it returns the new ticket and what to do
/// about it (publish it, alert the regulator); the scheduler stores and sends.
public struct TicketMachine: Sendable {
    /// What a change asks the caller to do.
    public enum Effect: Sendable, Hashable {
        /// Publish the ticket on `contractor/{contractor_id}/tickets` (and to the contractor's webhook).
        case notifyContractor
        /// Tell the contractor who had the ticket before a contract change (its topic and webhook): it is no
        /// longer theirs.
        case notifyFormerContractor(String)
        /// Publish the ticket on `regulator/{region}/alerts`, saying why.
        case alertRegulator(reason: String)
    }

    /// A ticket after a change, and the effects to carry out.
    public struct Outcome: Sendable, Hashable {
        public var ticket: Ticket
        public var effects: [Effect]
        /// Whether anything changed (a deadline check often changes nothing).
        public var changed: Bool

        public init(ticket: Ticket, effects: [Effect], changed: Bool) {
            self.ticket = ticket
            self.effects = effects
            self.changed = changed
        }
    }

    public init() {}

    /// A new ticket: the contractor hears of it; rescue and safety tickets also go to the regulator.
    public func open(_ ticket: Ticket) -> Outcome {
        var ticket = ticket
        if ticket.type == .rescue, ticket.rescue == nil {
            ticket.rescue = RescueRecord(dispatchedAt: ticket.openedAt, cause: RescueRecord.presumedCause(of: ticket.fault))
        }
        var effects: [Effect] = [.notifyContractor]
        if ticket.type.alertsRegulatorOnOpen { effects.append(.alertRegulator(reason: "\(ticket.type.rawValue) ticket opened")) }
        return Outcome(ticket: ticket, effects: effects, changed: true)
    }

    /// The next status each action needs and gives.
    /// A nil `to` keeps the status: the rescue steps that record what happens inside one.
    static func transition(_ action: TicketAction) -> (from: Set<TicketStatus>, to: TicketStatus?) {
        switch action {
        case .acknowledge: ([.open], .acknowledged)
        case .arrive: ([.acknowledged], .onSite)
        case .resolve, .release: ([.onSite], .resolved)
        case .close: ([.resolved], .closed)
        case .cancel: ([.open, .acknowledged, .onSite, .resolved], .cancelled)
        case .contact: ([.open, .acknowledged, .onSite], nil)
        case .followUp: ([.resolved], nil)
        case .answer: ([.open, .acknowledged, .onSite, .resolved], nil)
        }
    }

    /// Why `details` do not fit `action` on `ticket`, or nil when they do.
    static func detailsProblem(_ action: TicketAction, _ details: StepDetails, on ticket: Ticket) -> String? {
        let rescue = ticket.type == .rescue
        if !rescue, !details.isEmpty {
            return "passengers, injuries, cause and responder belong to rescue tickets; ticket \(ticket.id) is a \(ticket.type.rawValue) ticket"
        }
        let releasing = action == .release || action == .resolve
        if details.passengers != nil || details.injuries != nil {
            guard releasing else { return "passengers and injuries are given with release (or resolve) of a rescue" }
        }
        if action == .release {
            guard details.passengers != nil else { return "passengers: required with release (how many were let out; 0 if the car was empty)" }
            guard details.injuries != nil else { return "injuries: required with release (0 if nobody was hurt)" }
        }
        if let passengers = details.passengers, !(0...100).contains(passengers) { return "passengers: expected 0 to 100, got \(passengers)" }
        if let injuries = details.injuries {
            guard details.passengers != nil else { return "injuries: given with passengers (how many were let out)" }
            guard injuries >= 0 else { return "injuries: expected 0 or more, got \(injuries)" }
            if let passengers = details.passengers, injuries > passengers { return "injuries: \(injuries) is more than the \(passengers) passengers released" }
        }
        if details.cause != nil, ![.release, .resolve, .followUp, .close].contains(action) {
            return "cause is given with release, resolve, follow_up or close of a rescue"
        }
        if details.responder != nil, action != .arrive, !releasing { return "responder is given with arrive or release of a rescue" }
        return nil
    }

    /// Moves a ticket one step. Who may take it is `Principal.refusal(of:on:)`'s decision, not this one's.
    ///
    /// - Parameters:
    ///   - note: required for `cancel` (the reason); a cancellation is also an alert to the regulator (v1.1 §11.4).
    ///   - evidence: for `close` of maintenance and inspection tickets: whether the elevator itself showed the
    ///     visit (a maintenance event, or maintenance/inspection mode inside the ticket's window). False flags
    ///     the ticket `unverified`; it is closed all the same.
    /// - Throws: `TicketActionError` for a step out of order, naming the step expected next.
    public func apply(
        _ action: TicketAction, to ticket: Ticket, at now: Int64, note: String? = nil, details: StepDetails = StepDetails(), evidence: Bool? = nil,
        by actor: String? = nil
    ) throws(TicketActionError) -> Outcome {
        let (from, to) = Self.transition(action)
        // A request without its reason is refused as such, whatever the ticket's state.
        if action == .cancel, note.map({ $0.allSatisfy(\.isWhitespace) }) ?? true {
            throw TicketActionError(action: action, status: ticket.status, expected: nil, message: "cancelling needs a reason in `note`", kind: .missingNote)
        }
        if action.isRescueStep, ticket.type != .rescue {
            throw TicketActionError(
                action: action, status: ticket.status, expected: nil,
                message: "\(action.rawValue) is a step of rescue tickets; ticket \(ticket.id) is a \(ticket.type.rawValue) ticket", kind: .notApplicable)
        }
        if let problem = Self.detailsProblem(action, details, on: ticket) {
            throw TicketActionError(action: action, status: ticket.status, expected: nil, message: problem, kind: .invalidDetails)
        }
        // A rescue station or the fire brigade sent past an unacknowledged maintainer may arrive while it is open.
        let escalatedArrival = action == .arrive && ticket.status == .open && (details.responder ?? .maintainer) != .maintainer
        guard from.contains(ticket.status) || escalatedArrival else {
            throw TicketActionError(action: action, status: ticket.status, expected: Self.nextAction(after: ticket.status, of: ticket.type))
        }
        if let responder = details.responder, responder > (ticket.rescue?.escalationLevel ?? .maintainer) {
            throw TicketActionError(
                action: action, status: ticket.status, expected: nil,
                message: "responder: \(responder.rawValue) was not dispatched to ticket \(ticket.id) (it is at \((ticket.rescue?.escalationLevel ?? .maintainer).rawValue))",
                kind: .invalidDetails)
        }
        var ticket = ticket
        if ticket.type == .rescue, ticket.rescue == nil {
            // Opened before rescues kept a dispatch record.
            ticket.rescue = RescueRecord(dispatchedAt: ticket.openedAt, cause: RescueRecord.presumedCause(of: ticket.fault))
        }
        if let to { ticket.status = to }
        // The rescue's own record (nil on other types: every change to it below is then nothing).
        var record = ticket.rescue
        switch action {
        case .acknowledge: ticket.acknowledgedAt = now
        case .arrive:
            ticket.onSiteAt = now
            record?.arrivedBy = details.responder ?? .maintainer
        case .resolve, .release:
            ticket.resolvedAt = now
            record?.releasedAt = now
            let arrivedBy = record?.arrivedBy
            record?.releasedBy = details.responder ?? arrivedBy ?? .maintainer
            if let passengers = details.passengers { record?.passengersReleased = passengers }
            if let injuries = details.injuries { record?.injuries = injuries }
        case .close:
            ticket.closedAt = now
            if ticket.type == .maintenance || ticket.type == .inspection, evidence == false { ticket.unverified = true }
        case .cancel:
            ticket.cancelledAt = now
            ticket.cancelReason = note
        case .contact:
            guard record?.contactedAt == nil else {
                throw TicketActionError(action: action, status: ticket.status, expected: nil, message: "the passengers' first contact on ticket \(ticket.id) is recorded already")
            }
            record?.contactedAt = now
        case .followUp:
            guard record?.followUpAt == nil else {
                throw TicketActionError(action: action, status: ticket.status, expected: .close, message: "the follow-up call of ticket \(ticket.id) is recorded already")
            }
            record?.followUpAt = now
        case .answer:
            guard record?.managerCalledAt != nil else {
                throw TicketActionError(
                    action: action, status: ticket.status, expected: nil, message: "no property manager was called for ticket \(ticket.id)", kind: .notApplicable)
            }
            guard record?.managerAnsweredAt == nil else {
                throw TicketActionError(action: action, status: ticket.status, expected: nil, message: "the property manager's answer to ticket \(ticket.id) is recorded already")
            }
            record?.managerAnsweredAt = now
        }
        if let cause = details.cause { record?.cause = cause }
        ticket.rescue = record
        var outcome = Outcome(ticket: ticket, effects: [.notifyContractor], changed: true)
        if action == .cancel {
            outcome.effects.append(.alertRegulator(reason: "\(ticket.type.rawValue) ticket cancelled\(actor.map { " by \($0)" } ?? ""): \(note ?? "")"))
        }
        // A step taken late shows as a breach at once rather than at the next deadline check.
        let checked = checkDeadlines(outcome.ticket, now: now)
        outcome.ticket = checked.ticket
        outcome.effects += checked.effects.filter { $0 != .notifyContractor }
        return outcome
    }

    /// The action a ticket in `status` waits for, if any.
    public static func nextAction(after status: TicketStatus, of type: TicketType? = nil) -> TicketAction? {
        switch status {
        case .open: .acknowledge
        case .acknowledged: .arrive
        case .onSite: type == .rescue ? .release : .resolve
        case .resolved: .close
        case .closed, .cancelled: nil
        }
    }

    /// The fault was raised again while the ticket is active: one more occurrence, nothing new opened.
    ///
    /// The contractor hears of it at the 2nd, 4th, 8th … occurrence (and the regulator when the ticket becomes
    /// `repeat`): a controller raising the same fault a thousand times costs ten messages, not a thousand. With no
    /// effects, only the count is stored (no step, no audit entry).
    public func recordOccurrence(_ ticket: Ticket, repeat isRepeat: Bool) -> Outcome {
        var ticket = ticket
        ticket.occurrences += 1
        var effects: [Effect] = []
        if ticket.occurrences & (ticket.occurrences - 1) == 0 { effects.append(.notifyContractor) }
        if isRepeat && !ticket.repeat {
            ticket.repeat = true
            if effects.isEmpty { effects.append(.notifyContractor) }
            effects.append(.alertRegulator(reason: "repeat fault \(ticket.fault?.rawValue ?? "")"))
        }
        return Outcome(ticket: ticket, effects: effects, changed: true)
    }

    /// The fault was raised again and, this time, is more urgent than the active ticket's type (an alarm pressed
    /// in a moving car opened a minor repair; now the car is stopped with someone inside): the ticket becomes that
    /// type, with its priority and deadlines from this arrival, and the contractor and (for rescue and safety) the
    /// regulator are told as for a new ticket. The occurrence is counted.
    public func escalate(_ ticket: Ticket, to type: TicketType, deadlines: SLAPolicy.Deadlines, at now: Int64, faultAt: Int64?, reason: String) -> Outcome {
        var raised = ticket
        raised.type = type
        raised.priority = type.priority
        raised.openedAt = now
        raised.faultAt = faultAt ?? raised.faultAt
        raised.ackDueAt = deadlines.acknowledge
        raised.onSiteDueAt = deadlines.onSite
        raised.resolveDueAt = deadlines.resolve
        raised.dueAt = deadlines.due
        raised.occurrences += 1
        raised.reason = reason
        // Deadlines missed as the earlier type are no longer this ticket's: it starts afresh as the new type.
        raised.breaches = []
        raised.overdue = false
        if type == .rescue, raised.rescue == nil {
            raised.rescue = RescueRecord(dispatchedAt: now, cause: RescueRecord.presumedCause(of: raised.fault))
        }
        var effects: [Effect] = [.notifyContractor]
        if type.alertsRegulatorOnOpen { effects.append(.alertRegulator(reason: "\(type.rawValue) ticket opened (was \(ticket.type.rawValue) ticket \(ticket.id))")) }
        return Outcome(ticket: raised, effects: effects, changed: true)
    }

    /// The elevator's contract moved to `contractorID` (v1.1 §11.5): an active ticket goes with it, and both the
    /// new and the former contractor are told. Nothing changes for a ticket that is already final or already theirs.
    public func reassign(_ ticket: Ticket, to contractorID: String?) -> Outcome {
        guard !ticket.status.isFinal, ticket.contractorID != contractorID else { return Outcome(ticket: ticket, effects: [], changed: false) }
        var moved = ticket
        moved.contractorID = contractorID
        var effects: [Effect] = [.notifyContractor]
        if let former = ticket.contractorID { effects.append(.notifyFormerContractor(former)) }
        return Outcome(ticket: moved, effects: effects, changed: true)
    }

    /// Marks each deadline missed by `now` (its step not taken in time): `overdue` and `escalated`, and one
    /// regulator alert per deadline missed.
    public func checkDeadlines(_ ticket: Ticket, now: Int64) -> Outcome {
        guard !ticket.status.isFinal || ticket.status == .closed else { return Outcome(ticket: ticket, effects: [], changed: false) }
        var ticket = ticket
        var effects: [Effect] = []
        var deadlines: [(name: String, due: Int64?, done: Int64?)] = [
            ("acknowledge", ticket.ackDueAt, ticket.acknowledgedAt),
            ("on_site", ticket.onSiteDueAt, ticket.onSiteAt),
            ("resolve", ticket.resolveDueAt, ticket.resolvedAt),
        ]
        if ticket.type == .maintenance || ticket.type == .inspection {
            deadlines.append(("due", ticket.dueAt, ticket.resolvedAt ?? ticket.closedAt))
        }
        for (name, due, done) in deadlines {
            guard let due, !ticket.breaches.contains(name) else { continue }
            let missed = done.map { $0 > due } ?? (now > due)
            guard missed, ticket.status != .closed || done != nil else { continue }
            ticket.breaches.append(name)
            ticket.overdue = true
            ticket.escalated = true
            effects.append(.alertRegulator(reason: "\(name) deadline missed"))
        }
        if !effects.isEmpty { effects.insert(.notifyContractor, at: 0) }
        return Outcome(ticket: ticket, effects: effects, changed: !effects.isEmpty)
    }

    /// A rescue escalated past its maintainer: the responder now dispatched and why.
    public struct RescueEscalation: Sendable, Hashable {
        public var outcome: Outcome
        public var responder: RescueResponder
        public var why: String
    }

    /// Escalates a rescue nobody has reached in time (`RescueEscalationPolicy`): the nearby rescue station when
    /// the acknowledge deadline passed unacknowledged or the on-site deadline with nobody there; the fire brigade
    /// (119) when still nobody is on site `fireBrigadeAfterMs` after the station was sent. One level per call;
    /// nil when nothing is due. Each level is an alert to the regulator and a message to the contractor.
    public func escalateRescue(_ ticket: Ticket, now: Int64, policy: RescueEscalationPolicy) -> RescueEscalation? {
        guard ticket.type == .rescue, ticket.status == .open || ticket.status == .acknowledged, ticket.onSiteAt == nil else { return nil }
        var record = ticket.rescue ?? RescueRecord(dispatchedAt: ticket.openedAt, cause: RescueRecord.presumedCause(of: ticket.fault))
        let minutes = { (due: Int64) in "\((due - ticket.openedAt) / 60_000) min" }
        let responder: RescueResponder
        let why: String
        switch record.escalationLevel {
        case .maintainer:
            if let due = ticket.ackDueAt, ticket.acknowledgedAt == nil, now > due {
                why = "the maintainer did not acknowledge within \(minutes(due))"
            } else if let due = ticket.onSiteDueAt, now > due {
                why = "nobody on site within \(minutes(due))"
            } else {
                return nil
            }
            responder = .rescueStation
            record.stationDispatchedAt = now
        case .rescueStation:
            guard let sent = record.stationDispatchedAt, now >= sent + policy.fireBrigadeAfterMs else { return nil }
            responder = .fireBrigade
            why = "nobody on site \(policy.fireBrigadeAfterMs / 60_000) min after the rescue station was sent"
            record.fireBrigadeCalledAt = now
        case .fireBrigade:
            return nil
        }
        record.escalationLevel = responder
        var escalated = ticket
        escalated.rescue = record
        escalated.escalated = true
        let whom = responder == .rescueStation ? "the nearby rescue station" : "the fire brigade (119)"
        let outcome = Outcome(ticket: escalated, effects: [.notifyContractor, .alertRegulator(reason: "rescue escalated to \(whom): \(why)")], changed: true)
        return RescueEscalation(outcome: outcome, responder: responder, why: why)
    }

    /// Closes a ticket LiftWatch itself settles (a `communication` ticket when the elevator is back online).
    public func settle(_ ticket: Ticket, at now: Int64) -> Outcome {
        guard !ticket.status.isFinal else { return Outcome(ticket: ticket, effects: [], changed: false) }
        var ticket = ticket
        ticket.resolvedAt = ticket.resolvedAt ?? now
        ticket.closedAt = now
        ticket.status = .closed
        return Outcome(ticket: ticket, effects: [.notifyContractor], changed: true)
    }
}

/// A ticket step refused: out of order, or missing what it needs.
public struct TicketActionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why: the step is out of order (a conflict with the ticket's state), or the request lacks something.
    public enum Kind: Sendable, Hashable {
        case outOfOrder
        /// `cancel` without a reason: a bad request, whatever the ticket's state.
        case missingNote
        /// The step does not apply to this ticket (a rescue step on another type, an answer nobody was called for).
        case notApplicable
        /// The step's details are missing or do not fit it (passengers of a release, a cause on an arrival).
        case invalidDetails
    }

    public var action: TicketAction
    public var status: TicketStatus
    /// The step the ticket waits for, nil when it is closed or cancelled.
    public var expected: TicketAction?
    var message: String?
    public var kind: Kind = .outOfOrder

    public init(action: TicketAction, status: TicketStatus, expected: TicketAction?, message: String? = nil, kind: Kind = .outOfOrder) {
        self.action = action
        self.status = status
        self.expected = expected
        self.message = message
        self.kind = kind
    }

    public var description: String {
        if let message { return message }
        let next = expected.map { "the next step is \($0.rawValue)" } ?? "it takes no more steps"
        return "cannot \(action.rawValue) a ticket that is \(status.rawValue): \(next)"
    }
}
