import Foundation

/// Slows down repeated failed authentication from one address: after `freeFailures` failures within
/// `windowSeconds`, each further attempt from there waits `delayPerFailure` per failure beyond, up to `maximumDelay`.
actor AuthThrottle {
    let freeFailures: Int
    let windowSeconds: Double
    let delayPerFailure: Duration
    let maximumDelay: Duration
    private var failures: [String: [Date]] = [:]

    init(freeFailures: Int = 5, windowSeconds: Double = 60, delayPerFailure: Duration = .milliseconds(500), maximumDelay: Duration = .seconds(5)) {
        self.freeFailures = freeFailures
        self.windowSeconds = windowSeconds
        self.delayPerFailure = delayPerFailure
        self.maximumDelay = maximumDelay
    }

    /// How long a request from `address` should wait before being answered.
    func delay(for address: String) -> Duration {
        let recent = prune(address)
        let excess = recent - freeFailures
        guard excess > 0 else { return .zero }
        return min(maximumDelay, delayPerFailure * excess)
    }

    func recordFailure(_ address: String) {
        failures[address, default: []].append(Date())
        if failures.count > 10_000 { failures = failures.filter { !$0.value.isEmpty } }
    }

    func recordSuccess(_ address: String) { failures[address] = nil }

    private func prune(_ address: String) -> Int {
        let cutoff = Date().addingTimeInterval(-windowSeconds)
        failures[address] = failures[address]?.filter { $0 > cutoff }
        return failures[address]?.count ?? 0
    }
}
