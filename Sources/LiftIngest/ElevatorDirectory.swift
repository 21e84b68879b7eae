import LiftCore
import LiftStore

/// The registered elevators as ingestion needs them: compact key, region and fault-code platform.
///
/// A snapshot of the registry, reloaded when an unknown elevator shows up (at most once per
/// `reloadIntervalMs`), so that an elevator registered while LiftWatch runs is accepted soon after.
struct ElevatorDirectory {
    struct Entry: Sendable, Hashable {
        var key: Int64
        var elevatorID: String
        var region: String
        var platform: String
    }

    private var byID: [String: Entry] = [:]
    private var byKey: [Int64: Entry] = [:]
    private var lastReload: Int64 = .min
    let reloadIntervalMs: Int64

    init(reloadIntervalMs: Int64 = 5_000) {
        self.reloadIntervalMs = reloadIntervalMs
    }

    mutating func reload(from database: LiftDatabase, now: Int64) throws {
        let elevators = try database.elevators()
        byID = Dictionary(uniqueKeysWithValues: elevators.map {
            ($0.elevatorID, Entry(key: $0.key, elevatorID: $0.elevatorID, region: $0.region, platform: $0.platform))
        })
        byKey = Dictionary(uniqueKeysWithValues: byID.values.map { ($0.key, $0) })
        lastReload = now
    }

    /// The entry for an elevator, reloading the registry once if it is unknown and the last reload is old.
    mutating func lookup(_ elevatorID: String, database: LiftDatabase, now: Int64) -> Entry? {
        if let entry = byID[elevatorID] { return entry }
        guard now - lastReload >= reloadIntervalMs else { return nil }
        try? reload(from: database, now: now)
        return byID[elevatorID]
    }

    func entry(forKey key: Int64) -> Entry? { byKey[key] }
}
