import Foundation
import LiftCore

/// One elevator's telemetry as a controller would send it every 10 s, for the storage benchmark: trips with
/// the day's rhythm (rush hours, quiet nights), doors opening at each stop, passengers' weight, a motor that
/// warms with use, a cabin that follows the day's and the year's temperature, and sensor noise at each
/// sensor's resolution (0.01 m/s, 1 kg, 0.1 °C, 0.1 mg, 0.1 mm, 1 ms). Timestamps jitter by a few ms and
/// arrive 40–400 ms later. The same seed gives the same stream. Not for real databases.
public struct RealisticTelemetry: Sendable {
    public let interval: Int64
    private var random: SplitMix64
    private let floors: Int
    private var seq: UInt64 = 0
    private var floor = 1
    /// Remaining phases of the trip under way, each with its seconds left.
    private var phases: [(phase: Phase, seconds: Double)] = []
    private var passengers: [Double] = []
    private var motor = 25.0
    private var levelError = 0.0
    private var doorCloseMs = 2_900.0
    private var rhythm: Double

    private enum Phase { case doorsOpen, moving(from: Int, to: Int, total: Double), unload }

    public init(seed: UInt64, floors: Int = 7, interval: Int64 = 10_000) {
        random = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ 1)
        self.floors = floors
        self.interval = interval
        rhythm = 0.7 + 0.6 * Double(seed % 7) / 6
    }

    private mutating func uniform() -> Double { Double(random.next() >> 11) / Double(1 << 53) }

    private mutating func normal(_ sigma: Double) -> Double {
        let u = max(uniform(), 1e-12)
        return sigma * (-2 * log(u)).squareRoot() * cos(2 * .pi * uniform())
    }

    private static func round(_ value: Double, _ decimals: Double) -> Double { (value * decimals).rounded() / decimals }

    /// Trips per hour at a Beijing-time hour of the day.
    private func tripsPerHour(_ hour: Int) -> Double {
        let base: Double = switch hour {
        case 0..<6: 0.5
        case 6..<7: 6
        case 7..<9: 28
        case 9..<11: 10
        case 11..<14: 16
        case 14..<17: 9
        case 17..<20: 26
        case 20..<23: 10
        default: 3
        }
        return base * rhythm
    }

    /// The sample due at `slot` × interval after `start` (epoch ms).
    public mutating func next(start: Int64, slot: Int64) -> StoredSample {
        let nominal = start + slot * interval
        let hour = Int(((nominal / 3_600_000) + 8) % 24)
        let dayOfYear = Double((nominal / 86_400_000) % 365)
        seq += 1
        // Advance the trip by one interval; an idle car may be called.
        var elapsed = Double(interval) / 1_000
        var direction = Direction.idle
        var speed = 0.0
        var doorOpen = false
        var moved = false
        while elapsed > 0 {
            guard !phases.isEmpty else {
                if uniform() < tripsPerHour(hour) * elapsed / 3_600 { startTrip() } else { break }
                continue
            }
            let used = min(elapsed, phases[0].seconds)
            phases[0].seconds -= used
            elapsed -= used
            if phases[0].seconds <= 0 {
                switch phases[0].phase {
                case .doorsOpen:
                    doorCloseMs = 2_900 + normal(80).rounded()
                case .moving(_, let to, _):
                    floor = to
                    levelError = Self.round(normal(2.5), 10)
                case .unload:
                    passengers.removeAll()
                    doorCloseMs = 2_900 + normal(80).rounded()
                }
                phases.removeFirst()
            }
        }
        if let current = phases.first {
            switch current.phase {
            case .doorsOpen, .unload:
                doorOpen = true
            case .moving(let from, let to, let total):
                moved = true
                direction = to > from ? .up : .down
                let done = total - current.seconds
                let ramp = min(done, current.seconds, 2) / 2
                speed = max(0, Self.round((1.0 + normal(0.012)) * ramp, 100))
                floor = from + Int((Double(to - from) * done / total).rounded())
            }
        }
        let load = passengers.reduce(0, +)
        let usage = moved ? 1.0 : (phases.isEmpty ? 0 : 0.3)
        let ambient = 18 + 8 * sin(2 * .pi * (dayOfYear - 110) / 365) + 3 * sin(2 * .pi * Double(hour - 9) / 24)
        motor += (ambient + 12 + 30 * usage - motor) / 60
        let sample = TelemetrySample(
            seq: seq, ts: nominal + Int64(normal(6).rounded()),
            floor: floor, direction: direction, speed: speed, loadKg: max(0, (load + normal(1.5)).rounded()),
            door: doorOpen ? .open : .closed, mode: .normal, occupied: !passengers.isEmpty,
            motorTempC: Self.round(motor + normal(0.12), 10), cabinTempC: Self.round(ambient + 2 + normal(0.08), 10),
            vibrationMg: Self.round(moved ? 16 + normal(3) : 1.2 + abs(normal(0.4)), 10),
            levelErrorMm: levelError, doorCloseMs: doorCloseMs, power: .mains)
        return StoredSample(sample: sample, receivedAt: sample.ts + 40 + Int64(-120 * log(max(uniform(), 1e-9))))
    }

    private mutating func startTrip() {
        var target = floor
        while target == floor { target = 1 + Int(random.next() % UInt64(floors)) }
        let boarding = 1 + Int(random.next() % 3)
        for _ in 0..<boarding { passengers.append(55 + 30 * uniform()) }
        let travel = Double(abs(target - floor)) * 3 / 1.0 + 4
        phases = [(.doorsOpen, 8), (.moving(from: floor, to: target, total: travel), travel), (.unload, 8)]
    }
}
