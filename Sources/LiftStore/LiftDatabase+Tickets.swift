import Foundation
import GRDB
import LiftCore

extension LiftDatabase {
    static let ticketColumns = """
        elevator_id, region, unit_id, contractor_id, type, priority, status, opened_at, ack_due_at, on_site_due_at, resolve_due_at,
        due_at, acknowledged_at, on_site_at, resolved_at, closed_at, cancelled_at, fault, level, signal, occurrences, overdue, escalated,
        repeat, callback, unverified, reason, cancel_reason, breaches, updated_at, fault_at, rescue
        """

    static func ticketArguments(_ t: Ticket, at now: Int64) -> StatementArguments {
        [
            t.elevatorID, t.region, t.unitID, t.contractorID, t.type.rawValue, t.priority, t.status.rawValue, t.openedAt, t.ackDueAt,
            t.onSiteDueAt, t.resolveDueAt, t.dueAt, t.acknowledgedAt, t.onSiteAt, t.resolvedAt, t.closedAt, t.cancelledAt,
            t.fault?.rawValue, t.level, t.signal, t.occurrences, t.overdue, t.escalated, t.repeat, t.callback, t.unverified, t.reason,
            t.cancelReason, t.breaches.joined(separator: ","), now, t.faultAt, t.rescue.flatMap(RescueRecord.stored),
        ]
    }

    /// Stores a new ticket with its `open` step and an audit entry.
    ///
    /// - Returns: the ticket with its id, or nil when an equivalent ticket is already active (the database's
    ///   one-active-ticket rules), so that a pass run twice opens nothing new.
    public func insertTicket(_ ticket: Ticket, by actor: String, at now: Int64) throws -> Ticket? {
        do {
            return try write { db in try Self.insertTicket(db, ticket, by: actor, at: now) }
        } catch {
            throw StoreError(operation: "open a \(ticket.type.rawValue) ticket for \(ticket.elevatorID)", underlying: error)
        }
    }

    static func insertTicket(_ db: Database, _ ticket: Ticket, by actor: String, at now: Int64) throws -> Ticket? {
        let placeholders = Array(repeating: "?", count: 32).joined(separator: ", ")
        // Its place is its elevator's (the unit's area code when known), for scopes of every level.
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO tickets(\(ticketColumns), place)
                VALUES (\(placeholders), coalesce((SELECT place FROM elevators WHERE elevator_id = ?), ?))
                """,
            arguments: ticketArguments(ticket, at: now) + [ticket.elevatorID, ticket.region])
        guard db.changesCount == 1 else { return nil }
        var stored = ticket
        stored.id = db.lastInsertedRowID
        stored.place = try String.fetchOne(db, sql: "SELECT place FROM tickets WHERE id = ?", arguments: [stored.id])
        try db.execute(
            sql: "INSERT INTO ticket_steps(ticket_id, at, actor, action, to_status, note) VALUES (?, ?, ?, 'open', 'open', ?)",
            arguments: [stored.id, now, actor, ticket.reason])
        try appendAudit(db, at: now, actor: actor, action: "ticket.open", subject: "ticket:\(stored.id)", detail: [
            "elevator_id": ticket.elevatorID, "type": ticket.type.rawValue, "fault": ticket.fault?.rawValue, "level": ticket.level,
            "signal": ticket.signal, "contractor_id": ticket.contractorID, "reason": ticket.reason,
        ])
        return stored
    }

    /// Writes a changed ticket and records the step: who, when, what, and the note.
    public func updateTicket(_ ticket: Ticket, from previous: Ticket, step: String, by actor: String, note: String? = nil, at now: Int64) throws {
        do {
            try write { db in try Self.updateTicket(db, ticket, from: previous, step: step, by: actor, note: note, at: now) }
        } catch {
            throw StoreError(operation: "update ticket \(ticket.id)", underlying: error)
        }
    }

    static func updateTicket(_ db: Database, _ ticket: Ticket, from previous: Ticket, step: String?, by actor: String, note: String?, at now: Int64) throws {
        var arguments = Self.ticketArguments(ticket, at: now)
        arguments += [ticket.id]
        try db.cachedStatement(sql: "UPDATE tickets SET \(ticketAssignments), revision = revision + 1 WHERE id = ?").execute(arguments: arguments)
        guard let step else { return }
        try db.execute(
            sql: "INSERT INTO ticket_steps(ticket_id, at, actor, action, from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [ticket.id, now, actor, step, previous.status.rawValue, ticket.status.rawValue, note])
        try Self.appendAudit(db, at: now, actor: actor, action: "ticket.\(step)", subject: "ticket:\(ticket.id)", detail: [
            "elevator_id": ticket.elevatorID, "from": previous.status.rawValue, "to": ticket.status.rawValue, "note": note,
            "contractor_id": previous.contractorID != ticket.contractorID ? ticket.contractorID : nil,
        ])
    }

    static let ticketAssignments = ticketColumns.split(separator: ",").map { "\($0.trimmingCharacters(in: .whitespacesAndNewlines)) = ?" }
        .joined(separator: ", ")

    public func ticket(_ id: Int64) throws -> Ticket? {
        try read { db in try Self.ticket(db, id) }
    }

    static func ticket(_ db: Database, _ id: Int64) throws -> Ticket? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tickets WHERE id = ?"), arguments: [id]).map(Ticket.init(row:))
    }

    public func tickets(_ filter: TicketFilter) throws -> [Ticket] {
        try read { db in try Self.tickets(filter, cached: false, in: db) }
    }

    /// `cached` keeps the statement in the connection's cache: only for the few fixed shapes asked for every
    /// elevator of a pass (a filter from the API could make a statement per request).
    private static func tickets(_ filter: TicketFilter, cached: Bool, in db: Database) throws -> [Ticket] {
        var sql = "SELECT * FROM tickets WHERE id > ?"
        var arguments: StatementArguments = [filter.afterID]
        if let v = filter.elevatorID { sql += " AND elevator_id = ?"; arguments += [v] }
        if let v = filter.contractorID { sql += " AND contractor_id = ?"; arguments += [v] }
        if let v = filter.regionPrefix { sql += " AND \(PlaceFilter.clause("place"))"; arguments += PlaceFilter.arguments(v) }
        if let v = filter.statuses, !v.isEmpty {
            sql += " AND status IN (\(v.map { _ in "?" }.joined(separator: ",")))"
            arguments += StatementArguments(v.map(\.rawValue))
        }
        if let v = filter.types, !v.isEmpty {
            sql += " AND type IN (\(v.map { _ in "?" }.joined(separator: ",")))"
            arguments += StatementArguments(v.map(\.rawValue))
        }
        if let v = filter.openedFrom { sql += " AND opened_at >= ?"; arguments += [v] }
        if let v = filter.openedTo { sql += " AND opened_at < ?"; arguments += [v] }
        sql += " ORDER BY id LIMIT ?"
        arguments += [filter.limit]
        let statement = cached ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
        return try Row.fetchAll(statement, arguments: arguments).map(Ticket.init(row:))
    }

    /// Tickets still to be worked on (`open`, `acknowledged`, `on_site`), optionally of one elevator.
    public func activeTickets(elevatorID: String? = nil) throws -> [Ticket] {
        try read { db in
            try Self.tickets(TicketFilter(elevatorID: elevatorID, statuses: [.open, .acknowledged, .onSite], limit: Int.max), cached: true, in: db)
        }
    }

    /// The active tickets marked overdue inside a place, soonest due first, at most `limit`.
    public func overdueTickets(regionPrefix: String?, limit: Int) throws -> [Ticket] {
        try read { db in
            try Row.fetchAll(
                db, sql: """
                    SELECT * FROM tickets WHERE overdue = 1 AND status IN ('open', 'acknowledged', 'on_site') AND \(PlaceFilter.clause("place"))
                    ORDER BY due_at, id LIMIT ?
                    """, arguments: PlaceFilter.arguments(regionPrefix ?? "") + [limit]
            ).map(Ticket.init(row:))
        }
    }

    /// The ids of an elevator's active tickets.
    public func activeTicketIDs(elevatorID: String) throws -> [Int64] {
        try read { db in
            try Int64.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM tickets WHERE elevator_id = ? AND status IN ('open', 'acknowledged', 'on_site') ORDER BY id"),
                arguments: [elevatorID])
        }
    }

    /// The active ticket of an elevator for a fault key, if any.
    public func activeTicket(elevatorID: String, fault: FaultKey) throws -> Ticket? {
        try read { db in try Self.activeTicket(db, elevatorID: elevatorID, fault: fault) }
    }

    static func activeTicket(_ db: Database, elevatorID: String, fault: FaultKey) throws -> Ticket? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM tickets WHERE elevator_id = ? AND fault = ? AND status IN ('open', 'acknowledged', 'on_site')"),
            arguments: [elevatorID, fault.rawValue]
        ).map(Ticket.init(row:))
    }

    /// The latest resolution time of a ticket for this fault on this elevator (for the `callback` rule).
    public func lastResolution(elevatorID: String, fault: FaultKey) throws -> Int64? {
        try read { db in try Self.lastResolution(db, elevatorID: elevatorID, fault: fault) }
    }

    static func lastResolution(_ db: Database, elevatorID: String, fault: FaultKey) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT max(resolved_at) FROM tickets WHERE elevator_id = ? AND fault = ?"), arguments: [elevatorID, fault.rawValue])
    }

    /// How many times a fault was raised on an elevator with controller time in `[from, to]` (for the `repeat` rule).
    public func faultRaisedCount(elevatorID: String, fault: FaultKey, from: Int64, to: Int64) throws -> Int {
        try read { db in try Self.faultRaisedCount(db, elevatorID: elevatorID, fault: fault, from: from, to: to) }
    }

    static func faultRaisedCount(_ db: Database, elevatorID: String, fault: FaultKey, from: Int64, to: Int64) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) FROM events v JOIN elevators e ON e.id = v.elevator
            WHERE e.elevator_id = ? AND v.fault = ? AND v.state = 'raised' AND v.ts >= ? AND v.ts <= ?
            """), arguments: [elevatorID, fault.rawValue, from, to]) ?? 0
    }

    /// The steps of a ticket, oldest first.
    public func ticketSteps(_ id: Int64) throws -> [TicketStep] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM ticket_steps WHERE ticket_id = ? ORDER BY id", arguments: [id]).map { row in
                TicketStep(
                    ticketID: row["ticket_id"], at: row["at"], actor: row["actor"], action: row["action"],
                    fromStatus: (row["from_status"] as String?).flatMap(TicketStatus.init(rawValue:)),
                    toStatus: TicketStatus(rawValue: row["to_status"]) ?? .open, note: row["note"])
            }
        }
    }

    /// Completed maintenance visits of an elevator: (date resolved or closed, level), oldest first.
    public func completedMaintenance(elevatorID: String) throws -> [(at: Int64, level: String)] {
        try read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT coalesce(resolved_at, closed_at) AS at, level FROM tickets
                WHERE elevator_id = ? AND type = 'maintenance' AND status IN ('resolved', 'closed') ORDER BY at
                """), arguments: [elevatorID]).map { ($0["at"], $0["level"] ?? "half_month") }
        }
    }
}

extension Ticket {
    init(row: Row) {
        self.init(
            id: row["id"], elevatorID: row["elevator_id"], region: row["region"], unitID: row["unit_id"], contractorID: row["contractor_id"],
            type: TicketType(rawValue: row["type"]) ?? .repair, openedAt: row["opened_at"],
            deadlines: SLAPolicy.Deadlines(acknowledge: row["ack_due_at"], onSite: row["on_site_due_at"], resolve: row["resolve_due_at"], due: row["due_at"]),
            fault: (row["fault"] as String?).flatMap(FaultKey.init(rawValue:)), level: row["level"], reason: row["reason"])
        priority = row["priority"]
        status = TicketStatus(rawValue: row["status"]) ?? .open
        acknowledgedAt = row["acknowledged_at"]
        onSiteAt = row["on_site_at"]
        resolvedAt = row["resolved_at"]
        closedAt = row["closed_at"]
        cancelledAt = row["cancelled_at"]
        signal = row["signal"]
        occurrences = row["occurrences"]
        overdue = row["overdue"]
        escalated = row["escalated"]
        self.repeat = row["repeat"]
        callback = row["callback"]
        unverified = row["unverified"]
        cancelReason = row["cancel_reason"]
        faultAt = row["fault_at"]
        breaches = (row["breaches"] as String).split(separator: ",").map(String.init)
        revision = row["revision"]
        place = row["place"]
        rescue = RescueRecord(stored: row["rescue"])
    }
}

/// Rescue records as stored in `tickets.rescue`: the JSON of the wire.
extension RescueRecord {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static func stored(_ record: RescueRecord) -> String? {
        try? String(decoding: encoder.encode(record), as: UTF8.self)
    }

    init?(stored text: String?) {
        guard let text, let record = try? JSONDecoder().decode(RescueRecord.self, from: Data(text.utf8)) else { return nil }
        self = record
    }
}
