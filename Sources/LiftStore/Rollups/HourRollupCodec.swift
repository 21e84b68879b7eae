/// One elevator's hour rollups of one UTC day: per hour that had samples, min, max, sum and count per metric.
struct HourRollupDay: Equatable {
    /// Keyed by the hour's start (epoch ms); an hour without samples is absent.
    var hours: [Int64: [Rollups.Metric: Aggregate]] = [:]

    /// The day's aggregate per metric, merged over its hours.
    var day: [Rollups.Metric: Aggregate] {
        var result: [Rollups.Metric: Aggregate] = [:]
        // In time order, so that the same hours give the same sums to the bit.
        for hour in hours.keys.sorted() {
            for (metric, aggregate) in hours[hour]! {
                result[metric, default: Aggregate()].merge(min: aggregate.min, max: aggregate.max, sum: aggregate.sum, count: aggregate.count)
            }
        }
        return result
    }
}

/// Packs an elevator-day of hour rollups into one blob, and back: counts, minima and maxima bit-exact, sums
/// to within floating-point noise (see `tidy`).
///
/// As a table row each hour and metric cost about 45 bytes; packed, a day's 24 × 7 aggregates take a
/// fraction of that. Each metric's counts, minima, maxima and sums are four columns of 24 optional values,
/// written with `TelemetryChunkCodec`'s column encoding (presence bitmap, scaled integers or Gorilla XOR).
enum HourRollupCodec {
    static let formatVersion: UInt64 = 1
    static let hoursPerDay = 24

    static func encode(_ day: HourRollupDay, dayStart: Int64) -> [UInt8] {
        var writer = BitWriter(capacity: 1_024)
        writer.write(formatVersion, bits: 8)
        for metric in Rollups.Metric.allCases {
            let aggregates: [Aggregate?] = (0..<hoursPerDay).map { hour in
                day.hours[dayStart + Int64(hour) * Rollups.hour]?[metric].flatMap { $0.count > 0 ? $0 : nil }
            }
            TelemetryChunkCodec.writeDoubles(aggregates.map { $0.map { Double($0.count) } }, into: &writer)
            TelemetryChunkCodec.writeDoubles(aggregates.map { $0?.min }, into: &writer)
            TelemetryChunkCodec.writeDoubles(aggregates.map { $0?.max }, into: &writer)
            TelemetryChunkCodec.writeDoubles(aggregates.map { $0.map { tidy($0.sum) } }, into: &writer)
        }
        return writer.bytes
    }

    /// A sum of values of a fixed resolution (0.1 °C) is a decimal number but for the rounding of each addition,
    /// which makes it cost 8 bytes as a double. Rounded to 3 decimals when that moves it by no more than such
    /// noise (1e-12 of it), it packs as a small integer; any other sum is kept as it is.
    static func tidy(_ sum: Double) -> Double {
        let scaled = (sum * 1_000).rounded()
        guard scaled.magnitude < 1e15 else { return sum }
        let tidy = scaled / 1_000
        return (tidy - sum).magnitude <= sum.magnitude * 1e-12 ? tidy : sum
    }

    /// - Throws: `StoreError` when the bytes are not an hour-rollup day of a known format.
    static func decode(_ bytes: [UInt8], dayStart: Int64) throws -> HourRollupDay {
        guard let version = bytes.first, UInt64(version) == formatVersion else {
            throw StoreError(operation: "decode hour rollups", message: "unknown format \(bytes.first.map(String.init) ?? "(empty)")")
        }
        var reader = BitReader(bytes)
        var day = HourRollupDay()
        do throws(BitReader.Failure) {
            _ = try reader.read(bits: 8)
            for metric in Rollups.Metric.allCases {
                let counts = try TelemetryChunkCodec.readDoubles(hoursPerDay, from: &reader)
                let minima = try TelemetryChunkCodec.readDoubles(hoursPerDay, from: &reader)
                let maxima = try TelemetryChunkCodec.readDoubles(hoursPerDay, from: &reader)
                let sums = try TelemetryChunkCodec.readDoubles(hoursPerDay, from: &reader)
                for hour in 0..<hoursPerDay {
                    guard let count = counts[hour], let min = minima[hour], let max = maxima[hour], let sum = sums[hour] else { continue }
                    guard let whole = Int(exactly: count), whole > 0 else { throw BitReader.Failure.truncated }
                    day.hours[dayStart + Int64(hour) * Rollups.hour, default: [:]][metric] = Aggregate(min: min, max: max, sum: sum, count: whole)
                }
            }
        } catch {
            throw StoreError(operation: "decode hour rollups", message: "blob is truncated or damaged")
        }
        return day
    }
}
