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

    /// How steps and audit entries name the caller when it is not a token (the command line).
    public var name: String?

    public init(tokenID: Int64, role: Role, regionPrefix: String? = nil, contractorID: String? = nil) {
        self.tokenID = tokenID
        self.role = role
        self.regionPrefix = regionPrefix
        self.contractorID = contractorID
    }

    /// A caller without a token, named in steps and audit entries: `contractor:ID` acts as that contractor, any
    /// other name as an administrator (someone at the server's command line).
    public static func named(_ name: String) -> Principal {
        var principal: Principal
        if name.hasPrefix("contractor:") {
            principal = Principal(tokenID: 0, role: .contractor, contractorID: String(name.dropFirst("contractor:".count)))
        } else {
            principal = Principal(tokenID: 0, role: .admin)
        }
        principal.name = name
        return principal
    }

    /// Whether the caller may read an elevator, a unit or a ticket of this region and contractor.
    public func mayRead(region: String, contractorID: String?) -> Bool {
        switch role {
        case .admin: true
        case .regulator: region.hasPrefix(regionPrefix ?? "")
        case .contractor: contractorID != nil && contractorID == self.contractorID
        }
    }

    /// Whether the caller may read a ticket: a regulator within its region, a contractor only while the ticket is
    /// its own (a ticket that moved with a contract change is no longer the former contractor's).
    public func mayRead(_ ticket: Ticket) -> Bool {
        mayRead(region: ticket.region, contractorID: ticket.contractorID)
    }

    /// Why the caller may not take `action` on `ticket`, or nil when it may: the one rule for every way in (API,
    /// pages, command line).
    ///
    /// Admins may take any step. Regulators read and never act. A contractor acts on its own tickets only, and
    /// may cancel only its own `repair`, `minor_repair`, `predictive` and `communication` tickets (v1.1 §11.4):
    /// the regulated party cannot make a rescue, a safety repair, a maintenance visit or an inspection disappear.
    public func refusal(of action: TicketAction, on ticket: Ticket) -> String? {
        switch role {
        case .admin:
            return nil
        case .regulator:
            return "regulators read tickets; they do not move them"
        case .contractor:
            guard ticket.contractorID != nil, ticket.contractorID == contractorID else { return "ticket \(ticket.id) is not yours" }
            if action == .cancel && !Self.contractorCancellable.contains(ticket.type) {
                return "a contractor may not cancel a \(ticket.type.rawValue) ticket; only an administrator may, with a reason"
            }
            return nil
        }
    }

    /// The ticket types a contractor may cancel (with a note).
    public static let contractorCancellable: Set<TicketType> = [.repair, .minorRepair, .predictive, .communication]

    /// Whether the caller may change the registry or replay dead letters.
    public var mayWrite: Bool { role == .admin }

    /// How the caller is named in ticket steps and the audit log (never the token itself).
    public var actor: String {
        if let name { return name }
        return switch role {
        case .admin: "admin:token-\(tokenID)"
        case .regulator: "regulator:\(regionPrefix ?? "")"
        case .contractor: "contractor:\(contractorID ?? "")"
        }
    }
}
