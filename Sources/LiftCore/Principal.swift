/// A role of the API (spec section 9).
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    /// Everything.
    case admin
    /// Read-only, within its region prefix.
    case regulator
    /// Its own elevators and tickets; takes steps on its tickets.
    case contractor
    /// A street or community office (or any level's programme office): reads what a regulator of its prefix reads,
    /// and records the retrofit programme's steps of the units inside it.
    case officer
    /// A property manager (使用单位) and its safety officer: reads its own elevators and their tickets, answers
    /// rescue calls, records its duties and hazards.
    case propertyManager = "property_manager"
}

/// Who is calling: the token's role and scope. Decides what they may see and do.
public struct Principal: Sendable, Hashable, Codable {
    public var tokenID: Int64
    public var role: Role
    /// For regulators and officers: the place prefix they may read (2, 4, 6, 9 or 12 digits, `PlaceCode`).
    public var regionPrefix: String?
    /// For contractors: their id.
    public var contractorID: String?
    /// For property managers: their id.
    public var managerID: String?

    /// How steps and audit entries name the caller when it is not a token (the command line).
    public var name: String?

    public init(tokenID: Int64, role: Role, regionPrefix: String? = nil, contractorID: String? = nil, managerID: String? = nil) {
        self.tokenID = tokenID
        self.role = role
        self.regionPrefix = regionPrefix
        self.contractorID = contractorID
        self.managerID = managerID
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

    /// The place prefix the caller reads within, for roles scoped by place (regulators, officers); nil otherwise.
    public var scopePrefix: String? {
        switch role {
        case .regulator, .officer: regionPrefix ?? ""
        case .admin, .contractor, .propertyManager: nil
        }
    }

    /// Whether the caller may read an elevator, a unit or a ticket at `place` (its area code, else its region),
    /// of this contractor and (for property managers) this property manager.
    public func mayRead(place: String, contractorID: String?, managerID: String? = nil) -> Bool {
        switch role {
        case .admin: true
        case .regulator, .officer: place.hasPrefix(regionPrefix ?? "")
        case .contractor: contractorID != nil && contractorID == self.contractorID
        case .propertyManager: managerID != nil && managerID == self.managerID
        }
    }

    /// Whether the caller may read a ticket: a regulator or officer within its place, a contractor only while the
    /// ticket is its own (a ticket that moved with a contract change is no longer the former contractor's), a
    /// property manager when the ticket's elevator is theirs (`managerID`, the elevator's property manager now).
    public func mayRead(_ ticket: Ticket, managerID: String? = nil) -> Bool {
        mayRead(place: ticket.place ?? ticket.region, contractorID: ticket.contractorID, managerID: managerID)
    }

    /// Whether the caller may record the programme's steps (votes, approvals, acceptance, subsidies, documents) of
    /// a unit at `place`: an administrator anywhere, an officer inside its prefix.
    public func mayRecordProgramme(place: String) -> Bool {
        switch role {
        case .admin: true
        case .officer: place.hasPrefix(regionPrefix ?? "")
        case .regulator, .contractor, .propertyManager: false
        }
    }

    /// Whether the caller may record the duties and hazards of property manager `managerID`: an administrator, or
    /// that property manager.
    public func mayRecordDuties(of managerID: String) -> Bool {
        role == .admin || (role == .propertyManager && self.managerID == managerID)
    }

    /// Why the caller may not take `action` on `ticket`, or nil when it may: the one rule for every way in (API,
    /// pages, command line).
    ///
    /// Admins may take any step. Regulators read and never act. A contractor acts on its own tickets only, and
    /// may cancel only its own `repair`, `minor_repair`, `predictive` and `communication` tickets (v1.1 §11.4):
    /// the regulated party cannot make a rescue, a safety repair, a maintenance visit or an inspection disappear.
    ///
    /// A property manager answers the rescue calls of its own elevators (`managerID`: the property manager of the
    /// ticket's elevator now) and takes no other step.
    public func refusal(of action: TicketAction, on ticket: Ticket, managerID: String? = nil) -> String? {
        switch role {
        case .admin:
            return nil
        case .regulator, .officer:
            return "\(role.rawValue)s read tickets; they do not move them"
        case .propertyManager:
            guard managerID != nil, managerID == self.managerID else { return "ticket \(ticket.id) is not of your elevators" }
            return action == .answer ? nil : "a property manager answers rescue calls; the other steps are the maintainer's"
        case .contractor:
            guard ticket.contractorID != nil, ticket.contractorID == contractorID else { return "ticket \(ticket.id) is not yours" }
            if action == .answer { return "the property manager's answer is theirs to record, not the contractor's" }
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
        case .officer: "officer:\(regionPrefix ?? "")"
        case .contractor: "contractor:\(contractorID ?? "")"
        case .propertyManager: "property_manager:\(managerID ?? "")"
        }
    }
}
