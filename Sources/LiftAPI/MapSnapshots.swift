import Foundation
import LiftCore
import LiftStore
import Synchronization

/// What the map reads for every pan and zoom, kept a little while: the units counted per place (until the registry
/// changes) and the health of a scope's elevators in service (for `healthLifetimeMs`). A province's map then costs
/// a lookup instead of counting 146,000 units and assessing 6,000 elevators each time. At most `capacity` entries
/// of each kind; past that the oldest go.
final class MapSnapshots: Sendable {
    struct GroupKey: Hashable { var registryVersion: Int64; var level: UnitMap.Level; var filter: UnitMap.Filter }
    struct Health: Sendable {
        var at: Int64
        var elevators: [ElevatorRecord]
        var unitHealth: [String: LiftCore.Health.State]
    }

    static let capacity = 64
    let healthLifetimeMs: Int64
    private let groups = Mutex<[(GroupKey, [UnitMap.Group])]>([])
    private let healths = Mutex<[String: Health]>([:])
    private let outlines = Mutex<[String: Data]>([:])

    init(healthLifetimeMs: Int64 = 15_000) {
        self.healthLifetimeMs = healthLifetimeMs
    }

    func groups(_ key: GroupKey, compute: () throws -> [UnitMap.Group]) rethrows -> [UnitMap.Group] {
        if let hit = groups.withLock({ list in list.first { $0.0 == key }?.1 }) { return hit }
        let value = try compute()
        groups.withLock { list in
            list.removeAll { $0.0.registryVersion != key.registryVersion || $0.0 == key }
            if list.count >= Self.capacity { list.removeFirst(list.count - Self.capacity + 1) }
            list.append((key, value))
        }
        return value
    }

    func health(scope: String, now: Int64, compute: () throws -> Health) rethrows -> Health {
        if let hit = healths.withLock({ $0[scope] }), now - hit.at < healthLifetimeMs, hit.at <= now { return hit }
        let value = try compute()
        healths.withLock { map in
            if map.count >= Self.capacity { map.removeAll() }
            map[scope] = value
        }
        return value
    }

    /// The outlines file at `path` cut to `scope`, read once (the files ship with LiftWatch and do not change while it runs).
    func outlines(path: String, scope: String, compute: () -> Data) -> Data {
        let key = path + "|" + scope
        if let hit = outlines.withLock({ $0[key] }) { return hit }
        let value = compute()
        outlines.withLock { map in
            if map.count >= Self.capacity { map.removeAll() }
            map[key] = value
        }
        return value
    }

    var counts: (groups: Int, healths: Int) { (groups.withLock(\.count), healths.withLock(\.count)) }
}
