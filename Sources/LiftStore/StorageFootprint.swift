import GRDB

/// Where a database's bytes are: the file, its free pages, and each table with its indexes.
public struct StorageFootprint: Sendable, Hashable {
    /// Page count × page size (after a checkpoint, the file's size).
    public var fileBytes: Int
    /// Pages on the free list, kept for reuse.
    public var freeBytes: Int
    /// Bytes per table, its indexes included, from SQLite's `dbstat`; empty when SQLite was built without it.
    public var tables: [String: Int]
    /// Rollup rows per level (bucket width in ms) and packed hour-rollup days.
    public var rollupRows: [Int64: Int]
    public var hourRollupDays: Int
}

extension LiftDatabase {
    /// Checkpoints the WAL into the file, then measures it.
    public func footprint() throws -> StorageFootprint {
        try pool.writeWithoutTransaction { db in _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        return try read { db in
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4_096
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            var tables: [String: Int] = [:]
            if let rows = try? Row.fetchAll(db, sql: """
                SELECT coalesce(m.tbl_name, s.name) AS owner, sum(s.pgsize) AS bytes
                FROM dbstat s LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY owner
                """) {
                for row in rows { tables[row["owner"]] = row["bytes"] }
            }
            var levels: [Int64: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT level, count(*) AS n FROM rollups GROUP BY level") { levels[row["level"]] = row["n"] }
            let hourDays = try Int.fetchOne(db, sql: "SELECT count(*) FROM rollup_hours") ?? 0
            return StorageFootprint(fileBytes: pages * pageSize, freeBytes: free * pageSize, tables: tables, rollupRows: levels, hourRollupDays: hourDays)
        }
    }
}

extension LiftDatabase {
    /// Rewrites the file without its free pages (SQLite's VACUUM). Needs free disk the size of the file and holds
    /// the writer until done: run it with `serve` stopped, e.g. once after an upgrade that dropped much.
    public func vacuum() throws {
        try pool.vacuum()
    }
}
