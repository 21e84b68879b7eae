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
        /// Added to the controller's `seq` (a replaced terminal numbers from 1 again).
        var seqOffset: UInt64 = 0
    }

    private var byID: [String: Entry] = [:]
    private var byKey: [Int64: Entry] = [:]
    private var lastReload: Int64 = .min
    /// The registry version of the last reload.
    private(set) var version: Int64 = -1
    /// Elevators whose `seq` offset a reload changed (a replaced terminal), until `takeOffsetChanges()`: kept
    /// whichever reload saw them, so a lookup's reload cannot swallow them.
    private var offsetChanged: Set<Int64> = []
    private var lastVersionCheck: Int64 = 0
    let reloadIntervalMs: Int64

    /// Region prefix → platform for elevators that name none of their own (`default`); the longest prefix wins.
    let regionPlatforms: [String: String]

    init(reloadIntervalMs: Int64 = 5_000, regionPlatforms: [String: String] = [:]) {
        self.reloadIntervalMs = reloadIntervalMs
        self.regionPlatforms = regionPlatforms
    }

    /// The fault-code platform of an elevator: its own, else its region's, else `default`.
    func platform(of elevator: ElevatorRecord) -> String {
        guard elevator.platform == "default" else { return elevator.platform }
        return regionPlatforms.filter { elevator.region.hasPrefix($0.key) }.max { $0.key.count < $1.key.count }?.value ?? "default"
    }

    /// Reloads the registry. Elevators whose `seq` offset changed (a terminal was replaced) wait in
    /// `takeOffsetChanges()`.
    mutating func reload(from database: LiftDatabase, now: Int64) throws {
        // Read before the elevators (a change in between reloads again) and kept only once they are read: a
        // failed reload must not pass for the current version.
        let current = try database.registryVersion()
        let elevators = try database.elevators()
        version = current
        let before = byKey
        byID = Dictionary(uniqueKeysWithValues: elevators.map {
            ($0.elevatorID, Entry(key: $0.key, elevatorID: $0.elevatorID, region: $0.region, platform: platform(of: $0), seqOffset: UInt64(max(0, $0.seqOffset))))
        })
        byKey = Dictionary(uniqueKeysWithValues: byID.values.map { ($0.key, $0) })
        lastReload = now
        offsetChanged.formUnion(byKey.values.filter { entry in before[entry.key].map { $0.seqOffset != entry.seqOffset } ?? false }.map(\.key))
    }

    /// Whether a reload changed an elevator's `seq` offset since the last `takeOffsetChanges()`.
    var hasOffsetChanges: Bool { !offsetChanged.isEmpty }

    /// The elevators whose `seq` offset changed since the last call: their `seq` tracking starts afresh.
    mutating func takeOffsetChanges() -> [Int64] {
        defer { offsetChanged.removeAll() }
        return offsetChanged.sorted()
    }

    /// Reloads when the registry changed (checked at most once a second); returns `takeOffsetChanges()`.
    mutating func refreshIfChanged(from database: LiftDatabase, now: Int64) -> [Int64] {
        if now - lastVersionCheck >= 1_000 {
            lastVersionCheck = now
            if let current = try? database.registryVersion(), current != version { try? reload(from: database, now: now) }
        }
        return takeOffsetChanges()
    }

    /// The entry for an elevator, reloading the registry once if it is unknown and the last reload is old.
    mutating func lookup(_ elevatorID: String, database: LiftDatabase, now: Int64) -> Entry? {
        if let entry = byID[elevatorID] { return entry }
        // A registry change (one row to read) reloads at once: an elevator registered a moment ago is accepted.
        let changed = (try? database.registryVersion()).map { $0 != version } ?? false
        guard changed || now - lastReload >= reloadIntervalMs else { return nil }
        try? reload(from: database, now: now)
        return byID[elevatorID]
    }

    func entry(forKey key: Int64) -> Entry? { byKey[key] }
}
