import Foundation
import LiftCore
import LiftMQTT
import Logging

/// Runs a `FleetEngine` against a broker: every member its own connection, all driven from one thread by
/// `MQTTFleet`, simulated time advancing at the scenario's speed.
public struct FleetRunner: Sendable {
    /// What a run did, for the summary line and `docs/benchmarks.md`.
    public struct Summary: Sendable {
        public var simulatedSeconds: Int64
        public var realSeconds: Double
        public var published: Int
        public var acknowledged: Int
        public var replayRequests: Int
        public var replayed: Int
        public var connects: Int
        public var lost: Int
        public var members: Int
        /// CPU time of the process (user + system), seconds.
        public var cpuSeconds: Double
        /// Peak resident memory of the process, MiB.
        public var peakRSSMiB: Double
    }

    public var host: String
    public var port: Int
    /// Other nodes of a clustered broker (`MQTTFleet.brokers`).
    public var alternateBrokers: [BrokerAddress] = []
    /// Simulated seconds per real second; 0 runs as fast as the broker takes it.
    public var speed: Double
    /// After the scenario's end, keep answering replay requests this long before disconnecting.
    public var linger: Duration
    /// How often a progress line goes to `progress` (nil: never).
    public var progressEvery: Duration?
    public var logger: Logger
    /// Credentials every member connects with (a production broker has one per controller).
    public var username: String?
    public var password: String?

    public init(host: String, port: Int, speed: Double, linger: Duration = .seconds(3), progressEvery: Duration? = .seconds(5),
                username: String? = nil, password: String? = nil, logger: Logger = Logger(label: "liftsim")) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.speed = speed
        self.linger = linger
        self.progressEvery = progressEvery
        self.logger = logger
    }

    /// Runs the fleet to the scenario's end (or until `shouldStop` says so) on the calling thread.
    /// - Throws: `MQTTError` when a member cannot be set up.
    public func run(_ engine: inout FleetEngine, shouldStop: () -> Bool = { false }, progress: (String) -> Void = { _ in }) throws -> Summary {
        let members = engine.members.map { member in
            var member = member
            member.username = username
            member.password = password
            return member
        }
        let fleet = try MQTTFleet(host: host, port: port, alternateBrokers: alternateBrokers, members: members, logger: logger)
        var replayRequests = 0
        var replayed = 0
        var pendingReplay: [(Int, [UInt8])] = []
        // Callbacks run on this thread, inside `fleet.run`; replay requests are answered on the next tick.
        fleet.onMessage = { member, message in
            guard message.topic.hasSuffix("/replay") else { return }
            replayRequests += 1
            pendingReplay.append((member, message.payload))
        }
        let started = ContinuousClock.now
        var lastProgress = started
        var finishedAt: ContinuousClock.Instant?
        var begun = false
        func apply(_ outputs: [FleetOutput]) {
            for output in outputs {
                switch output {
                case .publish(let member, let message): fleet.publish(message, from: member)
                case .cut(let member): fleet.cut(member)
                case .resume(let member): fleet.resume(member)
                }
            }
        }
        let total = engine.duration
        fleet.run(tickEvery: .milliseconds(20)) { fleet in
            if shouldStop() { return false }
            if !begun {
                begun = true
                apply(engine.begin())
            }
            for (member, payload) in pendingReplay {
                let outputs = engine.replayRequest(member: member, payload: payload)
                replayed += outputs.count
                apply(outputs)
            }
            pendingReplay.removeAll(keepingCapacity: true)
            let now = ContinuousClock.now
            if !engine.isFinished {
                if speed > 0 {
                    let elapsed = Double((now - started).nanoseconds) / 1e9
                    apply(engine.advance(to: Int64(elapsed * speed)))
                } else {
                    // As fast as the broker takes it: keep the unacknowledged publishes bounded.
                    let statistics = fleet.statistics
                    var budget = 20_000 - (statistics.published - statistics.acknowledged)
                    while budget > 0, !engine.isFinished {
                        let outputs = engine.advance(to: engine.second + 1)
                        budget -= max(1, outputs.count)
                        apply(outputs)
                    }
                }
                if engine.isFinished { finishedAt = now }
            }
            if let every = progressEvery, now - lastProgress >= every {
                lastProgress = now
                let s = fleet.statistics
                let simNow = Date(timeIntervalSince1970: Double(engine.now) / 1000)
                progress("liftsim: simulated \(Self.format(simNow)) (\(total > 0 ? engine.second * 100 / total : 100) %), \(s.published) messages, \(s.connected)/\(s.members) connected, \(replayRequests) replay requests")
            }
            if let finishedAt, now - finishedAt >= linger { return false }
            return true
        }
        let s = fleet.statistics
        let usage = Self.resourceUsage()
        return Summary(
            simulatedSeconds: engine.second, realSeconds: Double((ContinuousClock.now - started).nanoseconds) / 1e9, published: s.published,
            acknowledged: s.acknowledged, replayRequests: replayRequests, replayed: replayed, connects: s.connects, lost: s.lost, members: s.members,
            cpuSeconds: usage.cpu, peakRSSMiB: usage.peakMiB)
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        return formatter.string(from: date)
    }

    /// CPU seconds (user + system) and peak resident MiB of this process so far.
    public static func resourceUsage() -> (cpu: Double, peakMiB: Double) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return (cpu, Double(usage.ru_maxrss) / 1024)
    }
}
