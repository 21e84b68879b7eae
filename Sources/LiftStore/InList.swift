import GRDB

/// Long `IN (…)` lists, in batches that stay far below SQLite's limit on bound parameters.
enum InList {
    static let batch = 500

    /// Calls `body` with `?, ?, …` and the matching arguments for each batch of `values`.
    static func batches(_ values: [String], _ body: (_ marks: String, _ arguments: StatementArguments) throws -> Void) rethrows {
        for start in stride(from: 0, to: values.count, by: batch) {
            let part = Array(values[start..<min(start + batch, values.count)])
            try body(Array(repeating: "?", count: part.count).joined(separator: ","), StatementArguments(part))
        }
    }
}
