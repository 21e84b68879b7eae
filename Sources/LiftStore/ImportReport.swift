/// What a CSV import did: counts of rows, and every bad row with its line number and reason.
public struct ImportReport: Sendable, Hashable, Codable {
    /// A row that was not imported.
    public struct RowError: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The line of the file the row starts on (the header is line 1).
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }
    }

    public var rows = 0
    public var created = 0
    public var updated = 0
    public var unchanged = 0
    public var errors: [RowError] = []

    public init() {}
}
