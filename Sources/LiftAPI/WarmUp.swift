import LiftCore
import LiftStore

extension APIContext {
    /// Reads once what the first visitors read: for all regions and for each province in the registry, the
    /// overview's figures and 12-month trend and the map's counts by city (kept in `mapSnapshots`). SQLite's
    /// caches start cold: a province's first overview took 250 ms, the next ones 190. Returns the scopes warmed.
    public func warmUp() async throws -> [String] {
        let root = UnitMap.Filter(placePrefix: "")
        let version = try database.registryVersion()
        let cities = try mapSnapshots.groups(.init(registryVersion: version, level: .city, filter: root)) { try database.unitMap.groups(.city, root) }
        let provinces = Set(cities.map { String($0.code.prefix(2)) }).sorted()
        for province in provinces {
            let filter = UnitMap.Filter(placePrefix: province)
            _ = try mapSnapshots.groups(.init(registryVersion: version, level: .city, filter: filter)) { try database.unitMap.groups(.city, filter) }
        }
        for scope in [""] + provinces {
            try Task.checkCancellation()
            let caller = scope.isEmpty ? Principal(tokenID: 0, role: .admin) : Principal(tokenID: 0, role: .regulator, regionPrefix: scope)
            _ = try await OverviewPage(context: self, caller: caller, t: Localizer(.zh)).render()
        }
        return [""] + provinces
    }
}
