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
    /// The street (9 digits) or community (12) it lies in, inside `region`.
    public var areaCode: String?
    /// Its estate (小区).
    public var estateID: String?
    public var estateName: String?
    /// Building and unit numbers as the address gives them (楼栋, 单元).
    public var building: String?
    public var unitNumber: String?
    /// Households living in the unit: those an added elevator benefits.
    public var households: Int?
    public var createdAt: Int64
    public var updatedAt: Int64

    /// Where it is as precisely as known: its area code, else its region. Scopes of every level match on it.
    public var place: String { areaCode ?? region }

    public init(
        unitID: String, region: String, address: String = "", lat: Double? = nil, lon: Double? = nil, floors: Int? = nil,
        rating: SurveyRating? = nil, stage: LifecycleStage = .surveyed, areaCode: String? = nil, estateID: String? = nil,
        estateName: String? = nil, building: String? = nil, unitNumber: String? = nil, households: Int? = nil,
        createdAt: Int64 = 0, updatedAt: Int64 = 0
    ) {
        self.unitID = unitID
        self.region = region
        self.address = address
        self.lat = lat
        self.lon = lon
        self.floors = floors
        self.rating = rating
        self.stage = stage
        self.areaCode = areaCode
        self.estateID = estateID
        self.estateName = estateName
        self.building = building
        self.unitNumber = unitNumber
        self.households = households
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
