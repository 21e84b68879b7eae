import Foundation
import GRDB
import GRDBSQLite
import Logging

/// LiftWatch's SQLite database: one writer, concurrent readers (WAL), schema under migrations.
///
/// Readers never wait for the writer: reads run on a pool of reader connections against WAL snapshots.
/// All writes go through the single writer connection, in transactions.
public final class LiftDatabase: Sendable {
    /// Where the database lives. `":memory:"` is refused: WAL needs a file.
    public let path: String
    let pool: DatabasePool
    let logger: Logger
    /// Bookkeeping the writer has already written (see `WriterMemo`).
    let memo = WriterMemo()
    /// A connection for WAL checkpoints only (see `checkpointInBackground()`).
    let checkpointer: DatabaseQueue
    /// Who goes first at the one writer: fault events and their tickets before bulk work (see `WriterPriority`).
    public let priority = WriterPriority()
    /// Whether ingestion's and the tickets' writes succeed (`/healthz` says `degraded` while they fail).
    public let writeHealth = WriteHealth()

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    /// - Throws: `StoreError` naming the path when the file cannot be opened or migrated.
    /// - Parameter busyTimeout: how long a write waits for another process's writer (a CLI import) before it
    ///   fails with `SQLITE_BUSY`.
    public init(path: String, busyTimeout: TimeInterval = 10, logger: Logger = Logger(label: "liftwatch.store")) throws {
        Self.installErrorLog
        self.path = path
        self.logger = logger
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.maximumReaderCount = 4
        configuration.prepareDatabase { db in
            // NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the last commits).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            if db.configuration.readonly {
                try db.execute(sql: "PRAGMA cache_size = -16384")  // 16 MiB per reader
                // A province's figures read the same index pages on every request: mapped, they are read in place
                // rather than copied out of the OS's cache page by page (docs/benchmarks.md, issue 25).
                try db.execute(sql: "PRAGMA mmap_size = 1073741824")
            } else {
                // Samples of a thousand elevators land all over two B-trees: a 64 MiB cache keeps their hot
                // pages in memory. Checkpoints are `checkpointInBackground()`'s job (LiftWatch runs it every
                // 250 ms on a connection of its own): run by the writer, a checkpoint falls inside whichever
                // commit crosses the threshold and syncs tens of MiB there while a fault event may be waiting for
                // the writer. The writer still checkpoints past ~400 MiB of WAL, for processes that run no
                // checkpointer and for a writer so busy that the background checkpoints never catch up.
                try db.execute(sql: "PRAGMA cache_size = -65536")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 100000")
            }
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
            var checkpointConfiguration = Configuration()
            checkpointConfiguration.busyMode = .timeout(10)
            checkpointer = try DatabaseQueue(path: path, configuration: checkpointConfiguration)
        } catch {
            throw StoreError(operation: "open database \(path)", underlying: error)
        }
    }

    /// The migrations applied so far, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// Copies the live database to `destination` with SQLite's online backup, consistent as of one instant
    /// even while ingestion writes. Reports progress as (pages copied, total pages).
    public func backup(to destination: String, progress: ((Int, Int) -> Void)? = nil) throws {
        if FileManager.default.fileExists(atPath: destination) {
            throw StoreError(operation: "back up to \(destination)", message: "the file exists already; refusing to overwrite it")
        }
        do {
            let target = try DatabaseQueue(path: destination)
            try pool.backup(to: target, pagesPerStep: 256) { step in
                progress?(step.completedPageCount, step.totalPageCount)
            }
            try target.close()
        } catch {
            throw StoreError(operation: "back up to \(destination)", underlying: error)
        }
    }

    /// Copies committed WAL frames back into the database file (a passive checkpoint), on a connection of its
    /// own: writers go on committing meanwhile (a fault event's transaction never waits for it). When it has
    /// caught up with the whole WAL, the next write starts the WAL over from its beginning.
    /// Returns the WAL's frames and how many are checkpointed.
    @discardableResult
    public func checkpointInBackground() async throws -> (walFrames: Int, checkpointed: Int) {
        do {
            return try await checkpointer.writeWithoutTransaction { db in
                let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
                return (row?[1] ?? 0, row?[2] ?? 0)
            }
        } catch {
            throw StoreError(operation: "checkpoint the WAL", underlying: error)
        }
    }

    /// Bytes SQLite holds on the heap in this process right now (`sqlite3_memory_used`): page caches, schema,
    /// statements, for every connection together. The page caches are bounded (`cache_size`: 64 MiB for the
    /// writer, 16 MiB per reader), so this levels off once they are full.
    public static var sqliteMemoryUsed: Int { Int(sqlite3_memory_used()) }

    /// Runs `body` in a write transaction. Exposed to the store's own extensions.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.write(body)
    }

    /// SQLite's own error log (`SQLITE_CONFIG_LOG`), once per process: a file it cannot open, an I/O error, with
    /// the operating system's reason (`os_unix.c:…: (24) open(…) - Too many open files`), which the error a caller
    /// gets does not carry.
    static let installErrorLog: Void = {
        let logger = Logger(label: "liftwatch.sqlite")
        Database.logError = { resultCode, message in
            // Busy and schema-changed retries are routine; a file that cannot be opened or read is not.
            let primary = resultCode.primaryResultCode
            guard primary == .SQLITE_CANTOPEN || primary == .SQLITE_IOERR || primary == .SQLITE_FULL || primary == .SQLITE_CORRUPT else { return }
            logger.warning("sqlite", metadata: ["code": "\(resultCode.rawValue)", "message": "\(message)"])
        }
    }()

    /// A read on one of the pool's connections. A new reader connection that the system refuses to open
    /// (`SQLITE_CANTOPEN`, with the reason in SQLite's log, `installErrorLog`) is tried once more: the pool opens
    /// readers as reads need them, and one refused open must not fail a page or a figure. Reads run again safely.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN {
            logger.warning("a reader connection could not be opened; reading again", metadata: ["error": "\(error)"])
            Thread.sleep(forTimeInterval: 0.05)
            return try pool.read(body)
        }
    }

    /// Closes every connection. Pending writes have completed when this returns.
    public func close() throws {
        try checkpointer.close()
        try pool.close()
    }
}

/// A storage operation failed: what was being done, and why, with SQLite's result code when SQLite refused.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var message: String
    /// SQLite's primary result code (`SQLITE_BUSY` 5, `SQLITE_FULL` 13, …), nil when the failure was not SQLite's.
    public var resultCode: Int32?

    public init(operation: String, message: String, resultCode: Int32? = nil) {
        self.operation = operation
        self.message = message
        self.resultCode = resultCode
    }

    init(operation: String, underlying: any Error) {
        self.operation = operation
        if let store = underlying as? StoreError {
            self.message = store.message
            self.resultCode = store.resultCode
        } else if let database = underlying as? DatabaseError {
            self.message = database.message ?? "\(database)"
            self.resultCode = database.resultCode.primaryResultCode.rawValue
        } else {
            self.message = "\(underlying)"
        }
    }

    /// The database was held by another writer past the busy timeout: trying again later may succeed.
    public var isBusy: Bool { resultCode == SQLITE_BUSY || resultCode == SQLITE_LOCKED }
    /// The disk (or the database's size limit) is full: trying again will not help until space is made.
    public var isFull: Bool { resultCode == SQLITE_FULL }
    /// The file or its disk cannot take writes (full, I/O error, corrupt, not a database, cannot open, read-only):
    /// another node's store would not fail this way.
    public var isDiskFailure: Bool {
        guard let resultCode else { return false }
        return [SQLITE_FULL, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_CANTOPEN, SQLITE_READONLY].contains(resultCode)
    }

    public var description: String { "\(operation): \(message)\(resultCode.map { " (SQLite code \($0))" } ?? "")" }
}
