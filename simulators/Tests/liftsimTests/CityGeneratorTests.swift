import LiftCore
import Testing
@testable import liftsim

@Suite("Generated city registry")
struct CityGeneratorTests {
    static let today = CivilDate("2026-11-25")!

    @Test("the same seed gives the same files; another seed another city")
    func deterministic() {
        let a = CityGenerator(unitCount: 500, seed: 7, today: Self.today)
        let b = CityGenerator(unitCount: 500, seed: 7, today: Self.today)
        #expect(a.unitsCSV == b.unitsCSV && a.elevatorsCSV == b.elevatorsCSV)
        #expect(CityGenerator(unitCount: 500, seed: 8, today: Self.today).unitsCSV != a.unitsCSV)
    }

    @Test("ratings follow the Hunan survey, elevators stand on suitable and difficult units, coordinates inside their district")
    func realistic() throws {
        let city = CityGenerator(unitCount: 10_000, seed: 1, today: Self.today)
        let share = { (rating: SurveyRating) in Double(city.units.filter { $0.rating == rating }.count) / 10_000 }
        #expect(abs(share(.suitable) - 0.17) < 0.02 && abs(share(.difficult) - 0.44) < 0.02 && abs(share(.unsuitable) - 0.39) < 0.02)
        let units = Dictionary(uniqueKeysWithValues: city.units.map { ($0.unitID, $0) })
        #expect(city.elevators.count > 100)
        #expect(city.elevators.allSatisfy { units[$0.unitID]?.rating != .unsuitable })
        #expect(Set(city.elevators.map(\.stage)).isSuperset(of: [.accepted, .registered, .inService, .suspended, .decommissioned]))
        for unit in city.units {
            let district = try #require(CityGenerator.changsha.first { $0.region == unit.region })
            #expect((district.south...district.north).contains(unit.lat) && (district.west...district.east).contains(unit.lon))
        }
        let inService = city.elevators.filter { $0.stage == .inService }
        #expect(inService.allSatisfy { $0.commissionedOn != nil && $0.commissionedOn! < Self.today })
        #expect(Set(inService.compactMap { $0.commissionedOn?.year }).count >= 7, "ages spread over seven years")
    }
}
