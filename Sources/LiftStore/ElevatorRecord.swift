import LiftCore

/// An elevator in the registry, with its live connectivity.
public struct ElevatorRecord: Sendable, Hashable, Codable {
    /// The compact key the time-series tables use.
    public var key: Int64
    public var elevatorID: String
    public var unitID: String?
    public var region: String
    /// Its unit's area code (street or community) when known, else its region: scopes of every level match on it.
    public var place: String
    public var contractorID: String?
    /// `YYYY-MM-DD`.
    public var commissionedOn: String?
    public var stage: String
    public var onDemand: Bool
    /// Name of the fault-code map its controller uses.
    public var platform: String
    public var registeredAt: Int64
    /// What the elevator's last status message said (false before any: see `isOnline(now:threshold:)`).
    public var online: Bool
    public var lastSeen: Int64?
    /// When its last status message arrived.
    public var statusAt: Int64?
    public var firmware: String?
    /// The fitted controller or IoT terminal, when recorded.
    public var terminalID: String?
    /// Added to the current terminal's `seq` (see `TerminalRecord`).
    public var seqOffset: Int64
    /// The code printed in the car that the rescue hotline asks for.
    public var rescueCode: String?
    /// Its property manager (使用单位).
    public var propertyManagerID: String?

    /// Online now: heard from within `thresholdMs`, and not offline by its last status (a will) unless heard from
    /// since. A controller that never sends a status is online by its traffic.
    public func isOnline(now: Int64, thresholdMs: Int64) -> Bool {
        Connectivity.isOnline(lastSeen: lastSeen, statusOnline: online, statusAt: statusAt, now: now, thresholdMs: thresholdMs)
    }
}

/// What registering an elevator needs. Registering an existing `elevatorID` updates it.
public struct ElevatorRegistration: Sendable, Hashable, Codable {
    public var elevatorID: String
    public var unitID: String?
    public var region: String
    public var contractorID: String?
    public var commissionedOn: String?
    public var stage: String
    public var onDemand: Bool
    public var platform: String

    public init(
        elevatorID: String, unitID: String? = nil, region: String, contractorID: String? = nil,
        commissionedOn: String? = nil, stage: String = "in_service", onDemand: Bool = false, platform: String = "default"
    ) {
        self.elevatorID = elevatorID
        self.unitID = unitID
        self.region = region
        self.contractorID = contractorID
        self.commissionedOn = commissionedOn
        self.stage = stage
        self.onDemand = onDemand
        self.platform = platform
    }
}
