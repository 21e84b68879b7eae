import LiftCore

/// A simulated elevator's physics and usage, one step per simulated second. Pure: randomness comes from the
/// generator passed in, so a seed gives the same run every time.
///
/// Figures follow the domain notes' "physical ranges for simulators": 1.0 m/s rated speed, about 3 s door
/// closing, ±10 mm stopping error, 50–200 trips a day with morning and evening peaks, motor winding 30–85 °C.
public struct ElevatorModel: Sendable, Hashable {
    public var floors: Int
    public var floor = 1
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
    /// Slow wear being simulated, and for how long it has been going on (days).
    public var wear = Wear()
    var wearDays = 0.0
    /// The car is stuck (an entrapment): it makes no trips and reports itself occupied.
    public var stuck = false
    /// The mode the controller reports (a maintenance visit, an inspection).
    public var mode: ServiceMode = .normal
    /// The car runs on the terminal's battery (mains lost).
    public var onBattery = false

    public init(floors: Int) { self.floors = floors }

    /// Trips a 6–7 storey retrofit makes an hour, by local hour of day (peaks 06–10 and 18–22; domain notes):
    /// about 125 a day.
    public static func tripsPerHour(atHour hour: Int) -> Double {
        switch hour {
        case 6..<10, 18..<22: 14
        case 10..<18: 6
        case 22..<24, 0..<1: 2
        default: 0.5
        }
    }

    /// Advances one simulated second. `hour` is the local hour of day.
    public mutating func step(hour: Int, using generator: inout some RandomNumberGenerator) {
        if wear.isActive { wearDays += 1.0 / 86_400 }
        if stuck || mode != .normal || onBattery {
            target = nil
            motorTempC += -0.02 * (motorTempC - 30)
            return
        }
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
    public func sample(seq: UInt64, ts: Int64) -> TelemetrySample {
        let moving = target != nil && doorSecondsLeft == 0
        // Rope stretch or brake wear: the car stops a little lower (or higher) every day.
        let levelError = lastLevelErrorMm + wear.levelErrorMmPerDay * wearDays
        let vibration = (moving ? 12.0 : 2.0) * (1 + wear.vibrationRisePerDay * wearDays)
        return TelemetrySample(
            seq: seq, ts: ts, floor: floor,
            direction: moving ? (target! > floor ? .up : .down) : .idle,
            speed: moving ? 1.0 : 0, loadKg: stuck ? max(loadKg, 140) : loadKg,
            door: doorSecondsLeft > 0 ? (doorSecondsLeft > 2 ? .open : .closing) : .closed,
            mode: mode, occupied: stuck || loadKg > 0,
            motorTempC: ((motorTempC + wear.motorTempCPerDay * wearDays) * 10).rounded() / 10, cabinTempC: 22,
            vibrationMg: (vibration * 10).rounded() / 10, levelErrorMm: levelError.rounded(),
            doorCloseMs: (lastDoorCloseMs + wear.doorCloseMsPerDay * wearDays).rounded(), power: onBattery ? .battery : .mains)
    }

    public func stats(seq: UInt64, ts: Int64) -> CounterStats {
        CounterStats(seq: seq, ts: ts, trips: trips, doorCycles: doorCycles, runHours: (runSeconds / 36).rounded() / 100)
    }
}

/// Slow wear of an elevator, as rates per simulated day: what LiftWatch's trend signals should catch.
public struct Wear: Sendable, Hashable, Codable {
    /// Door operator slowing: milliseconds added to the closing time per day.
    public var doorCloseMsPerDay = 0.0
    /// Stopping error drifting: an offset in millimetres added per day (negative: the car stops lower).
    public var levelErrorMmPerDay = 0.0
    /// Vibration rising: fraction of the normal level added per day.
    public var vibrationRisePerDay = 0.0
    /// Motor running hotter at the same load: °C per day.
    public var motorTempCPerDay = 0.0

    public init(doorCloseMsPerDay: Double = 0, levelErrorMmPerDay: Double = 0, vibrationRisePerDay: Double = 0, motorTempCPerDay: Double = 0) {
        self.doorCloseMsPerDay = doorCloseMsPerDay
        self.levelErrorMmPerDay = levelErrorMmPerDay
        self.vibrationRisePerDay = vibrationRisePerDay
        self.motorTempCPerDay = motorTempCPerDay
    }

    var isActive: Bool { doorCloseMsPerDay != 0 || levelErrorMmPerDay != 0 || vibrationRisePerDay != 0 || motorTempCPerDay != 0 }

    enum CodingKeys: String, CodingKey {
        case doorCloseMsPerDay = "door_close_ms_per_day", levelErrorMmPerDay = "level_error_mm_per_day"
        case vibrationRisePerDay = "vibration_rise_per_day", motorTempCPerDay = "motor_temp_c_per_day"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        doorCloseMsPerDay = try c.decodeIfPresent(Double.self, forKey: .doorCloseMsPerDay) ?? 0
        levelErrorMmPerDay = try c.decodeIfPresent(Double.self, forKey: .levelErrorMmPerDay) ?? 0
        vibrationRisePerDay = try c.decodeIfPresent(Double.self, forKey: .vibrationRisePerDay) ?? 0
        motorTempCPerDay = try c.decodeIfPresent(Double.self, forKey: .motorTempCPerDay) ?? 0
    }
}
