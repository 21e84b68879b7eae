/// Where a building unit's added elevator is in its life (spec section 8).
///
/// `surveyed` → `approved` → `under_construction` → `accepted` → `registered` → `in_service` ⇄ `suspended`
/// → `decommissioned`. `StageMachine` decides which moves are allowed.
public enum LifecycleStage: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case surveyed
    case approved
    case underConstruction = "under_construction"
    case accepted
    case registered
    case inService = "in_service"
    case suspended
    case decommissioned

    /// Position along the path; `suspended` sits beside `in_service`.
    var rank: Int {
        switch self {
        case .surveyed: 0
        case .approved: 1
        case .underConstruction: 2
        case .accepted: 3
        case .registered: 4
        case .inService: 5
        case .suspended: 6
        case .decommissioned: 7
        }
    }

    public static func < (lhs: LifecycleStage, rhs: LifecycleStage) -> Bool { lhs.rank < rhs.rank }

    /// Whether an elevator exists physically and is watched: from `accepted` until `decommissioned`.
    public var hasElevator: Bool { self >= .accepted && self != .decommissioned }

    /// The elevator runs for its users and gets scheduled maintenance.
    public var isInService: Bool { self == .inService }

    /// The values as written in the contract, for error messages.
    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
