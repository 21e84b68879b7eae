import GRDB

/// The one way the store matches a place prefix (a scope or a `region=` filter of any level) against a `place`
/// column: a range on the column, so an index on it serves (SQLite's `LIKE` would not, on digits).
enum PlaceFilter {
    /// `(column >= prefix AND column < prefix || '~')`: every code that starts with `prefix` (codes are digits,
    /// and `~` sorts after them).
    static func clause(_ column: String) -> String { "(\(column) >= ? AND \(column) < ? || '~')" }

    static func arguments(_ prefix: String) -> StatementArguments { [prefix, prefix] }
}
