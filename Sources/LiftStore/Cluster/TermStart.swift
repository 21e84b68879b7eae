import GRDB

/// What a node of the cluster profile does to its store when it takes office on a restored copy.
///
/// The copy may lack the last second of the previous node's commits (Litestream's sync interval), and with them
/// the ids SQLite's AUTOINCREMENT had handed out, which contractors and webhooks may already have seen. The next
/// ids start far above them, so that an id never names two things.
public struct TermStart: Sendable {
    let database: LiftDatabase

    public init(database: LiftDatabase) { self.database = database }

    /// Ids that leave LiftWatch: tickets and their steps (contractor topic, API, pages), area incidents,
    /// webhook deliveries (their header), hazards and programme steps (API).
    public static let publishedIdentifierTables = ["tickets", "ticket_steps", "incidents", "webhook_deliveries", "hazards", "project_steps"]

    /// More than a node can hand out between two syncs of its replica (or before its first snapshot).
    public static let gap: Int64 = 1_000_000

    /// Moves each published id sequence `gap` on; returns the tables moved.
    @discardableResult
    public func skipIdentifiers(by gap: Int64 = TermStart.gap) throws -> [String] {
        try database.write { db in
            var moved: [String] = []
            for table in Self.publishedIdentifierTables {
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [table]) == true else { continue }
                // A table that never had a row has no sequence yet (and sqlite_sequence has no unique name).
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM sqlite_sequence WHERE name = ?", arguments: [table]) != true {
                    try db.execute(sql: "INSERT INTO sqlite_sequence(name, seq) VALUES (?, 0)", arguments: [table])
                }
                try db.execute(sql: "UPDATE sqlite_sequence SET seq = seq + ? WHERE name = ?", arguments: [gap, table])
                if db.changesCount > 0 { moved.append(table) }
            }
            return moved
        }
    }
}
