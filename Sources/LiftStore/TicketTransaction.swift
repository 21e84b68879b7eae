import Foundation
import GRDB
import LiftCore

/// One write transaction on tickets: what a decision reads, and the change with its step, audit entry and
/// deliveries (MQTT outbox rows, webhook deliveries), all committed together or not at all.
///
/// A ticket therefore never exists without the messages that announce it, and a raised fault is linked to its
/// ticket in the same commit: a crash leaves either both or an unhandled fault the sweep will find
/// (`LiftDatabase.unticketedFaults`). Obtained from `LiftDatabase.ticketTransaction(_:_:)`.
public struct TicketTransaction {
    let db: Database
    /// Messages this transaction queued, to hand to the broker once it has committed.
    public private(set) var outbox: [OutboxMessage] = []
    /// Webhook deliveries this transaction queued.
    public private(set) var webhooksQueued = 0

    init(db: Database) { self.db = db }

    // MARK: reads

    public func ticket(_ id: Int64) throws -> Ticket? { try LiftDatabase.ticket(db, id) }

    public func activeTicket(elevatorID: String, fault: FaultKey) throws -> Ticket? {
        try LiftDatabase.activeTicket(db, elevatorID: elevatorID, fault: fault)
    }

    /// Active tickets of an elevator (`open`, `acknowledged`, `on_site`).
    public func activeTickets(elevatorID: String) throws -> [Ticket] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM tickets WHERE elevator_id = ? AND status IN ('open', 'acknowledged', 'on_site') ORDER BY id"),
            arguments: [elevatorID]
        ).map(Ticket.init(row:))
    }

    public func lastResolution(elevatorID: String, fault: FaultKey) throws -> Int64? {
        try LiftDatabase.lastResolution(db, elevatorID: elevatorID, fault: fault)
    }

    public func faultRaisedCount(elevatorID: String, fault: FaultKey, from: Int64, to: Int64) throws -> Int {
        try LiftDatabase.faultRaisedCount(db, elevatorID: elevatorID, fault: fault, from: from, to: to)
    }

    public func contractor(of elevatorID: String, at time: Int64) throws -> String? {
        try LiftDatabase.contractor(db, of: elevatorID, at: time)
    }

    public func elevator(_ elevatorID: String) throws -> ElevatorRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM elevators WHERE elevator_id = ?"), arguments: [elevatorID]).map(ElevatorRecord.init(row:))
    }

    /// Whether a stored event has been handled (linked to a ticket); nil when no such event is stored.
    public func isHandled(_ event: EventKey) throws -> Bool? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT ticket_id FROM events WHERE elevator = ? AND seq = ?"), arguments: [event.elevator, Int64(event.seq)])
        else { return nil }
        return (row["ticket_id"] as Int64?) != nil
    }

    // MARK: writes

    /// Stores a new ticket with its `open` step and audit entry. Nil when an equivalent ticket is active already.
    public mutating func insert(_ ticket: Ticket, by actor: String, at now: Int64) throws -> Ticket? {
        try LiftDatabase.insertTicket(db, ticket, by: actor, at: now)
    }

    /// Writes a changed ticket. With a `step`, the step (who, when, note) and an audit entry are recorded; without,
    /// only the row changes (an occurrence count nobody is told of).
    public mutating func update(_ ticket: Ticket, from previous: Ticket, step: String?, by actor: String, note: String? = nil, at now: Int64) throws {
        try LiftDatabase.updateTicket(db, ticket, from: previous, step: step, by: actor, note: note, at: now)
    }

    /// Marks a stored event as handled by `ticketID`, with the class it was handled as.
    public mutating func link(_ event: EventKey, to ticketID: Int64) throws {
        try db.cachedStatement(sql: "UPDATE events SET ticket_id = ? WHERE elevator = ? AND seq = ?")
            .execute(arguments: [ticketID, event.elevator, Int64(event.seq)])
    }

    /// Queues what a change's effects ask for: the ticket on its contractor's topic (and webhook), on a former
    /// contractor's, and alerts on the region's alerts topic.
    public mutating func deliver(_ effects: [TicketMachine.Effect], of ticket: Ticket, at now: Int64) throws {
        guard !effects.isEmpty else { return }
        // What is announced is the ticket as stored, with its revision.
        let ticket = try LiftDatabase.ticket(db, ticket.id) ?? ticket
        for effect in effects {
            switch effect {
            case .notifyContractor:
                guard let contractor = ticket.contractorID else { continue }
                try notify(contractor: contractor, ticket, at: now)
            case .notifyFormerContractor(let contractor):
                try notify(contractor: contractor, ticket, at: now)
            case .alertRegulator(let reason):
                try enqueue(topic: "regulator/\(ticket.region)/alerts", payload: TicketJSON.encode(ticket, alert: reason), priority: ticket.priority,
                            ticketID: ticket.id, at: now)
            }
        }
    }

    private mutating func notify(contractor: String, _ ticket: Ticket, at now: Int64) throws {
        let body = TicketJSON.encode(ticket)
        try enqueue(topic: "contractor/\(contractor)/tickets", payload: body, priority: ticket.priority, ticketID: ticket.id, at: now)
        try db.cachedStatement(sql: """
            INSERT INTO webhook_deliveries(contractor_id, ticket_id, body, next_attempt_at, created_at, priority)
            SELECT contractor_id, ?, ?, ?, ?, ? FROM webhooks WHERE contractor_id = ?
            """).execute(arguments: [ticket.id, Data(body), now, now, ticket.priority, contractor])
        webhooksQueued += db.changesCount
    }

    /// Queues one message for the broker.
    public mutating func enqueue(topic: String, payload: [UInt8], priority: Int, ticketID: Int64? = nil, at now: Int64) throws {
        outbox.append(try Outbox.insert(db, topic: topic, payload: payload, priority: priority, ticketID: ticketID, at: now))
    }
}

/// A stored event: its elevator's compact key and its (offset) `seq`.
public struct EventKey: Sendable, Hashable {
    public var elevator: Int64
    public var seq: UInt64
    public init(elevator: Int64, seq: UInt64) {
        self.elevator = elevator
        self.seq = seq
    }
}

extension LiftDatabase {
    /// Runs `body` in one write transaction (see `TicketTransaction`) and returns its result with the messages it
    /// queued for the broker, to be handed to the outbox's dispatcher once committed.
    /// An error `body` throws rolls the transaction back and comes out as it is.
    /// - Throws: `StoreError` naming `operation` when SQLite refuses, with its result code (retry `BUSY`, never `FULL`).
    public func ticketTransaction<T>(_ operation: String, _ body: (inout TicketTransaction) throws -> T) throws -> (value: T, outbox: [OutboxMessage]) {
        try writeHealth.recording {
            do {
                return try write { db in
                    var transaction = TicketTransaction(db: db)
                    let value = try body(&transaction)
                    return (value, transaction.outbox)
                }
            } catch let error as DatabaseError {
                throw StoreError(operation: operation, underlying: error)
            }
        }
    }

    /// Raised faults stored but not yet turned into a ticket (or counted on one), received at or before `receivedBefore`,
    /// oldest first: what was committed when the ticket could not follow (database busy or full, process killed).
    public func unticketedFaults(receivedBefore: Int64, limit: Int = 500) throws -> [IngestBatch.Item<ElevatorEvent>] {
        try read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT v.*, e.elevator_id AS elevator_code, e.region AS elevator_region FROM events v JOIN elevators e ON e.id = v.elevator
                WHERE v.ticket_id IS NULL AND v.fault IS NOT NULL AND v.state = 'raised' AND v.received_at <= ?
                ORDER BY v.received_at LIMIT ?
                """), arguments: [receivedBefore, limit]).map { row in
                IngestBatch.Item(
                    elevator: row["elevator"], elevatorID: row["elevator_code"], region: row["elevator_region"], value: ElevatorEvent(row: row),
                    receivedAt: row["received_at"])
            }
        }
    }
}

/// Thrown from inside a `ticketTransaction` body to roll it back for a reason of the caller's own.
public struct TicketEngineAbort: Error, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}
