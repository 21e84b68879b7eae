import Foundation
import Hummingbird
import HummingbirdTesting
import LiftCore
import LiftStore
import Testing
@testable import LiftAPI

/// Issue 25 items 2 and 3: the one map counts by place when zoomed out and lists units only inside a small box;
/// lists page by an index range.
@Suite("The one map at province size, and paging")
struct MapTests {
    static func groups(_ json: [String: Any]?) -> [String: Int] {
        var counts: [String: Int] = [:]
        for group in (json?["groups"] as? [[String: Any]]) ?? [] { counts[group["code"] as? String ?? "?"] = group["count"] as? Int }
        return counts
    }

    static func strings(_ json: [String: Any]?, _ list: String, _ field: String) -> [String] {
        ((json?[list] as? [[String: Any]]) ?? []).compactMap { $0[field] as? String }
    }

    static func first(_ json: [String: Any]?, _ list: String, _ field: String, _ value: String) -> [String: Any]? {
        ((json?[list] as? [[String: Any]]) ?? []).first { $0[field] as? String == value }
    }

    static func outlineCodes(_ json: [String: Any]?) -> [String] {
        ((json?["features"] as? [[String: Any]]) ?? []).compactMap { ($0["properties"] as? [String: Any])?["code"] as? String }
    }

    static func unitIDs(_ json: [String: Any]?) -> [String] {
        ((json?["units"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }.sorted()
    }

    @Test("zoomed out the map counts units per city, district or street; zoomed in it lists them one by one with their popups")
    func levelsByZoom() async throws {
        let fixture = try APIFixture()
        try fixture.database.programme.setNames([("4301", "长沙市"), ("4302", "株洲市"), ("430102", "芙蓉区")])
        try await fixture.application.test(.router) { client in
            let province = try await client.call(.get, "/api/v1/map?zoom=7", fixture.headers("admin"))
            #expect(province.1?["level"] as? String == "city")
            #expect(Self.groups(province.1) == ["4301": 4, "4302": 1])
            let changsha = Self.first(province.1, "groups", "code", "4301")
            #expect(changsha?["name"] as? String == "长沙市")
            #expect((changsha?["rating"] as? [String: Int]) == ["suitable": 4])
            // E1 online and E3 silent 10 minutes of U1–U4; E4 is suspended and has no health on the map.
            #expect(((changsha?["health"] as? [String: Int]) ?? [:]).values.reduce(0, +) == 3)
            let districts = try await client.call(.get, "/api/v1/map?zoom=10", fixture.headers("admin"))
            #expect(districts.1?["level"] as? String == "district" && Self.groups(districts.1) == ["430102": 4, "430202": 1])
            let units = try await client.call(.get, "/api/v1/map?zoom=16&bbox=28.1,112.9,28.3,113.1", fixture.headers("admin"))
            #expect(units.1?["level"] as? String == "unit" && Self.unitIDs(units.1) == ["U1", "U2", "U3", "U4", "U9"])
            let u1 = Self.first(units.1, "units", "id", "U1")
            #expect(u1?["elevator"] as? String == "E1" && u1?["address"] as? String == "U1 号" && u1?["health"] as? String != nil)
            // A box elsewhere holds nothing.
            let empty = try await client.call(.get, "/api/v1/map?zoom=16&bbox=30,100,30.1,100.1", fixture.headers("admin"))
            #expect(empty.0 == .ok && Self.unitIDs(empty.1).isEmpty && empty.1?["total"] as? Int == 0)
        }
    }

    @Test("the map keeps to the caller's scope and takes filters by rating, stage, health and estate")
    func scopeAndFilters() async throws {
        let fixture = try APIFixture()
        try await fixture.application.test(.router) { client in
            let own = try await client.call(.get, "/api/v1/map?zoom=7", fixture.headers("regulator"))
            #expect(Self.groups(own.1) == ["430102": 4], "a city's map counts by district")
            #expect(try await client.call(.get, "/api/v1/map?zoom=7&region=4302", fixture.headers("regulator")).0 == .forbidden)
            #expect(try await client.call(.get, "/api/v1/map?zoom=7", fixture.headers("contractor")).0 == .forbidden)
            let difficult = try await client.call(.get, "/api/v1/map?zoom=7&rating=difficult", fixture.headers("admin"))
            #expect(difficult.0 == .ok && Self.groups(difficult.1).isEmpty)
            // Health: E1 is online and ok; E2 went offline by its will.
            let offline = try await client.call(.get, "/api/v1/map?zoom=16&bbox=28,112,29,114&health=offline", fixture.headers("admin"))
            #expect(Self.unitIDs(offline.1).contains("U2") && !Self.unitIDs(offline.1).contains("U1"))
            let offlineByCity = try await client.call(.get, "/api/v1/map?zoom=7&health=offline", fixture.headers("admin"))
            #expect((Self.groups(offlineByCity.1)["4301"] ?? 0) == Self.unitIDs(offline.1).filter { $0 != "U9" }.count)
            for bad in ["/api/v1/map?zoom=16", "/api/v1/map?zoom=16&bbox=1,2,3", "/api/v1/map?zoom=16&bbox=29,113,28,112", "/api/v1/map?zoom=99", "/api/v1/map?health=fine"] {
                #expect(try await client.call(.get, bad, fixture.headers("admin")).0 == .badRequest, "\(bad)")
            }
        }
    }

    @Test("a box holding more units than the bound answers nil at the store, by street at the API")
    func pointBound() async throws {
        let fixture = try APIFixture()
        let all = UnitMap.Filter(placePrefix: "", box: UnitMap.Box(south: 28, west: 112, north: 29, east: 114))
        #expect(try fixture.database.unitMap.points(all, limit: 5)?.count == 5)
        #expect(try fixture.database.unitMap.points(all, limit: 4) == nil)
        #expect(MapRoutes.pointLimit == 3_000)
    }

    @Test("the start-up warm-up reads each province's overview and leaves the map's counts by city ready")
    func warmUpAtStart() async throws {
        let fixture = try APIFixture()
        #expect(fixture.context.mapSnapshots.counts.groups == 0)
        let scopes = try await fixture.context.warmUp()
        #expect(scopes == ["", "43"])
        #expect(fixture.context.mapSnapshots.counts.groups == 2, "all regions and province 43, counted by city")
        try await fixture.application.test(.router) { client in
            let province = try await client.call(.get, "/api/v1/map?zoom=7", fixture.headers("admin"))
            #expect(Self.groups(province.1) == ["4301": 4, "4302": 1])
        }
        var computed = 0
        let key = MapSnapshots.GroupKey(registryVersion: try fixture.database.registryVersion(), level: .city, filter: UnitMap.Filter(placePrefix: ""))
        _ = fixture.context.mapSnapshots.groups(key) { computed += 1; return [] }
        #expect(computed == 0, "the province's counts by city were ready")
    }

    @Test("the map's snapshots are bounded, end with a registry change, and health is assessed again after its lifetime")
    func snapshotsBounded() throws {
        let snapshots = MapSnapshots(healthLifetimeMs: 15_000)
        var computed = 0
        for n in 0..<(MapSnapshots.capacity + 10) {
            let key = MapSnapshots.GroupKey(registryVersion: 1, level: .city, filter: UnitMap.Filter(placePrefix: String(n)))
            _ = snapshots.groups(key) { computed += 1; return [] }
        }
        #expect(computed == MapSnapshots.capacity + 10 && snapshots.counts.groups == MapSnapshots.capacity)
        let key = MapSnapshots.GroupKey(registryVersion: 1, level: .city, filter: UnitMap.Filter(placePrefix: "430199"))
        _ = snapshots.groups(key) { computed += 1; return [] }
        _ = snapshots.groups(key) { computed += 1; return [] }
        #expect(computed == MapSnapshots.capacity + 11, "a second look is a hit")
        let changed = MapSnapshots.GroupKey(registryVersion: 2, level: .city, filter: UnitMap.Filter(placePrefix: "430199"))
        _ = snapshots.groups(changed) { computed += 1; return [] }
        #expect(computed == MapSnapshots.capacity + 12 && snapshots.counts.groups == 1, "a registry change drops what was counted before")
        var assessed = 0
        for now: Int64 in [0, 14_999, 15_000, 15_001] {
            _ = snapshots.health(scope: "43", now: now) { assessed += 1; return MapSnapshots.Health(at: now, elevators: [], unitHealth: [:]) }
        }
        #expect(assessed == 2, "assessed at 0 and again at 15,000 ms")
    }

    @Test("estates of a district for the filter, and the outlines of the caller's scope only")
    func estatesAndOutlines() async throws {
        let fixture = try APIFixture()
        try fixture.database.upsertUnit(
            UnitRecord(unitID: "U5", region: "430102", address: "5 号", lat: 28.2, lon: 113.0, floors: 6, rating: .difficult, estateID: "EST-1", estateName: "东园小区"),
            at: 0, by: "test")
        try await fixture.application.test(.router) { client in
            let estates = try await client.call(.get, "/api/v1/map/estates?region=430102", fixture.headers("regulator"))
            #expect(Self.strings(estates.1, "items", "name") == ["东园小区"])
            #expect(try await client.call(.get, "/api/v1/map/estates?region=4301", fixture.headers("regulator")).0 == .badRequest)
            let cities = try await client.call(.get, "/api/v1/map/outlines?level=city", fixture.headers("admin"))
            #expect(Self.outlineCodes(cities.1).count == 14)
            let own = try await client.call(.get, "/api/v1/map/outlines?level=district", fixture.headers("regulator"))
            let codes = Self.outlineCodes(own.1)
            #expect(codes.count > 5 && codes.allSatisfy { $0.hasPrefix("4301") })
            #expect(try await client.call(.get, "/api/v1/map/outlines?level=city&region=4302", fixture.headers("regulator")).0 == .forbidden)
            let district = try await client.call(.get, "/api/v1/map/outlines?level=district&region=430102", fixture.headers("admin"))
            #expect(Self.outlineCodes(district.1) == ["430102"])
        }
    }

    @Test("units page by place and id: every unit once, each page a range, a forged cursor refused")
    func unitsPaging() async throws {
        let fixture = try APIFixture()
        for n in 10..<40 {
            let region = n % 3 == 0 ? "430103" : "430104"
            try fixture.database.upsertUnit(UnitRecord(unitID: "P\(n)", region: region, address: "\(n) 号", rating: .suitable), at: 0, by: "test")
        }
        try await fixture.application.test(.router) { client in
            var seen: [String] = [], cursor: String? = nil, pages = 0
            repeat {
                let page = try await client.call(.get, "/api/v1/units?region=4301&limit=7" + (cursor.map { "&cursor=\($0)" } ?? ""), fixture.headers("regulator"))
                seen += Self.strings(page.1, "items", "unit_id")
                cursor = page.1?["next"] as? String
                pages += 1
            } while cursor != nil && pages < 20
            #expect(seen.count == 34 && Set(seen).count == 34, "30 new units and U1–U4, each once")
            #expect(pages == 5)
            let forged = Data("43~../etc".utf8).base64EncodedString()
            #expect(try await client.call(.get, "/api/v1/units?cursor=\(forged)", fixture.headers("admin")).0 == .badRequest)
        }
        let first = try fixture.database.units(regionPrefix: "4301", limit: 3)
        let next = try fixture.database.units(regionPrefix: "4301", after: UnitPosition(place: first[2].place, unitID: first[2].unitID), limit: 3)
        #expect(first.map(\.place) == first.map(\.place).sorted() && next.first.map { ($0.place, $0.unitID) > (first[2].place, first[2].unitID) } == true)
    }
}
