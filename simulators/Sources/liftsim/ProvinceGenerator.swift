import Foundation
import LiftCore

/// Hunan's retrofit programme at full size, for the demo and the benchmarks: the 14 cities and their districts with
/// their real codes (from `config/places/hunan.csv`) and approximate centres, generated streets and communities
/// beneath, building units in estates rated in the survey's proportions (25,000 suitable, 64,000 difficult, 56,000
/// unsuitable of 145,000), and a programme history from 2018 whose 2021 matches the province's report of January
/// 2022 (3,825 joint approvals, 1,998 construction starts, 1,282 completions that year; over 5,000 elevators
/// approved, building or built by its end) and runs on to `today`. Deterministic for a seed.
///
/// Coordinates are approximate: a district's units lie around a centre placed near its city's (urban districts
/// within about 8 km, counties 25–70 km out); streets and community names are generated.
struct ProvinceGenerator {
    /// A city's centre and share of the province's surveyed units.
    struct City { var code: String; var lat: Double; var lon: Double; var weight: Double }

    static let cities: [City] = [
        City(code: "4301", lat: 28.228, lon: 112.939, weight: 0.22), City(code: "4302", lat: 27.828, lon: 113.134, weight: 0.07),
        City(code: "4303", lat: 27.830, lon: 112.944, weight: 0.05), City(code: "4304", lat: 26.893, lon: 112.572, weight: 0.09),
        City(code: "4305", lat: 27.239, lon: 111.468, weight: 0.07), City(code: "4306", lat: 29.357, lon: 113.129, weight: 0.08),
        City(code: "4307", lat: 29.032, lon: 111.699, weight: 0.08), City(code: "4308", lat: 29.117, lon: 110.479, weight: 0.02),
        City(code: "4309", lat: 28.554, lon: 112.355, weight: 0.05), City(code: "4310", lat: 25.770, lon: 113.015, weight: 0.06),
        City(code: "4311", lat: 26.420, lon: 111.613, weight: 0.06), City(code: "4312", lat: 27.550, lon: 109.998, weight: 0.06),
        City(code: "4313", lat: 27.700, lon: 111.994, weight: 0.05), City(code: "4331", lat: 28.312, lon: 109.739, weight: 0.04),
    ]

    /// The programme's volume per year: joint approvals, construction starts, completions. 2021 is the province's
    /// January 2022 report; the years before are one bucket (2018–2020).
    static let quotas: [(year: Int, approvals: Int, starts: Int, completions: Int)] = [
        (2020, 1_300, 800, 500), (2021, 3_825, 1_998, 1_282), (2022, 1_800, 1_700, 1_300), (2023, 1_500, 1_500, 1_200),
        (2024, 1_200, 1_300, 1_000), (2025, 900, 1_000, 800), (2026, 800, 800, 600),
    ]

    struct District { var code: String; var name: String; var cityCode: String; var lat: Double; var lon: Double; var weight: Double }
    struct Place { var code: String; var name: String }
    struct Estate { var id: String; var name: String; var community: String; var district: District; var lat: Double; var lon: Double }

    struct Unit {
        var unitID: String, region: String, areaCode: String, estate: Estate, building: Int, unitNo: Int
        var address: String, lat: Double, lon: Double, floors: Int, households: Int, rating: SurveyRating
        var stage: LifecycleStage = .surveyed
    }

    struct Step { var unitID: String; var json: [String: Any]; var date: CivilDate }

    struct Elevator { var elevatorID: String; var unitID: String; var region: String; var contractorID: String; var commissionedOn: CivilDate }

    var places: [Place] = []
    var units: [Unit] = []
    var steps: [Step] = []
    var elevators: [Elevator] = []
    /// Per district and year: the year's actual approvals, starts and completions (targets are set around them).
    var actual: [String: [Int: (approvals: Int, starts: Int, completions: Int)]] = [:]
    var targets: [(year: Int, place: String, approvals: Int, starts: Int, completions: Int)] = []

    /// - Parameters:
    ///   - names: the province's places (`code,name`): the province, its cities and districts.
    ///   - unitCount: units surveyed (146,000 for the province).
    ///   - estateCount: estates they stand in (13,500).
    init(names: [(code: String, name: String)], unitCount: Int, estateCount: Int, seed: UInt64, today: CivilDate) {
        var random = SplitMix64(seed: seed)
        func uniform(_ range: ClosedRange<Double>) -> Double { Double.random(in: range, using: &random) }
        func integer(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
        let nameOf = Dictionary(names.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        places = names.map { Place(code: $0.code, name: $0.name) }

        // Districts around their city's centre: urban districts close and heavier, counties further out.
        var districts: [District] = []
        for city in Self.cities {
            let codes = names.map(\.code).filter { $0.count == 6 && $0.hasPrefix(city.code) }.sorted()
            let urban = codes.filter { nameOf[$0]!.hasSuffix("区") }
            for (index, code) in codes.enumerated() {
                let isUrban = urban.contains(code)
                let angle = Double(index) * 2.39996 + uniform(0...0.4)
                let distance = isUrban ? uniform(0.01...0.07) : uniform(0.25...0.65)
                districts.append(District(
                    code: code, name: nameOf[code]!, cityCode: city.code, lat: city.lat + distance * cos(angle), lon: city.lon + distance * sin(angle) * 1.1,
                    weight: city.weight * (isUrban ? 3 : 1) / Double(urban.count * 3 + codes.count - urban.count)))
            }
        }
        // Streets and communities beneath each district.
        var communities: [(code: String, district: District, lat: Double, lon: Double)] = []
        for district in districts {
            let urban = district.name.hasSuffix("区")
            for s in 1...(urban ? integer(8...14) : integer(6...10)) {
                let street = district.code + String(format: "%03d", s)
                places.append(Place(code: street, name: "\(district.name)第\(s)\(urban ? "街道" : "镇")"))
                let sLat = district.lat + uniform(-0.03...0.03), sLon = district.lon + uniform(-0.03...0.03)
                for c in 1...integer(4...8) {
                    let community = street + String(format: "%03d", c)
                    places.append(Place(code: community, name: "第\(s)\(urban ? "街道" : "镇")第\(c)\(urban ? "社区" : "村")"))
                    communities.append((community, district, sLat + uniform(-0.008...0.008), sLon + uniform(-0.008...0.008)))
                }
            }
        }
        // Estates: in communities, as many per district as its weight asks.
        let totalWeight = districts.reduce(0) { $0 + $1.weight }
        var estates: [Estate] = []
        let byDistrict = Dictionary(grouping: communities, by: \.district.code)
        // Exactly `estateCount`: each district's share rounded down, the rest to the largest remainders.
        let shares = districts.map { Double(estateCount) * $0.weight / totalWeight }
        var counts = shares.map { max(1, Int($0)) }
        for index in shares.indices.sorted(by: { shares[$0] - shares[$0].rounded(.down) > shares[$1] - shares[$1].rounded(.down) })
            .prefix(max(0, estateCount - counts.reduce(0, +))) { counts[index] += 1 }
        for (district, count) in zip(districts, counts) {
            let pool = byDistrict[district.code]!
            for e in 1...count {
                let community = pool[integer(0...(pool.count - 1))]
                let id = "EST\(district.code)-\(String(format: "%04d", e))"
                estates.append(Estate(
                    id: id, name: ["和平", "建设", "幸福", "工人", "光明", "新村", "友谊", "朝阳", "劳动", "胜利"][e % 10] + "小区\(e)号院",
                    community: community.code, district: district, lat: community.lat + uniform(-0.004...0.004), lon: community.lon + uniform(-0.004...0.004)))
            }
        }
        // Units: a share of the province's count per estate; ratings in the survey's proportions, shuffled.
        var ratings: [SurveyRating] = []
        let suitable = unitCount * 25 / 145, difficult = unitCount * 64 / 145
        ratings += Array(repeating: .suitable, count: suitable) + Array(repeating: .difficult, count: difficult)
        ratings += Array(repeating: .unsuitable, count: unitCount - suitable - difficult)
        ratings.shuffle(using: &random)
        var perDistrict: [String: Int] = [:]
        for index in 0..<unitCount {
            let estate = estates[index < estates.count ? index : integer(0...(estates.count - 1))]
            let number = perDistrict[estate.district.code, default: 0] + 1
            perDistrict[estate.district.code] = number
            let floors = [5, 6, 6, 6, 7, 7].randomElement(using: &random)!
            let building = integer(1...30), unitNo = integer(1...4)
            let city = nameOf[estate.district.cityCode]!
            units.append(Unit(
                unitID: "H\(estate.district.code)-\(String(format: "%05d", number))", region: estate.district.code, areaCode: estate.community,
                estate: estate, building: building, unitNo: unitNo,
                address: "湖南省\(city)\(estate.district.name)\(estate.name)\(building)栋\(unitNo)单元",
                lat: ((estate.lat + uniform(-0.0015...0.0015)) * 1e6).rounded() / 1e6, lon: ((estate.lon + uniform(-0.0015...0.0015)) * 1e6).rounded() / 1e6,
                floors: floors, households: floors * (integer(1...5) == 1 ? 3 : 2), rating: ratings[index]))
        }

        // The programme, month by month: approvals from the candidates (suitable first), starts from the approved,
        // completions from those started more than 60 days before the month, each month's share of its year's quota.
        var candidates = units.indices.filter { units[$0].rating == .suitable }.shuffled(using: &random)
        candidates += units.indices.filter { units[$0].rating == .difficult }.shuffled(using: &random)
        var next = 0
        var approved: [(unit: Int, day: CivilDate)] = [], started: [(unit: Int, day: CivilDate)] = []
        var contractors: [String: [String]] = [:]
        for city in Self.cities { contractors[city.code] = (1...integer(3...8)).map { "C-\(city.code)-\(String(format: "%02d", $0))" } }
        var serial = 0
        func record(_ unit: Int, _ kind: ProjectStepKind, _ day: CivilDate, _ extra: [String: Any] = [:]) {
            var json: [String: Any] = ["kind": kind.rawValue, "date": day.description]
            for (key, value) in extra { json[key] = value }
            steps.append(Step(unitID: units[unit].unitID, json: json, date: day))
        }
        // Each year's quota split over its months exactly (2018–2020 share the first quota over 36 months); what a
        // month cannot do (too few units approved or built long enough) is owed to the next month of the same year.
        let months: [(year: Int, month: Int)] = (2018...today.year).flatMap { year in
            (1...12).compactMap { month in CivilDate(year: year, month: month, day: 1) <= today ? (year, month) : nil }
        }
        func share(_ quota: Int, year: Int, month: Int) -> Int {
            let (index, count) = year <= 2020 ? ((year - 2018) * 12 + month - 1, 36) : (month - 1, 12)
            return quota * (index + 1) / count - quota * index / count
        }
        var owed = (approvals: 0, starts: 0, completions: 0)
        for (year, month) in months {
            let quota = Self.quotas.first { $0.year == max(2020, min(year, 2026)) }!
            if month == 1 && year > 2020 { owed = (0, 0, 0) }
            let monthStart = CivilDate(year: year, month: month, day: 1)
            let last = (month == 12 ? CivilDate(year: year + 1, month: 1, day: 1) : CivilDate(year: year, month: month + 1, day: 1)).adding(days: -1).day
            func day() -> CivilDate { min(today, CivilDate(year: year, month: month, day: integer(1...last))) }
            func region(_ unit: Int) -> String { units[unit].region }
            owed.approvals += share(quota.approvals, year: year, month: month)
            while owed.approvals > 0 && next < candidates.count {
                owed.approvals -= 1
                let unit = candidates[next]
                next += 1
                let date = day()
                serial += 1
                let owners = units[unit].households
                let area = Double(owners) * uniform(70...110)
                let participating = owners - integer(0...(owners / 4)), consenting = participating - integer(0...(participating / 5))
                record(unit, .ownersVote, date.adding(days: -integer(30...90)), ["vote": [
                    "owners_total": owners, "owners_participating": participating, "owners_consenting": consenting,
                    "area_total_m2": (area * 100).rounded() / 100, "area_participating_m2": (area * Double(participating) / Double(owners) * 100).rounded() / 100,
                    "area_consenting_m2": (area * Double(consenting) / Double(owners) * 100).rounded() / 100,
                ]])
                record(unit, .application, date.adding(days: -integer(10...29)), ["number": "申\(date.year)-\(serial)"])
                record(unit, .jointApproval, date, ["number": "\(nameOf[String(region(unit).prefix(4))]!.prefix(2))联审〔\(date.year)〕\(serial)号"])
                let total = Double(integer(350...500)) * 1000
                record(unit, .funding, min(today, date.adding(days: 5)), ["funding": [
                    "owners_yuan": (total * 0.5).rounded(), "provident_fund_yuan": (total * 0.15).rounded(), "maintenance_fund_yuan": (total * 0.1).rounded(),
                    "subsidy_yuan": (total * 0.25).rounded(),
                ]])
                units[unit].stage = .approved
                approved.append((unit, date))
                actual[region(unit), default: [:]][year, default: (0, 0, 0)].approvals += 1
            }
            owed.starts += share(quota.starts, year: year, month: month)
            let startable = approved.prefix { $0.day < monthStart }.prefix(owed.starts)
            for (unit, _) in startable {
                let date = day()
                record(unit, .constructionStart, date)
                units[unit].stage = .underConstruction
                started.append((unit, date))
                actual[region(unit), default: [:]][year, default: (0, 0, 0)].starts += 1
            }
            owed.starts -= startable.count
            approved.removeFirst(startable.count)
            owed.completions += share(quota.completions, year: year, month: month)
            let built = started.prefix { $0.day.adding(days: 60) < monthStart }.prefix(owed.completions)
            for (unit, _) in built {
                let date = day()
                serial += 1
                record(unit, .completionAcceptance, date, ["number": "竣验〔\(date.year)〕\(serial)号"])
                units[unit].stage = .accepted
                actual[region(unit), default: [:]][year, default: (0, 0, 0)].completions += 1
                let registration = date.adding(days: integer(10...30))
                let subsidy = [80_000, 100_000, 120_000, 150_000][integer(0...3)]
                let applied = date.adding(days: 15)
                if applied <= today { record(unit, .subsidyApplied, applied, ["amount_yuan": subsidy]) }
                let granted = date.adding(days: integer(45...120))
                if granted <= today { record(unit, .subsidyGranted, granted, ["amount_yuan": subsidy]) }
                guard registration <= today else { continue }
                record(unit, .equipmentRegistration, registration, ["number": "湘梯登\(registration.year)\(String(format: "%06d", serial))"])
                units[unit].stage = .inService
                let cityCode = String(region(unit).prefix(4))
                elevators.append(Elevator(
                    elevatorID: "E\(units[unit].unitID.dropFirst())", unitID: units[unit].unitID, region: region(unit),
                    contractorID: contractors[cityCode]!.randomElement(using: &random)!, commissionedOn: registration))
            }
            owed.completions -= built.count
            started.removeFirst(built.count)
        }
        // Targets per district and year: the year's actual volume times 0.8–1.3, so that some districts fall short.
        for (district, years) in actual.sorted(by: { $0.key < $1.key }) {
            for year in min(2021, today.year)...today.year {
                let done = years[year] ?? (0, 0, 0)
                func target(_ n: Int) -> Int { max(1, Int((Double(n) * uniform(0.8...1.3)).rounded())) }
                targets.append((year, district, target(done.approvals), target(done.starts), target(done.completions)))
            }
        }
    }

    static func quoted(_ field: String) -> String { CityGenerator.quoted(field) }

    var placesCSV: String { "code,name\n" + places.map { "\($0.code),\(Self.quoted($0.name))\n" }.joined() }

    var unitsCSV: String {
        var text = "unit_id,region,address,lat,lon,floors,rating,stage,area_code,estate_id,estate_name,building,unit_no,households\n"
        for u in units {
            text += "\(u.unitID),\(u.region),\(Self.quoted(u.address)),\(u.lat),\(u.lon),\(u.floors),\(u.rating.rawValue),\(u.stage.rawValue),"
            text += "\(u.areaCode),\(u.estate.id),\(Self.quoted(u.estate.name)),\(u.building),\(u.unitNo),\(u.households)\n"
        }
        return text
    }

    var elevatorsCSV: String {
        var text = "elevator_id,unit_id,region,contractor_id,commissioned_on,stage,on_demand,platform\n"
        for e in elevators { text += "\(e.elevatorID),\(e.unitID),\(e.region),\(e.contractorID),\(e.commissionedOn),in_service,false,default\n" }
        return text
    }

    /// One JSON object per line: `unit_id` and the step as the API takes it; oldest first.
    var stepsJSONL: String {
        steps.enumerated().sorted { ($0.element.date, $0.offset) < ($1.element.date, $1.offset) }.map { _, step in
            var json = step.json
            json["unit_id"] = step.unitID
            let data = (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
            return String(decoding: data, as: UTF8.self) + "\n"
        }.joined()
    }

    var targetsCSV: String {
        "year,place,approvals,construction_starts,completions\n" + targets.map { "\($0.year),\($0.place),\($0.approvals),\($0.starts),\($0.completions)\n" }.joined()
    }
}
