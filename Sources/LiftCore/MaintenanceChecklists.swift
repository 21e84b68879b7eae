import Foundation

/// The items of each maintenance level, per elevator kind, read from `config/maintenance-checklists.json`.
///
/// A level's checklist is its own items after those of every level below it.
public struct MaintenanceChecklists: Sendable, Hashable {
    /// kind (`traction`) → level → the items that level adds.
    public var added: [String: [MaintenanceLevel: [String]]]

    public init(added: [String: [MaintenanceLevel: [String]]]) { self.added = added }

    /// Reads the JSON file: `{"traction": {"half_month": [...], "quarter": [...], ...}}`; keys starting with `_` are comments.
    public static func load(_ path: String) throws -> MaintenanceChecklists {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ChecklistError(path: path, message: "not a JSON object")
        }
        var added: [String: [MaintenanceLevel: [String]]] = [:]
        for (kind, value) in object where !kind.hasPrefix("_") {
            guard let levels = value as? [String: Any] else { throw ChecklistError(path: path, message: "\(kind) is not an object of levels") }
            for (name, items) in levels {
                guard let level = MaintenanceLevel(rawValue: name) else {
                    throw ChecklistError(path: path, message: "\(kind).\(name) is not a level (half_month, quarter, half_year, annual)")
                }
                guard let list = items as? [String] else { throw ChecklistError(path: path, message: "\(kind).\(name) is not a list of items") }
                added[kind, default: [:]][level] = list
            }
        }
        return MaintenanceChecklists(added: added)
    }

    /// The whole checklist of a visit of `level` on an elevator of `kind`.
    public func items(kind: String = "traction", level: MaintenanceLevel) -> [String] {
        MaintenanceLevel.allCases.filter { $0 <= level }.flatMap { added[kind]?[$0] ?? [] }
    }
}

/// A checklist file that cannot be used.
public struct ChecklistError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

extension TrendDetector.Thresholds {
    /// Reads thresholds from a JSON object with snake_case keys; missing keys keep their defaults.
    public static func load(_ path: String) throws -> TrendDetector.Thresholds {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ChecklistError(path: path, message: "not a JSON object")
        }
        var t = TrendDetector.Thresholds()
        func double(_ key: String) -> Double? { (o[key] as? NSNumber)?.doubleValue }
        func int(_ key: String) -> Int? { (o[key] as? NSNumber)?.intValue }
        if let v = int("recent_days") { t.recentDays = v }
        if let v = int("baseline_days") { t.baselineDays = v }
        if let v = int("minimum_samples") { t.minimumSamples = v }
        if let v = double("door_close_rise_ratio") { t.doorCloseRiseRatio = v }
        if let v = double("stopping_error_drift_mm") { t.stoppingErrorDriftMm = v }
        if let v = double("motor_temp_rise_c") { t.motorTempRiseC = v }
        if let v = double("equal_load_tolerance") { t.equalLoadTolerance = v }
        if let v = double("vibration_rise_ratio") { t.vibrationRiseRatio = v }
        if let v = int("door_faults_repeat") { t.doorFaultsRepeat = v }
        let known: Set = [
            "recent_days", "baseline_days", "minimum_samples", "door_close_rise_ratio", "stopping_error_drift_mm", "motor_temp_rise_c",
            "equal_load_tolerance", "vibration_rise_ratio", "door_faults_repeat",
        ]
        if let unknown = o.keys.first(where: { !$0.hasPrefix("_") && !known.contains($0) }) {
            throw ChecklistError(path: path, message: "unknown threshold \"\(unknown)\"")
        }
        return t
    }
}
