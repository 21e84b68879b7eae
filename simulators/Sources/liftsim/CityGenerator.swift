import Foundation
import LiftCore

/// A realistic city registry for demos and benchmarks: Changsha's districts, walk-up building units rated in
/// the proportions of the Hunan survey, and elevators on the suitable and some difficult units at different
/// stages and ages. Deterministic for a seed.
///
/// District outlines are rectangles around each district's built-up centre: approximate, but every unit falls
/// inside its district's rectangle and the rectangles do not overlap.
struct CityGenerator {
    struct District: Sendable {
        var region: String
        var name: String
        /// South-west and north-east corners of the rectangle the units are placed in.
        var south: Double, west: Double, north: Double, east: Double
        /// Share of the city's surveyed units.
        var weight: Double
        /// Rescue SLA of rural regions applies (60 min on site).
        var rural: Bool
        /// Fault-code map its terminals use.
        var platform: String
    }

    /// Changsha (4301): six urban districts and three county-level areas.
    static let changsha: [District] = [
        District(region: "430102", name: "芙蓉区", south: 28.170, west: 112.990, north: 28.215, east: 113.060, weight: 0.16, rural: false, platform: "default"),
        District(region: "430103", name: "天心区", south: 28.080, west: 112.960, north: 28.168, east: 113.010, weight: 0.14, rural: false, platform: "default"),
        District(region: "430104", name: "岳麓区", south: 28.120, west: 112.860, north: 28.260, east: 112.955, weight: 0.15, rural: false, platform: "default"),
        District(region: "430105", name: "开福区", south: 28.217, west: 112.960, north: 28.300, east: 113.050, weight: 0.15, rural: false, platform: "default"),
        District(region: "430111", name: "雨花区", south: 28.090, west: 113.012, north: 28.168, east: 113.100, weight: 0.16, rural: false, platform: "default"),
        District(region: "430112", name: "望城区", south: 28.300, west: 112.780, north: 28.400, east: 112.900, weight: 0.07, rural: false, platform: "default"),
        District(region: "430121", name: "长沙县", south: 28.217, west: 113.060, north: 28.300, east: 113.160, weight: 0.07, rural: true, platform: "default"),
        District(region: "430181", name: "浏阳市", south: 28.120, west: 113.600, north: 28.190, east: 113.680, weight: 0.05, rural: true, platform: "municipal-b"),
        District(region: "430182", name: "宁乡市", south: 28.240, west: 112.520, north: 28.300, east: 112.590, weight: 0.05, rural: true, platform: "default"),
    ]

    static let streets = ["五一", "解放", "人民", "韶山", "芙蓉", "建湘", "八一", "劳动", "湘春", "黄兴", "书院", "桐梓坡", "东塘", "曙光", "长沙"]

    struct Unit {
        var unitID: String, region: String, address: String, lat: Double, lon: Double, floors: Int
        var rating: SurveyRating, stage: LifecycleStage
    }

    struct Elevator {
        var elevatorID: String, unitID: String, region: String, contractorID: String, commissionedOn: CivilDate?
        var stage: LifecycleStage, onDemand: Bool, platform: String
    }

    var units: [Unit] = []
    var elevators: [Elevator] = []

    /// - Parameters:
    ///   - unitCount: building units surveyed.
    ///   - today: the registry's "now": commissioning dates fall in the 7 years before it.
    init(unitCount: Int, seed: UInt64, today: CivilDate, contractors: Int = 12) {
        var random = SplitMix64(seed: seed)
        var perDistrict: [String: Int] = [:]
        let totalWeight = Self.changsha.reduce(0) { $0 + $1.weight }
        for _ in 0..<unitCount {
            var pick = Double.random(in: 0..<totalWeight, using: &random)
            let district = Self.changsha.first { pick -= $0.weight; return pick < 0 } ?? Self.changsha[0]
            let number = perDistrict[district.region, default: 0] + 1
            perDistrict[district.region] = number
            let unitID = "U\(district.region)-\(String(format: "%05d", number))"
            // Hunan survey: about 17 % suitable, 44 % difficult, 39 % unsuitable.
            let roll = Double.random(in: 0..<1, using: &random)
            let rating: SurveyRating = roll < 0.17 ? .suitable : roll < 0.61 ? .difficult : .unsuitable
            let floors = [4, 5, 5, 6, 6, 6, 6, 7, 7].randomElement(using: &random)!
            let street = Self.streets.randomElement(using: &random)!
            let address = "湖南省长沙市\(district.name)\(street)路\(Int.random(in: 1...399, using: &random))号\(Int.random(in: 1...24, using: &random))栋\(Int.random(in: 1...4, using: &random))单元"
            let lat = Double.random(in: district.south...district.north, using: &random)
            let lon = Double.random(in: district.west...district.east, using: &random)
            // Elevators go to most suitable units and a quarter of the difficult ones.
            let project = rating == .suitable ? Double.random(in: 0..<1, using: &random) < 0.8
                : rating == .difficult ? Double.random(in: 0..<1, using: &random) < 0.25 : false
            var stage = LifecycleStage.surveyed
            if project {
                let s = Double.random(in: 0..<1, using: &random)
                stage = s < 0.08 ? .approved : s < 0.18 ? .underConstruction : s < 0.22 ? .accepted : s < 0.26 ? .registered
                    : s < 0.93 ? .inService : s < 0.98 ? .suspended : .decommissioned
            }
            units.append(Unit(
                unitID: unitID, region: district.region, address: address, lat: (lat * 1e6).rounded() / 1e6, lon: (lon * 1e6).rounded() / 1e6,
                floors: floors, rating: rating, stage: stage))
            guard stage >= .accepted else { continue }
            let commissioned: CivilDate? = stage >= .inService ? today.adding(days: -Int.random(in: 20...(7 * 365), using: &random)) : nil
            elevators.append(Elevator(
                elevatorID: "E\(district.region)-\(String(format: "%05d", number))", unitID: unitID, region: district.region,
                contractorID: "C-HN-\(String(format: "%02d", Int.random(in: 1...contractors, using: &random)))", commissionedOn: commissioned,
                stage: stage, onDemand: stage == .inService && Double.random(in: 0..<1, using: &random) < 0.15, platform: district.platform))
        }
    }

    var unitsCSV: String {
        var text = "unit_id,region,address,lat,lon,floors,rating,stage\n"
        for u in units {
            text += "\(u.unitID),\(u.region),\(Self.quoted(u.address)),\(u.lat),\(u.lon),\(u.floors),\(u.rating.rawValue),\(u.stage.rawValue)\n"
        }
        return text
    }

    var elevatorsCSV: String {
        var text = "elevator_id,unit_id,region,contractor_id,commissioned_on,stage,on_demand,platform\n"
        for e in elevators {
            text += "\(e.elevatorID),\(e.unitID),\(e.region),\(e.contractorID),\(e.commissionedOn.map { "\($0)" } ?? ""),\(e.stage.rawValue),\(e.onDemand),\(e.platform)\n"
        }
        return text
    }

    /// A CSV field, quoted when it holds a delimiter, quote or line break.
    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
