import LiftCore

/// A building unit (单元): the dossier key, also for units surveyed that never got an elevator.
public struct UnitRecord: Sendable, Hashable, Codable {
    public var unitID: String
    public var region: String
    public var address: String
    public var lat: Double?
    public var lon: Double?
    public var floors: Int?
    public var rating: SurveyRating?
    /// The unit's elevator project stage; follows its elevator once one is registered.
    public var stage: LifecycleStage
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        unitID: String, region: String, address: String = "", lat: Double? = nil, lon: Double? = nil, floors: Int? = nil,
        rating: SurveyRating? = nil, stage: LifecycleStage = .surveyed, createdAt: Int64 = 0, updatedAt: Int64 = 0
    ) {
        self.unitID = unitID
        self.region = region
        self.address = address
        self.lat = lat
        self.lon = lon
        self.floors = floors
        self.rating = rating
        self.stage = stage
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
