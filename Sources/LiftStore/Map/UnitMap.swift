import GRDB
import LiftCore

/// The one map (一张图) at province size: units counted by place at a zoom where they would be a blur, and one by
/// one inside a box once zoomed in. Nothing here returns a row per unit of a whole province.
public struct UnitMap: Sendable {
    let database: LiftDatabase

    /// How finely the map groups: by city (4 digits of the place code), district (6), street (9), or not at all.
    public enum Level: String, Sendable, Codable, CaseIterable, Comparable {
        case city, district, street, unit

        public static func < (lhs: Level, rhs: Level) -> Bool { allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)! }

        /// The coarsest level that still splits `place` (a city's map counts by district, a district's by street).
        public static func below(_ place: String) -> Level {
            switch place.count {
            case 0...2: .city
            case 3...4: .district
            default: .street
            }
        }

        public var digits: Int? {
            switch self {
            case .city: 4
            case .district: 6
            case .street: 9
            case .unit: nil
            }
        }

        /// The level a Leaflet zoom shows: cities up to 8, districts up to 10, streets up to 13, units from 14.
        public static func forZoom(_ zoom: Int) -> Level { zoom <= 8 ? .city : zoom <= 10 ? .district : zoom <= 13 ? .street : .unit }
    }

    /// Which units count. Nil fields do not filter.
    public struct Filter: Sendable, Hashable {
        public var placePrefix: String
        public var rating: SurveyRating?
        public var stage: LifecycleStage?
        public var estateID: String?
        /// Only these units (the health filter: units whose elevator is in the chosen state).
        public var unitIDs: Set<String>?
        /// South, west, north, east.
        public var box: Box?

        public init(placePrefix: String, rating: SurveyRating? = nil, stage: LifecycleStage? = nil, estateID: String? = nil, unitIDs: Set<String>? = nil, box: Box? = nil) {
            self.placePrefix = placePrefix
            self.rating = rating
            self.stage = stage
            self.estateID = estateID
            self.unitIDs = unitIDs
            self.box = box
        }
    }

    public struct Box: Sendable, Hashable {
        public var south: Double, west: Double, north: Double, east: Double
        public init(south: Double, west: Double, north: Double, east: Double) {
            (self.south, self.west, self.north, self.east) = (south, west, north, east)
        }
    }

    /// A place's units: how many, where their middle is, and how many of each rating and stage.
    public struct Group: Sendable, Encodable {
        public var code: String
        public var name: String?
        public var lat: Double
        public var lon: Double
        public var count: Int
        public var rating: [String: Int]
        public var stage: [String: Int]
        /// Filled by the caller, which knows the elevators' health.
        public var health: [String: Int] = [:]
    }

    /// One unit on the map, with what its popup shows.
    public struct Point: Sendable, Encodable {
        public var id: String, lat: Double, lon: Double, rating: String, stage: String, address: String
        public var place: String
        public var estate: String?
        public var estateID: String?
        public var households: Int?
        public var elevator: String?
        /// Filled by the caller.
        public var health: String?
        enum CodingKeys: String, CodingKey { case id, lat, lon, rating, stage, address, place, estate, estateID = "estate_id", households, elevator, health }
    }

    public struct Estate: Sendable, Encodable {
        public var id: String
        public var name: String?
        public var units: Int
    }

    private func conditions(_ filter: Filter) -> (sql: String, arguments: StatementArguments) {
        var sql = "\(PlaceFilter.clause("u.place")) AND u.lat IS NOT NULL AND u.lon IS NOT NULL"
        var arguments = PlaceFilter.arguments(filter.placePrefix)
        if let rating = filter.rating { sql += " AND u.rating = ?"; arguments += [rating.rawValue] }
        if let stage = filter.stage { sql += " AND u.stage = ?"; arguments += [stage.rawValue] }
        if let estate = filter.estateID { sql += " AND u.estate_id = ?"; arguments += [estate] }
        if let box = filter.box {
            sql += " AND u.lat BETWEEN ? AND ? AND u.lon BETWEEN ? AND ?"
            arguments += [box.south, box.north, box.west, box.east]
        }
        return (sql, arguments)
    }

    /// Units counted per place at `level` (not `.unit`), with the places' names where known.
    public func groups(_ level: Level, _ filter: Filter) throws -> [Group] {
        guard let digits = level.digits else { return [] }
        let (whereSQL, arguments) = conditions(filter)
        return try database.read { db in
            var groups: [String: Group] = [:]
            var sums: [String: (lat: Double, lon: Double)] = [:]
            func add(code: String, rating: String?, stage: String, n: Int, lat: Double, lon: Double) {
                var group = groups[code] ?? Group(code: code, lat: 0, lon: 0, count: 0, rating: [:], stage: [:])
                group.count += n
                group.rating[rating ?? "unrated", default: 0] += n
                group.stage[stage, default: 0] += n
                groups[code] = group
                sums[code] = ((sums[code]?.lat ?? 0) + lat, (sums[code]?.lon ?? 0) + lon)
            }
            if let only = filter.unitIDs {
                // A health filter: the few units with an elevator in that state, looked up by id.
                try InList.batches(only.sorted()) { marks, ids in
                    let rows = try Row.fetchCursor(
                        db, sql: "SELECT substr(u.place, 1, \(digits)) AS code, u.rating, u.stage, u.lat, u.lon FROM units u WHERE u.unit_id IN (\(marks)) AND \(whereSQL)",
                        arguments: ids + arguments)
                    while let row = try rows.next() { add(code: row["code"], rating: row["rating"], stage: row["stage"], n: 1, lat: row["lat"], lon: row["lon"]) }
                }
            } else {
                // From the `units_map` index alone.
                let rows = try Row.fetchCursor(
                    db, sql: """
                        SELECT substr(u.place, 1, \(digits)) AS code, u.rating, u.stage, count(*) AS n, sum(u.lat) AS lat, sum(u.lon) AS lon
                        FROM units u WHERE \(whereSQL) GROUP BY 1, 2, 3
                        """, arguments: arguments)
                while let row = try rows.next() { add(code: row["code"], rating: row["rating"], stage: row["stage"], n: row["n"], lat: row["lat"], lon: row["lon"]) }
            }
            let names = try Self.names(of: Array(groups.keys), in: db)
            return groups.values.map { group in
                var group = group
                let sum = sums[group.code]!
                group.lat = sum.lat / Double(group.count)
                group.lon = sum.lon / Double(group.count)
                group.name = names[group.code]
                return group
            }.sorted { $0.code < $1.code }
        }
    }

    /// The units inside `filter.box`, at most `limit`; nil when there are more (the caller groups instead).
    public func points(_ filter: Filter, limit: Int) throws -> [Point]? {
        let (whereSQL, arguments) = conditions(filter)
        return try database.read { db in
            var points: [Point] = []
            let rows = try Row.fetchCursor(
                db, sql: """
                    SELECT u.unit_id, u.lat, u.lon, u.rating, u.stage, u.address, u.place, u.estate_id, u.estate_name, u.households,
                        (SELECT e.elevator_id FROM elevators e WHERE e.unit_id = u.unit_id ORDER BY e.elevator_id LIMIT 1) AS elevator
                    FROM units u WHERE \(whereSQL)
                    """, arguments: arguments)
            while let row = try rows.next() {
                let id: String = row["unit_id"]
                if let only = filter.unitIDs, !only.contains(id) { continue }
                if points.count == limit { return nil }
                points.append(Point(
                    id: id, lat: row["lat"], lon: row["lon"], rating: row["rating"] ?? "unrated", stage: row["stage"], address: row["address"],
                    place: row["place"], estate: row["estate_name"] ?? row["estate_id"], estateID: row["estate_id"], households: row["households"],
                    elevator: row["elevator"]))
            }
            return points
        }
    }

    /// Which of `units` the filter keeps (its rating, stage, estate, box and place).
    public func unitIDs(among units: Set<String>, _ filter: Filter) throws -> Set<String> {
        let (whereSQL, arguments) = conditions(filter)
        return try database.read { db in
            var kept: Set<String> = []
            try InList.batches(units.sorted()) { marks, ids in
                kept.formUnion(try String.fetchAll(db, sql: "SELECT u.unit_id FROM units u WHERE u.unit_id IN (\(marks)) AND \(whereSQL)", arguments: ids + arguments))
            }
            return kept
        }
    }

    /// The estates (小区) of a place, by name, at most `limit`.
    public func estates(placePrefix: String, limit: Int = 2_000) throws -> [Estate] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: """
                    SELECT estate_id, max(estate_name) AS name, count(*) AS n FROM units u
                    WHERE \(PlaceFilter.clause("u.place")) AND estate_id IS NOT NULL GROUP BY estate_id ORDER BY name, estate_id LIMIT ?
                    """, arguments: PlaceFilter.arguments(placePrefix) + [limit]
            ).map { Estate(id: $0["estate_id"], name: $0["name"], units: $0["n"]) }
        }
    }

    static func names(of codes: [String], in db: Database) throws -> [String: String] {
        guard !codes.isEmpty else { return [:] }
        var names: [String: String] = [:]
        try InList.batches(codes) { marks, codes in
            for row in try Row.fetchAll(db, sql: "SELECT code, name FROM place_names WHERE code IN (\(marks))", arguments: codes) {
                names[row["code"]] = row["name"]
            }
        }
        return names
    }
}

extension LiftDatabase {
    /// The one map's queries.
    public var unitMap: UnitMap { UnitMap(database: self) }
}

extension UnitMap {
    /// A place's name, when known.
    public func name(of code: String) throws -> String? {
        try database.read { db in try Self.names(of: [code], in: db)[code] }
    }

    /// The named cities and districts at or under `prefix` (and the place itself), for the map's place filter.
    public func places(under prefix: String) throws -> [(code: String, name: String)] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT code, name FROM place_names WHERE \(PlaceFilter.clause("code")) AND length(code) IN (4, 6) ORDER BY code",
                arguments: PlaceFilter.arguments(prefix)
            ).map { ($0["code"], $0["name"]) }
        }
    }
}
