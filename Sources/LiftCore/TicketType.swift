/// What a ticket is for (spec section 5).
public enum TicketType: String, Sendable, Hashable, Codable, CaseIterable {
    case rescue
    case safetyRepair = "safety_repair"
    case repair
    case minorRepair = "minor_repair"
    case maintenance
    case inspection
    case communication
    case predictive

    /// 1 highest … 4.
    public var priority: Int {
        switch self {
        case .rescue: 1
        case .safetyRepair: 2
        case .repair, .communication, .inspection, .maintenance: 3
        case .minorRepair, .predictive: 4
        }
    }

    /// The ticket type a fault of `faultClass` opens.
    public init(faultClass: FaultClass) {
        switch faultClass {
        case .rescue: self = .rescue
        case .safety: self = .safetyRepair
        case .repair: self = .repair
        case .minor: self = .minorRepair
        }
    }

    /// Rescue and safety tickets are also sent to the regulator as they open.
    public var alertsRegulatorOnOpen: Bool { self == .rescue || self == .safetyRepair }
}

/// A ticket's place in its life: `open` → `acknowledged` → `on_site` → `resolved` → `closed`; `cancelled`
/// from any state before `closed`.
public enum TicketStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case open
    case acknowledged
    case onSite = "on_site"
    case resolved
    case closed
    case cancelled

    /// Work still to do: a fault raised again counts an occurrence on such a ticket instead of opening one.
    public var isActive: Bool { self == .open || self == .acknowledged || self == .onSite }

    public var isFinal: Bool { self == .closed || self == .cancelled }
}

/// A step a contractor (or LiftWatch) takes on a ticket (`POST /tickets/{id}/actions`).
///
/// The first five move the status (spec section 5). The rescue steps record what happens inside it: `contact`
/// (passengers reached and calmed, 安抚) while active; `release` (passengers out: how many, injuries), the
/// rescue's `resolve`; `follow_up` (the call confirming release) once resolved; `answer` (the property manager
/// answered the rescue's call).
public enum TicketAction: String, Sendable, Hashable, Codable, CaseIterable {
    case acknowledge
    case arrive
    case resolve
    case close
    case cancel
    case contact
    case release
    case followUp = "follow_up"
    case answer

    /// Steps only a rescue ticket takes.
    public var isRescueStep: Bool {
        switch self {
        case .contact, .release, .followUp, .answer: true
        case .acknowledge, .arrive, .resolve, .close, .cancel: false
        }
    }
}
