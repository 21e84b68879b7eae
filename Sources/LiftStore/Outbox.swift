import Foundation
import GRDB
import LiftCore

/// A message for the broker, stored in the same transaction as the change it announces.
public struct OutboxMessage: Sendable, Hashable {
    public var id: Int64
    public var topic: String
    public var payload: [UInt8]
    /// The ticket's priority (1 highest): pending messages go out in this order.
    public var priority: Int
    public var ticketID: Int64?
    public var attempts: Int

    public init(id: Int64, topic: String, payload: [UInt8], priority: Int, ticketID: Int64? = nil, attempts: Int = 0) {
        self.id = id
        self.topic = topic
        self.payload = payload
        self.priority = priority
        self.ticketID = ticketID
        self.attempts = attempts
    }
}

/// The durable outbox of messages to the broker (`mqtt_outbox`): tickets on contractors' topics, alerts on
/// regulators'. A row stays pending until the broker has acknowledged its publish, so a message queued before a
/// crash or while the broker was away is published after the restart. Delivery is at least once: a contractor may
/// see a ticket twice, never not at all.
///
/// A message on a contractor's ticket topic is the whole ticket as it stands, so a later one of the same ticket on the
/// same topic supersedes it: a superseded message is not published (again), so a retry does not bring an older state
/// after a newer one. Every ticket message carries the ticket's `revision` too, for what at-least-once delivery can
/// still reorder (another process's dispatcher): receivers keep the highest. Alerts on regulators' topics are each
/// their own news and are all published.
///
/// Bounds: delivered rows are kept `deliveredRetentionDays` for the record, then pruned; pending rows are bounded by
/// the ticket changes that make them (an occurrence storm adds a row per doubling, not per event).
public struct Outbox: Sendable {
    let database: LiftDatabase

    /// Days a delivered message is kept.
    public static let deliveredRetentionDays: Int64 = 30

    static func insert(_ db: Database, topic: String, payload: [UInt8], priority: Int, ticketID: Int64?, at now: Int64) throws -> OutboxMessage {
        try db.cachedStatement(sql: """
            INSERT INTO mqtt_outbox(topic, payload, ticket_id, priority, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [topic, Data(payload), ticketID, priority, now, now])
        return OutboxMessage(id: db.lastInsertedRowID, topic: topic, payload: payload, priority: priority, ticketID: ticketID)
    }

    /// Whether the row `o` is superseded by a later snapshot of its ticket on the same topic (SQL).
    static let superseded = """
        (o.ticket_id IS NOT NULL AND o.topic GLOB 'contractor/*/tickets' AND EXISTS (
            SELECT 1 FROM mqtt_outbox later WHERE later.ticket_id = o.ticket_id AND later.topic = o.topic AND later.id > o.id))
        """

    /// Pending messages due for an attempt at `now`, highest priority first, then oldest; superseded ones left out.
    public func due(now: Int64, limit: Int = 200) throws -> [OutboxMessage] {
        try database.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT id, topic, payload, priority, ticket_id, attempts FROM mqtt_outbox o
                WHERE delivered_at IS NULL AND superseded_at IS NULL AND next_attempt_at <= ? AND NOT \(Self.superseded)
                ORDER BY priority, id LIMIT ?
                """), arguments: [now, limit]).map {
                OutboxMessage(id: $0["id"], topic: $0["topic"], payload: [UInt8]($0["payload"] as Data), priority: $0["priority"],
                              ticketID: $0["ticket_id"], attempts: $0["attempts"])
            }
        }
    }

    /// How many messages wait for the broker (superseded ones not counted).
    public func pendingCount() throws -> Int {
        try database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM mqtt_outbox o WHERE delivered_at IS NULL AND superseded_at IS NULL AND NOT \(Self.superseded)") ?? 0
        }
    }

    /// Records the broker's acknowledgements.
    public func markDelivered(_ ids: [Int64], at now: Int64) throws {
        guard !ids.isEmpty else { return }
        do {
            try database.write { db in
                let statement = try db.cachedStatement(sql: "UPDATE mqtt_outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL")
                for id in ids { try statement.execute(arguments: [now, id]) }
            }
        } catch {
            throw StoreError(operation: "record \(ids.count) delivered messages", underlying: error)
        }
    }

    /// Records an attempt handed to the broker (or refused by the client): the next one is not before `retryAt`.
    public func recordAttempts(_ ids: [Int64], error: String?, retryAt: Int64) throws {
        guard !ids.isEmpty else { return }
        do {
            try database.write { db in
                let statement = try db.cachedStatement(sql: """
                    UPDATE mqtt_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? AND delivered_at IS NULL
                    """)
                for id in ids { try statement.execute(arguments: [error, retryAt, id]) }
            }
        } catch {
            throw StoreError(operation: "record \(ids.count) publish attempts", underlying: error)
        }
    }

    /// Records superseded messages (`superseded_at`) and deletes delivered and superseded messages older than the
    /// retention; returns how many were deleted.
    @discardableResult
    public func prune(now: Int64) throws -> Int {
        let cutoff = now - Self.deliveredRetentionDays * 86_400_000
        return try database.write { db in
            // Only pending rows are looked at (their index), not the retained history.
            try db.execute(sql: """
                UPDATE mqtt_outbox AS o INDEXED BY mqtt_outbox_pending SET superseded_at = ?
                WHERE delivered_at IS NULL AND superseded_at IS NULL AND \(Self.superseded)
                """, arguments: [now])
            try db.execute(sql: """
                DELETE FROM mqtt_outbox WHERE (delivered_at IS NOT NULL AND delivered_at < ?1) OR (superseded_at IS NOT NULL AND superseded_at < ?1)
                """, arguments: [cutoff])
            return db.changesCount
        }
    }
}

extension LiftDatabase {
    /// The durable outbox of broker messages.
    public var outbox: Outbox { Outbox(database: self) }
}
