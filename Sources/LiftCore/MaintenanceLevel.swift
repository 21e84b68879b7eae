/// TSG T5002 maintenance levels; each includes the items of the levels below it.
public enum MaintenanceLevel: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case halfMonth = "half_month"
    case quarter
    case halfYear = "half_year"
    case annual

    /// How old the last visit of this level (or higher) must be, in months, for a visit to be of this level.
    public var months: Int {
        switch self {
        case .halfMonth: 0
        case .quarter: 3
        case .halfYear: 6
        case .annual: 12
        }
    }

    var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: MaintenanceLevel, rhs: MaintenanceLevel) -> Bool { lhs.rank < rhs.rank }
}
