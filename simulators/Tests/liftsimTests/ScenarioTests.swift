import Foundation
import LiftCore
import LiftMQTT
import Testing
@testable import LiftSim

/// The scenario files and the fleet engine, without a network: what each scenario publishes, deterministically.
@Suite("Scenarios")
struct ScenarioTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scenarios").path
    static let start: Int64 = 1_764_000_000_000

    static func load(_ name: String) throws -> Scenario { try Scenario.load("\(directory)/\(name).yaml") }

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Every output of a whole run, with the simulated second it happened at.
    /// Every output of a run, tagged with the simulated second it came at (or, with `step` > 1, the end of
    /// the `step`-second stretch it came in: cheaper for long runs).
    static func outputs(_ scenario: Scenario, seed: UInt64 = 1, upTo limit: Int64 = .max, step: Int64 = 1) -> [(second: Int64, output: FleetOutput)] {
        var engine = FleetEngine(scenario: scenario, seed: seed, start: start)
        var all = engine.begin().map { (Int64(0), $0) }
        while !engine.isFinished && engine.second < limit {
            let second = engine.second + step
            all += engine.advance(to: second).map { (second, $0) }
        }
        return all
    }

    /// The digest of a run's first two simulated days at most (the 40-day wear scenario is checked whole elsewhere).
    static func digest(_ scenario: Scenario, seed: UInt64) -> String {
        var digest = FleetDigest()
        for (second, output) in outputs(scenario, seed: seed, upTo: 2 * 86_400) { digest.add(output, at: second) }
        return digest.hex
    }

    /// Runs CPU-heavy work on a thread of its own rather than on the concurrency pool's few threads.
    static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }

    static func published(_ outputs: [(second: Int64, output: FleetOutput)]) -> [(second: Int64, member: Int, message: MQTTMessage)] {
        outputs.compactMap { if case .publish(let member, let message) = $0.output { ($0.second, member, message) } else { nil } }
    }

    static func json(_ message: MQTTMessage) -> [String: JSONScalar] {
        guard case .object(let object)? = try? FlatJSON.parse(message.payload) else { return [:] }
        return Dictionary(object.fields.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// A JSON number whichever way it was written (`0` or `0.0`); nil for anything else.
    static func number(_ value: JSONScalar?) -> Double? {
        switch value {
        case .integer(let integer)?: Double(integer)
        case .number(let number)?: number
        default: nil
        }
    }

    @Test("the scenario directory holds every scenario the simulator issue names")
    func everyScenarioIsThere() {
        for name in [
            "entrapment-at-floor", "entrapment-between-floors", "door-fault-storm", "regional-power-cut", "network-flaps",
            "duplicate-deliveries", "out-of-order", "clock-skew", "malformed-payloads", "unknown-fault-codes", "terminal-replaced",
            "door-operator-wear",
        ] {
            #expect(Self.names.contains(name), "missing \(name).yaml")
        }
    }

    @Test("each scenario file loads, passes its checks, and states what LiftWatch should do", arguments: ScenarioTests.names)
    func loads(name: String) throws {
        let scenario = try Self.load(name)
        #expect(scenario.problem == nil)
        #expect(scenario.name == name)
        #expect(!scenario.summary.isEmpty)
        let e = scenario.expect
        #expect(!(e.tickets.isEmpty && e.deadLetters.isEmpty && e.elevators.isEmpty && e.incidents.isEmpty), "\(name) expects nothing")
    }

    @Test("each scenario publishes the same bytes for the same seed, and different ones for another seed", arguments: ScenarioTests.names)
    func deterministic(name: String) throws {
        let scenario = try Self.load(name)
        let first = Self.digest(scenario, seed: 7)
        #expect(first == Self.digest(scenario, seed: 7))
        #expect(first != Self.digest(scenario, seed: 8))
    }

    @Test("every controller numbers all its messages 1, 2, 3, … across topics (replays and resends aside)")
    func seqGrowsByOne() throws {
        let scenario = try Self.load("entrapment-at-floor")
        var last: [String: Int64] = [:]
        for (_, _, message) in Self.published(Self.outputs(scenario)) {
            let elevator = message.topic.split(separator: "/")[2]
            guard case .integer(let seq)? = Self.json(message)["seq"] else { Issue.record("no seq in \(message.topic)"); continue }
            #expect(seq == (last[String(elevator)] ?? 0) + 1, "\(message.topic)")
            last[String(elevator)] = seq
        }
        #expect(last.count == 3)
    }

    @Test("an entrapment is an event at its time, and the stuck car reports itself occupied until it is cleared")
    func entrapment() throws {
        let published = Self.published(Self.outputs(try Self.load("entrapment-at-floor")))
        let events = published.filter { $0.message.topic == "lift/430102/SCN-EAF-0001/event" }
        #expect(events.map(\.second) == [120, 720])
        #expect(Self.json(events[0].message)["code"] == .string("entrapment_at_floor"))
        #expect(Self.json(events[0].message)["state"] == .string("raised"))
        #expect(Self.json(events[0].message)["floor"] == .integer(4))
        #expect(Self.json(events[1].message)["state"] == .string("cleared"))
        let stuck = published.filter { $0.message.topic.hasSuffix("SCN-EAF-0001/telemetry") && (121..<720).contains($0.second) }
        #expect(!stuck.isEmpty)
        for sample in stuck {
            #expect(Self.json(sample.message)["occupied"] == .bool(true), "second \(sample.second)")
            #expect(Self.number(Self.json(sample.message)["speed"]) == 0, "second \(sample.second)")
        }
    }

    @Test("a regional power cut: a power_failure from each elevator of the region, its connection cut, then back online")
    func regionalPowerCut() throws {
        let scenario = try Self.load("regional-power-cut")
        let outputs = Self.outputs(scenario)
        let inRegion = (1...12).filter { scenario.region($0) == "430111" }.map { $0 - 1 }
        #expect(inRegion.count == 6)
        let cuts = outputs.compactMap { if case .cut(let member) = $0.output { ($0.second, member) } else { nil } }
        #expect(cuts.map(\.1).sorted() == inRegion && cuts.allSatisfy { $0.0 == 120 })
        let resumes = outputs.compactMap { if case .resume(let member) = $0.output { ($0.second, member) } else { nil } }
        #expect(resumes.map(\.1).sorted() == inRegion && resumes.allSatisfy { $0.0 == 300 })
        let failures = Self.published(outputs).filter { Self.json($0.message)["code"] == .string("power_failure") }
        #expect(failures.filter { Self.json($0.message)["state"] == .string("raised") }.map(\.member).sorted() == inRegion)
        #expect(failures.filter { Self.json($0.message)["state"] == .string("cleared") }.count == 6)
        // Dark controllers publish nothing between the cut and the return.
        let dark = Self.published(outputs).filter { inRegion.contains($0.member) && (121..<300).contains($0.second) }
        #expect(dark.isEmpty)
    }

    @Test("a network cut keeps the controller running: the messages it made meanwhile are answered on replay")
    func networkCutThenReplay() throws {
        let scenario = try Self.load("network-flaps")
        var engine = FleetEngine(scenario: scenario, seed: 1, start: Self.start)
        _ = engine.begin()
        let before = engine.advance(to: 60)
        let cut = before.contains(.cut(member: 0))
        #expect(cut)
        let lastSeqBefore = Self.published(before.map { (0, $0) }).filter { $0.member == 0 }.compactMap { message -> Int64? in
            if case .integer(let seq)? = Self.json(message.message)["seq"] { seq } else { nil }
        }.max()!
        let during = engine.advance(to: 79)
        // The other controllers go on publishing; the cut one publishes nothing.
        #expect(!Self.published(during.map { (0, $0) }).isEmpty)
        #expect(Self.published(during.map { (0, $0) }).allSatisfy { $0.member != 0 })
        let after = engine.advance(to: 80)
        let resumed = after.contains(.resume(member: 0))
        #expect(resumed)
        guard let online = Self.published(after.map { (0, $0) }).first(where: { $0.member == 0 }) else { Issue.record("nothing after the cut"); return }
        guard case .integer(let onlineSeq)? = Self.json(online.message)["seq"] else { Issue.record("no seq"); return }
        #expect(onlineSeq > lastSeqBefore + 1, "the cut left a gap")
        let replay = engine.replayRequest(member: 0, payload: Array(#"{"from_seq":\#(lastSeqBefore + 1),"to_seq":\#(onlineSeq - 1)}"#.utf8))
        #expect(replay.count == Int(onlineSeq - lastSeqBefore - 1))
        for case .publish(_, let message) in replay { #expect(!message.retain) }
    }

    @Test("duplicates resend earlier messages unchanged; reordering reverses the next messages")
    func duplicatesAndReordering() throws {
        let dup = Self.published(Self.outputs(try Self.load("duplicate-deliveries")))
        let first = dup.filter { $0.member == 0 }.map(\.message)
        #expect(Set(first).count == first.count - 60)
        let ooo = Self.published(Self.outputs(try Self.load("out-of-order"))).filter { $0.member == 0 }
        let seqs = ooo.compactMap { if case .integer(let seq)? = Self.json($0.message)["seq"] { seq } else { nil } }
        #expect(Set(seqs).count == seqs.count && seqs != seqs.sorted())
        #expect(seqs.sorted() == Array(1...Int64(seqs.count)))
    }

    @Test("a replaced terminal connects as another client and numbers from 1 again")
    func terminalReplacement() throws {
        let scenario = try Self.load("terminal-replaced")
        var engine = FleetEngine(scenario: scenario, seed: 1, start: Self.start)
        #expect(engine.members.count == 3)
        #expect(engine.members[2].clientID != engine.members[0].clientID)
        let outputs = engine.begin() + engine.advance(to: 360)
        let replaced = outputs.contains(.cut(member: 0)) && outputs.contains(.resume(member: 2))
        #expect(replaced)
        let fromNew = Self.published(outputs.map { (0, $0) }).filter { $0.member == 2 }
        #expect(Self.json(fromNew[0].message)["seq"] == .integer(1))
        #expect(Self.json(fromNew[0].message)["firmware"] == .string("sim-2.0"))
    }

    @Test("slow wear shows in the samples: the door closes later day by day")
    func wear() async throws {
        // 40 simulated days, tagged by the hour (all a per-day mean needs), on a thread of their own: seconds of
        // CPU on the test pool's threads would stall every other test's timers on a 2-core machine.
        let scenario = try Self.load("door-operator-wear")
        let published = await Self.onOwnThread { Self.published(Self.outputs(scenario, step: 3_600)) }
        func meanDoor(_ member: Int, _ days: ClosedRange<Int64>) -> Double {
            let values = published.filter { $0.member == member && $0.message.topic.hasSuffix("/telemetry") && days.contains($0.second / 86_400) }
                .compactMap { sample -> Double? in
                    switch Self.json(sample.message)["door_close_ms"] { case .number(let v)?: v; case .integer(let v)?: Double(v); default: nil }
                }
            return values.reduce(0, +) / Double(values.count)
        }
        #expect(meanDoor(0, 33...39) > meanDoor(0, 3...29) * 1.15)
        #expect(abs(meanDoor(3, 33...39) - meanDoor(3, 3...29)) < 50)
    }

    @Test("scenario files with mistakes are refused with the place and the reason")
    func badFiles() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml").path
        for (text, expected) in [
            ("name: x\nfleet: {elevators: 2}\nduration: 5m\nsteps:\n  - {at: 1m, elevator: 3, fault: overspeed}\n", "elevator 3 is not in the fleet"),
            ("name: x\nfleet: {elevators: 2}\nduration: 5m\nsteps:\n  - {at: 1m, elevator: 1}\n", "exactly one action"),
            ("name: x\nfleet: {elevators: 2}\nduration: five\n", "not a duration"),
            ("name: x\nfleet: {elevators: 2, region: \"4301\"}\nduration: 5m\n", "6-digit"),
            ("name: x\nfleet: {elevators: 2}\nduration: 5m\nfield:\n  - {action: step, elevator: 1, type: rescue}\n", "field step 1: step needs elevator, type and step"),
            ("name: x\nfleet: {elevators: 2}\nduration: 5m\nfield:\n  - {action: resident_report, elevator: 5, category: door}\n", "field step 1: elevator 5 is not in the fleet"),
            ("name: x\nfleet: {elevators: 2}\nduration: 5m\nfield:\n  - {action: fly}\n", "field[1].action"),
        ] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            #expect {
                _ = try Scenario.load(path)
            } throws: { error in
                "\(error)".contains(expected)
            }
        }
    }

    @Test("the field scenarios of issue 26 say what people do: the manager before the fleet, the rescue's steps, a record, residents' reports")
    func fieldScenarios() throws {
        let rescue = try Self.load("rescue-escalation")
        #expect(rescue.field.filter(\.beforeFleet).map(\.action) == [.propertyManager])
        #expect(rescue.field.compactMap(\.step) == ["contact", "answer", "arrive", "release", "follow_up", "close"])
        #expect(rescue.expect.tickets.first?.escalationLevel == "fire_brigade")
        let visit = try Self.load("faked-maintenance-visit")
        #expect(visit.field.map(\.action) == [.maintenanceRequest, .maintenanceRecord] && visit.field[0].beforeFleet && !visit.field[1].beforeFleet)
        #expect(visit.expect.tickets.first?.recordFlags == ["too_short", "no_controller_evidence", "no_location"])
        let report = try Self.load("resident-report")
        #expect(report.field.map(\.category) == ["door", "door"] && report.expect.tickets.first?.signal == "resident_report")
    }

    @Test("durations read as scenario files write them")
    func durations() {
        #expect(SimDuration(parsing: "5m30s")?.milliseconds == 330_000)
        #expect(SimDuration(parsing: "-2d")?.milliseconds == -172_800_000)
        #expect(SimDuration(parsing: "1500ms")?.milliseconds == 1_500)
        #expect(SimDuration(parsing: "90")?.milliseconds == 90_000)
        #expect(SimDuration(parsing: "5 minutes") == nil)
        #expect(SimDuration.seconds(330).description == "330s")
    }
}
