/// A role of the API (spec section 9).
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    /// Everything.
    case admin
    /// Read-only, within its region prefix.
    case regulator
    /// Its own elevators and tickets; takes steps on its tickets.
    case contractor
}

/// Who is calling: the token's role and scope. Decides what they may see and do.
public struct Principal: Sendable, Hashable, Codable {
    public var tokenID: Int64
    public var role: Role
    /// For regulators: the region prefix they may read (2, 4 or 6 digits).
    public var regionPrefix: String?
    /// For contractors: their id.
    public var contractorID: String?

    public init(tokenID: Int64, role: Role, regionPrefix: String? = nil, contractorID: String? = nil) {
        self.tokenID = tokenID
        self.role = role
        self.regionPrefix = regionPrefix
        self.contractorID = contractorID
    }

    /// Whether the caller may read an elevator, a unit or a ticket of this region and contractor.
    public func mayRead(region: String, contractorID: String?) -> Bool {
        switch role {
        case .admin: true
        case .regulator: region.hasPrefix(regionPrefix ?? "")
        case .contractor: contractorID != nil && contractorID == self.contractorID
        }
    }

    /// Whether the caller may change the registry or replay dead letters.
    public var mayWrite: Bool { role == .admin }

    /// Whether the caller may take a step on a ticket of this contractor.
    public func mayAct(onTicketOf contractorID: String?) -> Bool {
        switch role {
        case .admin: true
        case .regulator: false
        case .contractor: contractorID != nil && contractorID == self.contractorID
        }
    }

    /// How the caller is named in ticket steps and the audit log (never the token itself).
    public var actor: String {
        switch role {
        case .admin: "admin:token-\(tokenID)"
        case .regulator: "regulator:\(regionPrefix ?? "")"
        case .contractor: "contractor:\(contractorID ?? "")"
        }
    }
}
