import LiftCore

/// A simulated elevator's physics and usage, one step per simulated second. Pure: randomness comes from the
/// generator passed in, so a seed gives the same run every time.
struct ElevatorModel: Sendable {
    var floors: Int
    var floor = 1
    var target: Int?
    var secondsToNextFloor = 0.0
    var doorSecondsLeft = 0
    var loadKg = 0.0
    var motorTempC = 32.0
    var trips: Int64 = 0
    var doorCycles: Int64 = 0
    var runSeconds = 0.0
    var lastLevelErrorMm = 0.0
    var lastDoorCloseMs = 3_000.0

    init(floors: Int) { self.floors = floors }

    /// Trips a 6–7 storey retrofit makes an hour, by hour of day (peaks 06–10 and 18–22; domain notes).
    static func tripsPerHour(atHour hour: Int) -> Double {
        switch hour {
        case 6..<10, 18..<22: 14
        case 10..<18: 6
        case 22..<24, 0..<1: 2
        default: 0.5
        }
    }

    /// Advances one simulated second.
    mutating func step(hour: Int, using generator: inout some RandomNumberGenerator) {
        if doorSecondsLeft > 0 {
            doorSecondsLeft -= 1
            if doorSecondsLeft == 0 {
                doorCycles += 1
                lastDoorCloseMs = 3_000 + Double.random(in: -150...150, using: &generator)
            }
        } else if let target {
            runSeconds += 1
            secondsToNextFloor -= 1
            if secondsToNextFloor <= 0 {
                floor += target > floor ? 1 : -1
                secondsToNextFloor = 3
                if floor == target {
                    self.target = nil
                    trips += 1
                    doorSecondsLeft = 6
                    lastLevelErrorMm = Double.random(in: -4...4, using: &generator).rounded()
                    loadKg = floor == 1 ? Double(Int.random(in: 1...4, using: &generator)) * 70 : 0
                }
            }
        } else if Double.random(in: 0..<1, using: &generator) < Self.tripsPerHour(atHour: hour) / 3600 {
            var destination = Int.random(in: 1...floors, using: &generator)
            if destination == floor { destination = floor == 1 ? floors : 1 }
            target = destination
            secondsToNextFloor = 3
            loadKg = Double(Int.random(in: 1...4, using: &generator)) * 70
        }
        // Winding temperature follows duty: warms while running, cools towards ambient at rest.
        motorTempC += target != nil ? 0.05 : -0.02 * (motorTempC - 30)
    }

    /// The telemetry sample describing the car now.
    func sample(seq: UInt64, ts: Int64) -> TelemetrySample {
        let moving = target != nil && doorSecondsLeft == 0
        return TelemetrySample(
            seq: seq, ts: ts, floor: floor,
            direction: moving ? (target! > floor ? .up : .down) : .idle,
            speed: moving ? 1.0 : 0, loadKg: loadKg,
            door: doorSecondsLeft > 0 ? (doorSecondsLeft > 2 ? .open : .closing) : .closed,
            mode: .normal, occupied: loadKg > 0,
            motorTempC: (motorTempC * 10).rounded() / 10, cabinTempC: 22,
            vibrationMg: moving ? 12 : 2, levelErrorMm: lastLevelErrorMm, doorCloseMs: lastDoorCloseMs, power: .mains)
    }

    func stats(seq: UInt64, ts: Int64) -> CounterStats {
        CounterStats(seq: seq, ts: ts, trips: trips, doorCycles: doorCycles, runHours: (runSeconds / 36).rounded() / 100)
    }
}
