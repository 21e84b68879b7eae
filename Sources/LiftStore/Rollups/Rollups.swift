import LiftCore

/// Rollup levels and the metrics they cover.
public enum Rollups {
    public static let minute: Int64 = 60_000
    public static let hour: Int64 = 3_600_000
    public static let day: Int64 = 86_400_000
    public static let levels = [minute, hour, day]

    /// The step of a series asked for without one: about 200 points, in whole minutes; in whole hours when that
    /// makes an hour or more, or when the range starts before the minute rollups kept (`minuteRollupsFrom`).
    public static func defaultStep(from: Int64, to: Int64, minuteRollupsFrom: Int64?) -> Int64 {
        let span = to.subtractingReportingOverflow(from)
        guard !span.overflow else { return day }
        let target = span.partialValue / 200
        if target >= hour || from < (minuteRollupsFrom ?? .min) { return max(hour, target / hour * hour) }
        return max(minute, target / minute * minute)
    }

    /// Start of the bucket of width `level` holding `ts` (UTC).
    public static func floor(_ ts: Int64, to level: Int64) -> Int64 {
        ts >= 0 ? ts / level * level : ((ts - level + 1) / level) * level
    }

    /// The numeric telemetry metrics that are rolled up, with their stable codes.
    public enum Metric: Int, Sendable, CaseIterable, Codable {
        case speed = 1, loadKg, motorTempC, cabinTempC, vibrationMg, levelErrorMm, doorCloseMs

        /// The contract's field name (`motor_temp_c`).
        public var name: String {
            switch self {
            case .speed: "speed"
            case .loadKg: "load_kg"
            case .motorTempC: "motor_temp_c"
            case .cabinTempC: "cabin_temp_c"
            case .vibrationMg: "vibration_mg"
            case .levelErrorMm: "level_error_mm"
            case .doorCloseMs: "door_close_ms"
            }
        }

        /// The column of the hot `telemetry` table.
        var column: String { name }

        public init?(name: String) {
            guard let metric = Metric.allCases.first(where: { $0.name == name }) else { return nil }
            self = metric
        }

        public func value(of sample: TelemetrySample) -> Double? {
            switch self {
            case .speed: sample.speed
            case .loadKg: sample.loadKg
            case .motorTempC: sample.motorTempC
            case .cabinTempC: sample.cabinTempC
            case .vibrationMg: sample.vibrationMg
            case .levelErrorMm: sample.levelErrorMm
            case .doorCloseMs: sample.doorCloseMs
            }
        }
    }
}

/// One step of an aggregated series: min, max, mean and count of a metric over `[start, start + step)`.
public struct SeriesPoint: Sendable, Hashable, Codable {
    public var start: Int64
    public var min: Double
    public var max: Double
    public var mean: Double
    public var count: Int

    public init(start: Int64, min: Double, max: Double, mean: Double, count: Int) {
        self.start = start
        self.min = min
        self.max = max
        self.mean = mean
        self.count = count
    }
}

/// Running min/max/sum/count.
struct Aggregate: Equatable {
    var min = Double.infinity
    var max = -Double.infinity
    var sum = 0.0
    var count = 0

    mutating func add(_ value: Double) {
        min = Swift.min(min, value)
        max = Swift.max(max, value)
        sum += value
        count += 1
    }

    mutating func merge(min: Double, max: Double, sum: Double, count: Int) {
        self.min = Swift.min(self.min, min)
        self.max = Swift.max(self.max, max)
        self.sum += sum
        self.count += count
    }
}
