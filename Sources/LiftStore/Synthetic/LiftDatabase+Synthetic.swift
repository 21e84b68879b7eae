import Foundation
import GRDB

extension LiftDatabase {
    /// Fills the rollup tables as `elevators` × the days in `[from, to)` of telemetry would, with made-up
    /// values, registering elevators `SIM-0001`…: the query benchmark's data. Not for real databases.
    public func fillSyntheticRollups(elevators: Int, from: Int64, to: Int64, progress: ((Int) -> Void)? = nil) throws {
        for elevator in 1...elevators {
            let id = "SIM-\(String(format: "%04d", elevator))"
            let key = try register(ElevatorRegistration(elevatorID: id, region: "430102"), at: from)
            try write { db in
                let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO rollups(level, elevator, metric, bucket, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                let insertHours = try db.cachedStatement(sql: "INSERT OR REPLACE INTO rollup_hours(elevator, day, data) VALUES (?, ?, ?)")
                func aggregate(_ metric: Rollups.Metric, level: Int64) -> Aggregate {
                    let samples = Int(level / 10_000)
                    let base = Double(metric.rawValue * 10 + elevator % 7)
                    return Aggregate(min: base - 1, max: base + 1, sum: base * Double(samples), count: samples)
                }
                for level in Rollups.levels {
                    // Minute rows only for the last day, as the store keeps them a few days; hours packed per day.
                    var bucket = level == Rollups.minute ? to - Rollups.day : from
                    while bucket < to {
                        if level == Rollups.hour {
                            var day = HourRollupDay()
                            for hour in 0..<24 {
                                for metric in Rollups.Metric.allCases { day.hours[bucket + Int64(hour) * level, default: [:]][metric] = aggregate(metric, level: level) }
                            }
                            try insertHours.execute(arguments: [key, bucket / Self.dayMs, Data(HourRollupCodec.encode(day, dayStart: bucket))])
                            bucket += Rollups.day
                            continue
                        }
                        for metric in Rollups.Metric.allCases {
                            let a = aggregate(metric, level: level)
                            try insert.execute(arguments: [level, key, metric.rawValue, bucket, a.min, a.max, a.sum, a.count])
                        }
                        bucket += level
                    }
                }
            }
            if elevator % 100 == 0 { progress?(elevator) }
        }
    }
}
