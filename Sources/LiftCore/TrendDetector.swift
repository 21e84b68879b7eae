/// A health signal LiftWatch watches for slow degradation (spec section 6).
public enum TrendSignal: String, Sendable, Hashable, Codable, CaseIterable {
    case doorCloseTime = "door_close_time"
    case stoppingError = "stopping_error"
    case motorTemperature = "motor_temperature"
    case vibration
    case doorFaults = "door_faults"
}

/// One degrading signal, with the figures that show it.
public struct TrendFinding: Sendable, Hashable, Codable, CustomStringConvertible {
    public var signal: TrendSignal
    public var recent: Double
    public var baseline: Double
    public var description: String

    public init(signal: TrendSignal, recent: Double, baseline: Double, description: String) {
        self.signal = signal
        self.recent = recent
        self.baseline = baseline
        self.description = description
    }
}

/// Compares a recent window with a longer baseline before it. Thresholds come from `config/health.json`. Pure.
public struct TrendDetector: Sendable {
    /// The thresholds (all configurable).
    public struct Thresholds: Sendable, Hashable, Codable {
        public var recentDays = 7
        public var baselineDays = 30
        /// Each window needs at least this many samples for a comparison.
        public var minimumSamples = 50
        /// Door closing time: recent mean at least this fraction above the baseline.
        public var doorCloseRiseRatio = 0.15
        /// Stopping error: mean |error| grown by at least this many millimetres.
        public var stoppingErrorDriftMm = 3.0
        /// Motor temperature risen by at least this many °C while the mean load differs by at most `equalLoadTolerance`.
        public var motorTempRiseC = 8.0
        public var equalLoadTolerance = 0.15
        /// Vibration: recent mean at least this fraction above the baseline.
        public var vibrationRiseRatio = 0.25
        /// Door faults: at least this many within `recentDays`.
        public var doorFaultsRepeat = 3
        public init() {}
    }

    /// Mean and sample count of a metric over a window.
    public struct Window: Sendable, Hashable {
        public var mean: Double
        public var count: Int
        public init(mean: Double, count: Int) {
            self.mean = mean
            self.count = count
        }
    }

    /// What the detector reads for one elevator: per metric, the recent and the baseline window.
    public struct Inputs: Sendable {
        public var doorCloseMs: (recent: Window?, baseline: Window?)
        /// Mean of |stopping error| per window.
        public var absoluteStoppingErrorMm: (recent: Window?, baseline: Window?)
        public var motorTempC: (recent: Window?, baseline: Window?)
        public var loadKg: (recent: Window?, baseline: Window?)
        public var vibrationMg: (recent: Window?, baseline: Window?)
        public var recentDoorFaults: Int
        public init(
            doorCloseMs: (recent: Window?, baseline: Window?) = (nil, nil), absoluteStoppingErrorMm: (recent: Window?, baseline: Window?) = (nil, nil),
            motorTempC: (recent: Window?, baseline: Window?) = (nil, nil), loadKg: (recent: Window?, baseline: Window?) = (nil, nil),
            vibrationMg: (recent: Window?, baseline: Window?) = (nil, nil), recentDoorFaults: Int = 0
        ) {
            self.doorCloseMs = doorCloseMs
            self.absoluteStoppingErrorMm = absoluteStoppingErrorMm
            self.motorTempC = motorTempC
            self.loadKg = loadKg
            self.vibrationMg = vibrationMg
            self.recentDoorFaults = recentDoorFaults
        }
    }

    public var thresholds: Thresholds

    public init(thresholds: Thresholds = Thresholds()) { self.thresholds = thresholds }

    public func evaluate(_ inputs: Inputs) -> [TrendFinding] {
        var findings: [TrendFinding] = []
        func both(_ pair: (recent: Window?, baseline: Window?)) -> (Double, Double)? {
            guard let recent = pair.recent, let baseline = pair.baseline,
                recent.count >= thresholds.minimumSamples, baseline.count >= thresholds.minimumSamples
            else { return nil }
            return (recent.mean, baseline.mean)
        }
        func percent(_ r: Double, _ b: Double) -> String { "\(Int(((r / b - 1) * 100).rounded())) %" }
        if let (r, b) = both(inputs.doorCloseMs), b > 0, r >= b * (1 + thresholds.doorCloseRiseRatio) {
            findings.append(TrendFinding(
                signal: .doorCloseTime, recent: r, baseline: b,
                description: "door-closing time rising: \(format(r / 1000, 2)) s over \(thresholds.recentDays) days against \(format(b / 1000, 2)) s before (+\(percent(r, b)))"))
        }
        if let (r, b) = both(inputs.absoluteStoppingErrorMm), r - b >= thresholds.stoppingErrorDriftMm {
            findings.append(TrendFinding(
                signal: .stoppingError, recent: r, baseline: b,
                description: "stopping error drifting: mean |error| \(format(r, 1)) mm against \(format(b, 1)) mm before"))
        }
        if let (r, b) = both(inputs.motorTempC), r - b >= thresholds.motorTempRiseC {
            let equalLoad: Bool
            if let (lr, lb) = both(inputs.loadKg), lb > 0 { equalLoad = abs(lr / lb - 1) <= thresholds.equalLoadTolerance } else { equalLoad = false }
            if equalLoad {
                findings.append(TrendFinding(
                    signal: .motorTemperature, recent: r, baseline: b,
                    description: "motor temperature rising at equal load: \(format(r, 1)) °C against \(format(b, 1)) °C before"))
            }
        }
        if let (r, b) = both(inputs.vibrationMg), b > 0, r >= b * (1 + thresholds.vibrationRiseRatio) {
            findings.append(TrendFinding(
                signal: .vibration, recent: r, baseline: b,
                description: "vibration rising: \(format(r, 1)) mg against \(format(b, 1)) mg before (+\(percent(r, b)))"))
        }
        if inputs.recentDoorFaults >= thresholds.doorFaultsRepeat {
            findings.append(TrendFinding(
                signal: .doorFaults, recent: Double(inputs.recentDoorFaults), baseline: Double(thresholds.doorFaultsRepeat),
                description: "door faults repeating: \(inputs.recentDoorFaults) in \(thresholds.recentDays) days"))
        }
        return findings
    }

    private func format(_ value: Double, _ digits: Int) -> String {
        let scale = [1.0, 10, 100, 1000][min(digits, 3)]
        let rounded = (value * scale).rounded() / scale
        return digits == 0 ? String(Int(rounded)) : String(rounded)
    }
}
