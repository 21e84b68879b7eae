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
                for level in Rollups.levels {
                    // Minute rows only for the last day, to keep the fill quick; the queries read hours and days.
                    let start = level == Rollups.minute ? to - Rollups.day : from
                    var bucket = start
                    while bucket < to {
                        let samples = Int(level / 1_000)
                        for metric in Rollups.Metric.allCases {
                            let base = Double(metric.rawValue * 10 + elevator % 7)
                            try insert.execute(arguments: [level, key, metric.rawValue, bucket, base - 1, base + 1, base * Double(samples), samples])
                        }
                        bucket += level
                    }
                }
            }
            if elevator % 100 == 0 { progress?(elevator) }
        }
    }
}
