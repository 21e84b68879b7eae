import Foundation
import GRDB
import LiftCore

extension LiftDatabase {
    /// Whether the elevator showed a maintenance visit in `[from, to]`: a `maintenance` event, or its controller
    /// in `maintenance` or `inspection` mode (a mode event or a telemetry sample, hot or already compacted).
    public func hasMaintenanceEvidence(elevatorID: String, from: Int64, to: Int64) throws -> Bool {
        try read { db in
            guard let key = try Self.key(of: elevatorID, in: db) else { return false }
            let events = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM events WHERE elevator = ? AND ts >= ? AND ts <= ?
                  AND (kind = 'maintenance' OR (kind = 'mode' AND code IN ('maintenance', 'inspection')))
                """, arguments: [key, from, to]) ?? 0
            if events > 0 { return true }
            let samples = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM telemetry WHERE elevator = ? AND ts >= ? AND ts <= ? AND mode IN ('maintenance', 'inspection')
                """, arguments: [key, from, to]) ?? 0
            if samples > 0 { return true }
            // Days already compacted keep their samples in chunks: read those of the window.
            let compacted = try Bool.fetchOne(db, sql: "SELECT 1 FROM telemetry_chunks WHERE elevator = ? AND to_ts >= ? AND from_ts <= ? LIMIT 1",
                                              arguments: [key, from, to]) ?? false
            guard compacted else { return false }
            return try Self.samples(elevator: key, from: from, to: to + 1, in: db).contains {
                $0.sample.mode == .maintenance || $0.sample.mode == .inspection
            }
        }
    }

    /// Registers (or replaces) a contractor's webhook.
    public func setWebhook(_ webhook: Webhook, at now: Int64, by actor: String) throws {
        try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO contractors(contractor_id, created_at) VALUES (?, ?)", arguments: [webhook.contractorID, now])
            try db.execute(
                sql: "INSERT INTO webhooks(contractor_id, url, secret, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(contractor_id) DO UPDATE SET url = excluded.url, secret = excluded.secret",
                arguments: [webhook.contractorID, webhook.url, webhook.secret, now])
            // The secret stays out of the audit log.
            try Self.appendAudit(db, at: now, actor: actor, action: "webhook.set", subject: webhook.contractorID, detail: ["url": webhook.url])
        }
    }

    public func webhook(contractorID: String) throws -> Webhook? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM webhooks WHERE contractor_id = ?", arguments: [contractorID]).map {
                Webhook(contractorID: $0["contractor_id"], url: $0["url"], secret: $0["secret"])
            }
        }
    }

    /// Contractors with a delivery due at `now`, the one with the most urgent first.
    public func contractorsWithDueWebhooks(now: Int64) throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: """
                SELECT contractor_id FROM webhook_deliveries d WHERE status = 'pending' AND next_attempt_at <= ? AND NOT \(Self.deliverySuperseded)
                GROUP BY contractor_id ORDER BY min(priority), min(id)
                """, arguments: [now])
        }
    }

    /// Whether the delivery `d` has a later one of the same ticket for the same contractor (SQL): a delivery is the
    /// whole ticket as it stood, so the later one supersedes it.
    static let deliverySuperseded = """
        EXISTS (SELECT 1 FROM webhook_deliveries later WHERE later.ticket_id = d.ticket_id AND later.contractor_id = d.contractor_id AND later.id > d.id)
        """

    /// One contractor's deliveries due at `now`, highest priority first, then oldest; superseded ones left out.
    public func dueWebhookDeliveries(contractorID: String, now: Int64, limit: Int = 50) throws -> [WebhookDelivery] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM webhook_deliveries d WHERE contractor_id = ? AND status = 'pending' AND next_attempt_at <= ?
                AND NOT \(Self.deliverySuperseded) ORDER BY priority, id LIMIT ?
                """, arguments: [contractorID, now, limit]).map(WebhookDelivery.init(row:))
        }
    }

    /// Records a pending delivery `superseded` when a later one of its ticket is queued; true when it was. Asked
    /// right before each attempt, so a retry never brings an older state after a newer one.
    public func retireWebhookDeliveryIfSuperseded(_ id: Int64) throws -> Bool {
        let superseded = try read { db in
            try Bool.fetchOne(db, sql: "SELECT \(Self.deliverySuperseded) FROM webhook_deliveries d WHERE id = ?", arguments: [id]) ?? false
        }
        guard superseded else { return false }
        try write { db in
            try db.execute(sql: """
                UPDATE webhook_deliveries SET status = 'superseded', last_error = 'superseded by a later delivery of its ticket'
                WHERE id = ? AND status = 'pending'
                """, arguments: [id])
        }
        return true
    }

    /// Deletes delivery log rows queued before `queuedBefore` that are no longer pending; returns how many.
    @discardableResult
    public func pruneWebhookDeliveries(queuedBefore: Int64) throws -> Int {
        try write { db in
            try db.execute(sql: """
                UPDATE webhook_deliveries AS d SET status = 'superseded', last_error = 'superseded by a later delivery of its ticket'
                WHERE status = 'pending' AND \(Self.deliverySuperseded)
                """)
            try db.execute(sql: "DELETE FROM webhook_deliveries WHERE status != 'pending' AND created_at < ?", arguments: [queuedBefore])
            return db.changesCount
        }
    }

    /// The delivery log of a contractor, newest first.
    public func webhookDeliveries(contractorID: String, limit: Int = 100) throws -> [WebhookDelivery] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM webhook_deliveries WHERE contractor_id = ? ORDER BY id DESC LIMIT ?", arguments: [contractorID, limit])
                .map(WebhookDelivery.init(row:))
        }
    }

    /// Records an attempt: delivered, or retried at `retryAt`, or failed for good when `retryAt` is nil.
    public func recordWebhookAttempt(_ id: Int64, httpStatus: Int?, error: String?, delivered: Bool, retryAt: Int64?, at now: Int64) throws {
        try write { db in
            try db.execute(sql: """
                UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?,
                    status = ?, next_attempt_at = coalesce(?, next_attempt_at), delivered_at = ?
                WHERE id = ? AND status = 'pending'
                """, arguments: [httpStatus, error, delivered ? "delivered" : retryAt == nil ? "failed" : "pending", retryAt, delivered ? now : nil, id])
        }
    }

    /// An area incident: many elevators of one region silent at once.
    public struct Incident: Sendable, Hashable, Codable {
        public var id: Int64
        public var region: String
        public var openedAt: Int64
        public var closedAt: Int64?
        public var elevators: Int
        public var reason: String
    }

    public func openIncidents() throws -> [Incident] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM incidents WHERE closed_at IS NULL ORDER BY id").map(Incident.init(row:)) }
    }

    public func incidents(regionPrefix: String? = nil) throws -> [Incident] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM incidents WHERE region LIKE ? || '%' ORDER BY id", arguments: [regionPrefix ?? ""]).map(Incident.init(row:))
        }
    }

    /// Opens an area incident with its alert on the region's topic in the outbox, in one transaction: the
    /// incident (which holds back the region's communication tickets) never exists without its alert.
    public func openIncident(
        region: String, elevators: Int, reason: String, at now: Int64, alert: (Incident) -> [UInt8]
    ) throws -> (incident: Incident, message: OutboxMessage) {
        try write { db in
            try db.execute(sql: "INSERT INTO incidents(region, opened_at, elevators, reason) VALUES (?, ?, ?, ?)", arguments: [region, now, elevators, reason])
            let id = db.lastInsertedRowID
            try Self.appendAudit(db, at: now, actor: "liftwatch", action: "incident.open", subject: "incident:\(id)", detail: ["region": region, "reason": reason])
            let incident = Incident(id: id, region: region, openedAt: now, closedAt: nil, elevators: elevators, reason: reason)
            let message = try Outbox.insert(db, topic: "regulator/\(region)/alerts", payload: alert(incident), priority: 2, ticketID: nil, at: now)
            return (incident, message)
        }
    }

    /// Closes an area incident with its alert, in one transaction.
    public func closeIncident(_ incident: Incident, at now: Int64, alert: (Incident) -> [UInt8]) throws -> OutboxMessage {
        try write { db in
            try db.execute(sql: "UPDATE incidents SET closed_at = ? WHERE id = ?", arguments: [now, incident.id])
            try Self.appendAudit(db, at: now, actor: "liftwatch", action: "incident.close", subject: "incident:\(incident.id)", detail: [:])
            return try Outbox.insert(db, topic: "regulator/\(incident.region)/alerts", payload: alert(incident), priority: 2, ticketID: nil, at: now)
        }
    }

    /// Latest telemetry mode of an elevator, if any sample is stored hot.
    public func latestMode(elevatorID: String) throws -> String? {
        try read { db in
            guard let key = try Self.key(of: elevatorID, in: db) else { return nil }
            return try String.fetchOne(
                db.cachedStatement(sql: "SELECT mode FROM telemetry WHERE elevator = ? AND mode IS NOT NULL ORDER BY ts DESC LIMIT 1"), arguments: [key])
        }
    }

    /// Mean and count of a metric from the daily rollups over `[from, to)`; `absolute` averages |daily mean|.
    public func rollupWindow(elevatorID: String, metric: Rollups.Metric, from: Int64, to: Int64, absolute: Bool = false) throws -> TrendDetector.Window? {
        try read { db in
            guard let key = try Self.key(of: elevatorID, in: db) else { return nil }
            let sql = absolute
                ? "SELECT sum(abs(sum)) AS s, sum(count) AS c FROM rollups WHERE level = ? AND elevator = ? AND metric = ? AND bucket >= ? AND bucket < ?"
                : "SELECT sum(sum) AS s, sum(count) AS c FROM rollups WHERE level = ? AND elevator = ? AND metric = ? AND bucket >= ? AND bucket < ?"
            guard let row = try Row.fetchOne(db.cachedStatement(sql: sql), arguments: [Rollups.day, key, metric.rawValue, from, to]),
                let count = row["c"] as Int?, count > 0, let sum = row["s"] as Double?
            else { return nil }
            return TrendDetector.Window(mean: sum / Double(count), count: count)
        }
    }

    /// What a trend evaluation reads for one elevator, in one read: per metric, the windows of the daily rollups
    /// over `[recentFrom, to)` and `[baselineFrom, recentFrom)` (as `rollupWindow` computes them, `absolute` ones
    /// from |daily sum|), and the door-related faults raised in `[recentFrom, to)`. Nil when the elevator is unknown.
    ///
    /// A pass evaluates every elevator: one statement per elevator (cached) instead of one per metric and window.
    public func trendWindows(
        elevatorID: String, metrics: [Rollups.Metric], absolute: Set<Rollups.Metric>, baselineFrom: Int64, recentFrom: Int64, to: Int64
    ) throws -> TrendWindows? {
        try read { db in
            guard let key = try Self.key(of: elevatorID, in: db) else { return nil }
            var result = TrendWindows()
            if !metrics.isEmpty {
                // `metric IN (…)` lets each metric's buckets be found through the primary key, as one range each.
                let statement = try db.cachedStatement(sql: """
                    SELECT metric,
                        sum(CASE WHEN bucket >= ?1 THEN sum END) AS recent_sum, sum(CASE WHEN bucket >= ?1 THEN abs(sum) END) AS recent_abs,
                        sum(CASE WHEN bucket >= ?1 THEN count END) AS recent_count,
                        sum(CASE WHEN bucket < ?1 THEN sum END) AS baseline_sum, sum(CASE WHEN bucket < ?1 THEN abs(sum) END) AS baseline_abs,
                        sum(CASE WHEN bucket < ?1 THEN count END) AS baseline_count
                    FROM rollups
                    WHERE level = ?2 AND elevator = ?3 AND metric IN (\(metrics.indices.map { "?\($0 + 6)" }.joined(separator: ", ")))
                      AND bucket >= ?4 AND bucket < ?5
                    GROUP BY metric
                    """)
                let arguments = StatementArguments([recentFrom, Rollups.day, key, baselineFrom, to] as [any DatabaseValueConvertible])
                    + StatementArguments(metrics.map(\.rawValue))
                for row in try Row.fetchAll(statement, arguments: arguments) {
                    guard let metric = Rollups.Metric(rawValue: row["metric"]) else { continue }
                    let isAbsolute = absolute.contains(metric)
                    func window(_ sum: String, _ abs: String, _ count: String) -> TrendDetector.Window? {
                        guard let count = row[count] as Int?, count > 0, let total = row[isAbsolute ? abs : sum] as Double? else { return nil }
                        return TrendDetector.Window(mean: total / Double(count), count: count)
                    }
                    result.windows[metric] = (
                        recent: window("recent_sum", "recent_abs", "recent_count"), baseline: window("baseline_sum", "baseline_abs", "baseline_count"))
                }
            }
            result.recentDoorFaults = try Self.doorFaultCount(key: key, from: recentFrom, to: to, in: db)
            return result
        }
    }

    /// Door-related faults raised on an elevator in `[from, to)`.
    public func doorFaultCount(elevatorID: String, from: Int64, to: Int64) throws -> Int {
        try read { db in
            guard let key = try Self.key(of: elevatorID, in: db) else { return 0 }
            return try Self.doorFaultCount(key: key, from: from, to: to, in: db)
        }
    }

    static func doorFaultCount(key: Int64, from: Int64, to: Int64, in db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) FROM events
            WHERE elevator = ? AND kind = 'fault' AND coalesce(state, 'raised') = 'raised' AND ts >= ? AND ts < ?
              AND fault IN ('door_open_failure', 'door_close_failure', 'door_obstructed', 'door_lock_circuit_open')
            """), arguments: [key, from, to]) ?? 0
    }

    /// Safety-class faults raised on an elevator since `from` (on-demand maintenance needs none for 30 days).
    public func lastSafetyFault(elevatorID: String, since from: Int64) throws -> Int64? {
        let keys = FaultKey.allCases.filter { $0.baseClass == .safety }.map { "'\($0.rawValue)'" }.joined(separator: ",")
        return try read { db in
            try Int64.fetchOne(db, sql: """
                SELECT max(v.ts) FROM events v JOIN elevators e ON e.id = v.elevator
                WHERE e.elevator_id = ? AND v.kind = 'fault' AND v.ts >= ? AND v.fault IN (\(keys))
                """, arguments: [elevatorID, from])
        }
    }
}

extension WebhookDelivery {
    init(row: Row) {
        self.init(
            id: row["id"], contractorID: row["contractor_id"], ticketID: row["ticket_id"], body: [UInt8](row["body"] as Data), status: row["status"],
            attempts: row["attempts"], nextAttemptAt: row["next_attempt_at"], lastStatus: row["last_status"], lastError: row["last_error"],
            createdAt: row["created_at"], deliveredAt: row["delivered_at"])
    }
}

extension LiftDatabase.Incident {
    init(row: Row) {
        self.init(id: row["id"], region: row["region"], openedAt: row["opened_at"], closedAt: row["closed_at"], elevators: row["elevators"], reason: row["reason"])
    }
}

extension LiftDatabase {
    /// Replaces an elevator's stored trend findings with the latest evaluation's.
    public func setTrendFindings(_ findings: [TrendFinding], elevatorID: String, at now: Int64) throws {
        try write { db in
            try db.cachedStatement(sql: "DELETE FROM health_trends WHERE elevator_id = ?").execute(arguments: [elevatorID])
            let insert = try db.cachedStatement(sql: """
                INSERT INTO health_trends(elevator_id, signal, recent, baseline, description, evaluated_at) VALUES (?, ?, ?, ?, ?, ?)
                """)
            for finding in findings {
                try insert.execute(arguments: [elevatorID, finding.signal.rawValue, finding.recent, finding.baseline, finding.description, now])
            }
        }
    }

    /// The trend findings of an elevator's last evaluation.
    public func trendFindings(elevatorID: String) throws -> [TrendFinding] {
        try read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM health_trends WHERE elevator_id = ? ORDER BY signal"), arguments: [elevatorID])
                .compactMap { row in
                    TrendSignal(rawValue: row["signal"]).map {
                        TrendFinding(signal: $0, recent: row["recent"], baseline: row["baseline"], description: row["description"])
                    }
                }
        }
    }
}
