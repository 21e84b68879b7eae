import Foundation
import Hummingbird
import LiftCore
import LiftStore

/// The one map's data (一张图): `GET /api/v1/map` counts units per city, district or street by zoom and lists
/// them one by one only inside a small box; `/api/v1/map/estates` names the estates of a place;
/// `/api/v1/map/outlines` gives the bundled city and district outlines of the caller's scope. For administrators,
/// regulators and officers.
struct MapRoutes: Sendable {
    let api: APIRoutes

    static let all: [(method: String, path: String)] = [
        ("GET", "/api/v1/map"), ("GET", "/api/v1/map/estates"), ("GET", "/api/v1/map/outlines"),
    ]
    /// At most this many units one by one; a box holding more is answered by street.
    static let pointLimit = 3_000

    var context: APIContext { api.context }

    func register(on group: RouterGroup<LiftRequestContext>) {
        group.get("map", use: map)
        group.get("map/estates", use: estates)
        group.get("map/outlines", use: outlines)
    }

    struct Answer: Encodable {
        var level: UnitMap.Level
        var groups: [UnitMap.Group]
        var units: [UnitMap.Point]
        /// Units in scope and filter, in all.
        var total: Int
    }

    func regulatorOnly(_ ctx: LiftRequestContext) throws -> Principal {
        let caller = try ctx.caller()
        guard caller.role != .contractor else { throw APIError(.forbidden, code: "forbidden", message: "the map is for administrators, regulators and officers") }
        return caller
    }

    func map(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try regulatorOnly(ctx)
        let q = try Query(request, allowed: ["region", "zoom", "bbox", "rating", "stage", "health", "estate"])
        let region = try api.scopedRegion(q.regionPrefix("region"), caller) ?? ""
        let zoom = Int(try q.integer("zoom", range: 0...22) ?? 7)
        let box = try Self.box(q["bbox"])
        let health = try q.enumeration("health", Health.State.self)
        var filter = UnitMap.Filter(
            placePrefix: region, rating: try q.enumeration("rating", SurveyRating.self), stage: try q.enumeration("stage", LifecycleStage.self),
            estateID: try q.id("estate"))
        // Health: of the elevators in service in scope, assessed together, kept for a few seconds.
        let now = context.clock.now()
        let snapshot = try context.mapSnapshots.health(scope: region, now: now) {
            let elevators = try context.database.elevators(placePrefix: region, stage: .inService, limit: 1_000_000).filter { $0.unitID != nil }
            let healths = try context.health.health(of: elevators, now: now)
            var unitHealth: [String: Health.State] = [:]
            for elevator in elevators { if let state = healths[elevator.elevatorID]?.state { unitHealth[elevator.unitID!] = max(unitHealth[elevator.unitID!] ?? .ok, state) } }
            return MapSnapshots.Health(at: now, elevators: elevators, unitHealth: unitHealth)
        }
        let elevators = snapshot.elevators, unitHealth = snapshot.unitHealth
        if let health { filter.unitIDs = Set(unitHealth.filter { $0.value == health }.keys) }

        var level = max(UnitMap.Level.forZoom(zoom), UnitMap.Level.below(region))
        var points: [UnitMap.Point] = []
        if level == .unit {
            guard let box else { throw APIError(.badRequest, code: "invalid_parameter", message: "bbox: required from zoom 14, as south,west,north,east") }
            var inBox = filter
            inBox.box = box
            if let found = try context.database.unitMap.points(inBox, limit: Self.pointLimit) {
                points = found.map { point in
                    var point = point
                    point.health = unitHealth[point.id]?.rawValue
                    return point
                }
            } else {
                level = .street
            }
        }
        var groups: [UnitMap.Group] = []
        if level != .unit {
            // Streets are many: only those in view (and a box too full for units one by one is counted by street).
            var grouped = filter
            if level == .street { grouped.box = box }
            let key = MapSnapshots.GroupKey(registryVersion: try context.database.registryVersion(), level: level, filter: grouped)
            groups = grouped.unitIDs == nil ? try context.mapSnapshots.groups(key) { try context.database.unitMap.groups(level, grouped) }
                : try context.database.unitMap.groups(level, grouped)
            // Health per unit (its worst elevator), of the units the other filters keep.
            let filtered = grouped.rating != nil || grouped.stage != nil || grouped.estateID != nil || grouped.box != nil
            let kept = filtered ? try context.database.unitMap.unitIDs(among: Set(unitHealth.keys), grouped) : nil
            let digits = level.digits!
            var index: [String: Int] = [:]
            for (i, group) in groups.enumerated() { index[group.code] = i }
            var counted: Set<String> = []
            for elevator in elevators {
                let unit = elevator.unitID!
                guard let state = unitHealth[unit], grouped.unitIDs?.contains(unit) ?? true, kept?.contains(unit) ?? true, counted.insert(unit).inserted else { continue }
                if let i = index[String(elevator.place.prefix(digits))] { groups[i].health[state.rawValue, default: 0] += 1 }
            }
        }
        let total = level == .unit ? points.count : groups.reduce(0) { $0 + $1.count }
        return try api.json(Answer(level: level, groups: groups, units: points, total: total))
    }

    static func box(_ text: String?) throws -> UnitMap.Box? {
        guard let text else { return nil }
        let parts = text.split(separator: ",").compactMap { Double($0) }
        guard parts.count == 4, parts.allSatisfy(\.isFinite), (-90...90).contains(parts[0]), (-90...90).contains(parts[2]),
            (-180...180).contains(parts[1]), (-180...180).contains(parts[3]), parts[0] <= parts[2], parts[1] <= parts[3]
        else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "bbox: expected south,west,north,east in degrees, got \"\(text.prefix(100))\"")
        }
        return UnitMap.Box(south: parts[0], west: parts[1], north: parts[2], east: parts[3])
    }

    func estates(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try regulatorOnly(ctx)
        let q = try Query(request, allowed: ["region"])
        guard let requested = try q.regionPrefix("region"), requested.count >= 6 else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "region: a district (6 digits) or below")
        }
        let region = try api.scopedRegion(requested, caller) ?? requested
        struct Estates: Encodable {
            var items: [UnitMap.Estate]
            var next: String?
            enum CodingKeys: CodingKey { case items, next }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(items, forKey: .items)
                try c.encode(next, forKey: .next)
            }
        }
        // The contract's list shape; a district has far fewer than the 2,000 estates a place may list, so no next page.
        return try api.json(Estates(items: try context.database.unitMap.estates(placePrefix: region), next: nil))
    }

    /// The bundled outlines (`config/geo`), only the features of `region` (by default the caller's scope), which must
    /// lie inside the scope: a city's regulator gets its city and its districts.
    func outlines(_ request: Request, _ ctx: LiftRequestContext) async throws -> Response {
        let caller = try regulatorOnly(ctx)
        let q = try Query(request, allowed: ["level", "region"])
        let level = q["level"] ?? "city"
        guard level == "city" || level == "district" else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "level: expected city or district, got \"\(level.prefix(20))\"")
        }
        // The place is part of the address, so that a browser shared by two logins never shows one the other's cut.
        let scope = try api.scopedRegion(q.regionPrefix("region"), caller) ?? ""
        let path = context.outlinesDirectory + "/hunan-\(level == "city" ? "cities" : "districts").geojson"
        let body = context.mapSnapshots.outlines(path: path, scope: scope) {
            var body = Data("{\"type\":\"FeatureCollection\",\"features\":[]}".utf8)
            if let data = FileManager.default.contents(atPath: path),
                var collection = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let features = collection["features"] as? [[String: Any]]
            {
                collection["features"] = features.filter { feature in
                    guard let code = (feature["properties"] as? [String: Any])?["code"] as? String else { return false }
                    return code.hasPrefix(scope) || scope.hasPrefix(code)
                }
                body = (try? JSONSerialization.data(withJSONObject: collection)) ?? body
            }
            return body
        }
        return Response(
            status: .ok, headers: [.contentType: "application/geo+json", .cacheControl: "private, max-age=3600"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
