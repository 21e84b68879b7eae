import Foundation
import Hummingbird
import HummingbirdTesting
import LiftCore
import LiftStore
import Testing
@testable import LiftAPI

/// Issue 24 item 1: five levels of places, scopes and filters at every level, and the officer role.
@Suite("Places five levels deep, and the officer role")
struct PlacesTests {
    /// The fixture with U1 in community 430102001001 (street 430102001) and U2 in 430102002001, and an officer and a
    /// regulator of street 430102001.
    func fixture() throws -> APIFixture {
        var fixture = try APIFixture()
        for (unit, area) in [("U1", "430102001001"), ("U2", "430102002001")] {
            var record = try #require(try fixture.database.unit(unit))
            record.areaCode = area
            record.estateID = "EST-\(unit)"
            record.households = 12
            try fixture.database.upsertUnit(record, at: APIFixture.now, by: "test")
        }
        var random = SplitMix64(seed: 7)
        for (name, role) in [("officer", Role.officer), ("street-regulator", .regulator)] {
            fixture.tokens[name] = try fixture.database.createToken(
                role: role, regionPrefix: "430102001", label: name, at: 0, by: "test", using: &random).token
        }
        return fixture
    }

    @Test("place codes have five levels, each inside the one above")
    func placeCodes() {
        #expect(PlaceCode("43")?.level == .province)
        #expect(PlaceCode("4301")?.level == .city)
        #expect(PlaceCode("430102")?.level == .district)
        #expect(PlaceCode("430102001")?.level == .street)
        #expect(PlaceCode("430102001001")?.level == .community)
        for bad in ["4", "43010", "4301020", "43010200100", "4301020010011", "43a102", ""] { #expect(PlaceCode(bad) == nil, "\(bad)") }
        let community = PlaceCode("430102001001")!
        #expect(community.ancestor(at: .street)?.code == "430102001" && community.region == "430102")
        #expect(PlaceCode("430102001")!.contains("430102001001") && !PlaceCode("430102001")!.contains("430102002001"))
        #expect(Identifier.isValidAreaCode("430102001", in: "430102") && !Identifier.isValidAreaCode("430103001", in: "430102"))
        #expect(!Identifier.isValidAreaCode("4301", in: "430102"), "a city code is not an area code")
    }

    @Test("a street's regulator and officer read only the street's units, elevators and tickets")
    func streetScope() async throws {
        let fixture = try fixture()
        try await fixture.application.test(.router) { client in
            for who in ["officer", "street-regulator"] {
                let units = try await client.call(.get, "/api/v1/units", fixture.headers(who))
                #expect(units.0 == .ok)
                #expect((units.1?["items"] as? [[String: Any]])?.map { $0["unit_id"] as? String } == ["U1"], "\(who)")
                let elevators = try await client.call(.get, "/api/v1/elevators", fixture.headers(who))
                #expect((elevators.1?["items"] as? [[String: Any]])?.map { $0["elevator_id"] as? String } == ["E1"], "\(who)")
                let tickets = try await client.call(.get, "/api/v1/tickets", fixture.headers(who))
                let ticketElevators = Set(((tickets.1?["items"] as? [[String: Any]]) ?? []).compactMap { $0["elevator_id"] as? String })
                #expect(ticketElevators == ["E1"], "\(who)")
                #expect(try await client.call(.get, "/api/v1/elevators/E2", fixture.headers(who)).0 == .forbidden)
                #expect(try await client.call(.get, "/api/v1/units?region=430102", fixture.headers(who)).0 == .forbidden, "wider than the scope")
            }
            // Any level filters for an administrator too.
            let community = try await client.call(.get, "/api/v1/units?region=430102002001", fixture.headers("admin"))
            #expect((community.1?["items"] as? [[String: Any]])?.map { $0["unit_id"] as? String } == ["U2"])
            let unit = try await client.call(.get, "/api/v1/units/U1", fixture.headers("admin"))
            #expect(unit.1?["area_code"] as? String == "430102001001" && unit.1?["estate_id"] as? String == "EST-U1" && unit.1?["households"] as? Int == 12)
            // The map's units carry their estate's id, which the estate filter matches on (names repeat in a city).
            let map = try await client.call(.get, "/api/v1/map?zoom=16&bbox=-90,-180,90,180", fixture.headers("admin"))
            #expect(map.0 == .ok)
            #expect(Self.estateIDs(map.1) == ["EST-U1", "EST-U2"])
        }
    }

    static func estateIDs(_ json: [String: Any]?) -> [String] {
        ((json?["units"] as? [[String: Any]]) ?? []).compactMap { $0["estate_id"] as? String }.sorted()
    }

    @Test("an officer reads tickets and never moves them")
    func officerDoesNotActOnTickets() async throws {
        let fixture = try fixture()
        let id = try #require(fixture.ticketIDs["R2"])
        try await fixture.application.test(.router) { client in
            #expect(try await client.call(.get, "/api/v1/tickets/\(id)", fixture.headers("officer")).0 == .ok)
            let acted = try await client.call(.post, "/api/v1/tickets/\(id)/actions", fixture.headers("officer"), body: #"{"action":"close","note":"x"}"#)
            #expect(acted.0 == .forbidden)
            #expect(((acted.1?["error"] as? [String: Any])?["message"] as? String)?.contains("officers read tickets") == true)
        }
    }

    @Test("moving a unit to another street moves its elevator and tickets out of the old street's scope")
    func areaChangeMovesScope() async throws {
        let fixture = try fixture()
        try await fixture.application.test(.router) { client in
            let moved = try await client.call(.put, "/api/v1/units/U1", fixture.headers("admin"), body: #"{"region":"430102","area_code":"430102002002"}"#)
            #expect(moved.0 == .ok, "\(moved.2)")
            #expect(moved.1?["estate_id"] as? String == "EST-U1", "a field left out keeps its value")
            #expect(try await client.call(.get, "/api/v1/elevators/E1", fixture.headers("officer")).0 == .forbidden)
            let tickets = try await client.call(.get, "/api/v1/tickets", fixture.headers("officer"))
            #expect((tickets.1?["items"] as? [[String: Any]])?.isEmpty == true)
            let bad = try await client.call(.put, "/api/v1/units/U1", fixture.headers("admin"), body: #"{"region":"430102","area_code":"430103001"}"#)
            #expect(bad.0 == .badRequest, "an area code outside the unit's region")
        }
        #expect(try fixture.database.elevator("E1")?.place == "430102002002")
        #expect(try fixture.database.tickets(TicketFilter(regionPrefix: "430102002002")).map(\.elevatorID).allSatisfy { $0 == "E1" })
        #expect(try !fixture.database.tickets(TicketFilter(regionPrefix: "430102002002")).isEmpty)
    }
}
