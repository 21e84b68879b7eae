import GRDB
import GRDBSQLite

/// A prepared statement bound and stepped through SQLite's C API, for the ingest hot path.
///
/// GRDB's `execute(arguments:)` boxes every value in an existential array and runs its observation hooks for
/// each call; for a 17-column insert done a million times that was a measurable share of the commit. The
/// statement comes from GRDB's cache (so it is finalized with the connection) and is used only here, never
/// through GRDB's own API. Valid inside the write transaction that made it.
struct RawStatement {
    private let handle: OpaquePointer
    private let connection: OpaquePointer?
    private let sql: String

    init(_ db: Database, sql: String) throws {
        handle = try db.cachedStatement(sql: sql).sqliteStatement
        connection = db.sqliteConnection
        self.sql = sql
    }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Int?) {
        bind(index, value.map(Int64.init))
    }

    func bind(_ index: Int32, _ value: Double?) {
        if let value { sqlite3_bind_double(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Bool?) {
        bind(index, value.map { $0 ? Int64(1) : 0 })
    }

    func bind(_ index: Int32, _ value: String?) {
        guard var value else {
            sqlite3_bind_null(handle, index)
            return
        }
        // The bytes with their length, not a C string: passing a short string (the enumerations' values) as a
        // C string allocated a NUL-terminated copy per call. SQLITE_TRANSIENT: SQLite copies the text at once.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        value.withUTF8 { utf8 in
            // An empty buffer may have no address, and a NULL pointer would bind NULL instead of ''.
            if let base = utf8.baseAddress {
                _ = sqlite3_bind_text(handle, index, base, Int32(utf8.count), transient)
            } else {
                _ = sqlite3_bind_text(handle, index, "", 0, transient)
            }
        }
    }

    /// Runs the statement once with the values bound. Returns the number of rows it changed.
    /// - Throws: GRDB's `DatabaseError` with SQLite's code and message.
    @discardableResult
    func execute() throws -> Int {
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) }
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
        return Int(sqlite3_changes(connection))
    }
}
