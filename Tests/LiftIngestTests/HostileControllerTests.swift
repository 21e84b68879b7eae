import Foundation
import LiftTestSupport
import LiftCore
import LiftMQTT
import LiftStore
import Synchronization
import Testing
@testable import LiftIngest

/// Issue 23 item 6: one controller cannot hurt the fleet. Real mosquitto and SQLite.
@Suite("A hostile controller over a real broker", .serialized)
struct HostileControllerTests {
    @Test("a seq outside 1…2^53-1 is an out_of_range dead letter; the largest one is stored")
    func seqRange() async throws {
        let harness = try await IngestHarness()
        try harness.register("E1")
        try await harness.startIngest()
        let ts = harness.clock.now - 1_000
        for seq in ["0", "-3", "9007199254740992", "18446744073709551615", "1.5", "1e3"] {
            try await harness.publish("lift/430102/E1/telemetry", #"{"seq":\#(seq),"ts":\#(ts),"speed":1}"#)
        }
        try await harness.publish("lift/430102/E1/telemetry", #"{"seq":9007199254740991,"ts":\#(ts),"speed":1}"#)
        try await harness.eventually("six dead letters and one sample") {
            try harness.database.deadLetters().count == 6 && harness.database.telemetry("E1", from: 0, to: .max).count == 1
        }
        #expect(try harness.database.deadLetters().map(\.reason) == Array(repeating: "out_of_range", count: 6))
        #expect(try harness.database.telemetry("E1", from: 0, to: .max).map(\.seq) == [9_007_199_254_740_991])
        await harness.shutdown()
    }

    @Test("after many terminal replacements a large seq is refused, never trapping the writer; the service keeps storing")
    func largeSeqAfterReplacements() async throws {
        let harness = try await IngestHarness()
        try harness.register("E1")
        try harness.register("E2")
        try await harness.startIngest()
        // The offset a long history of replaced terminals at the top of the range leaves (set by another process,
        // as `liftwatch terminals replace` does).
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [harness.database.path, """
            UPDATE elevators SET seq_offset = 9223372036854775000 WHERE elevator_id = 'E1';
            UPDATE registry_version SET version = version + 1;
            """]
        try sqlite.run()
        #expect(sqlite.finish() == 0)
        try await harness.waitForRegistryApplied()
        let ts = harness.clock.now - 1_000
        // 2^53 - 1 + the offset is past what the store keeps: before, the writer trapped converting it.
        try await harness.publish("lift/430102/E1/telemetry", #"{"seq":9007199254740991,"ts":\#(ts),"speed":1}"#)
        try await harness.publish("lift/430102/E1/telemetry", #"{"seq":5,"ts":\#(ts + 1),"speed":2}"#)
        try await harness.publish("lift/430102/E2/telemetry", #"{"seq":1,"ts":\#(ts),"speed":1}"#)
        try await harness.eventually("E2's sample and E1's small one stored, E1's large one refused") {
            try harness.database.telemetry("E2", from: 0, to: .max).count == 1 && harness.database.telemetry("E1", from: 0, to: .max).count == 1
                && harness.database.deadLetters().contains { $0.reason == "out_of_range" && $0.message.contains("offset") }
        }
        #expect(try harness.database.telemetry("E1", from: 0, to: .max).map(\.seq) == [9_223_372_036_854_775_005])
        await harness.shutdown()
    }

    @Test("a flood of one repeated event from one controller becomes counted dead letters; a new fault in it still passes")
    func eventFlood() async throws {
        let harness = try await IngestHarness()
        try harness.register("E1")
        try harness.register("E2")
        try await harness.startIngest(eventsSession: true)
        let ts = harness.clock.now - 1_000
        // 2,000 identical raises in a moment: the sustained limit is 120 a minute with a burst of 60.
        for seq in 1...2_000 {
            try await harness.enqueue(MQTTMessage(
                topic: "lift/430102/E1/event", string: #"{"seq":\#(seq),"ts":\#(ts),"kind":"fault","code":"door_obstructed","state":"raised"}"#,
                qos: .atLeastOnce))
        }
        // Inside the flood, the same controller reports someone trapped; another elevator carries on.
        try await harness.publish("lift/430102/E1/event", #"{"seq":2001,"ts":\#(ts),"kind":"fault","code":"entrapment_at_floor","state":"raised"}"#)
        try await harness.publish("lift/430102/E2/event", #"{"seq":1,"ts":\#(ts),"kind":"fault","code":"door_obstructed","state":"raised"}"#)
        // E2's event travels on its own: awaited too, not assumed to land before E1's last.
        try await harness.eventually("every message accounted for") {
            try (harness.database.ingestCounters("E1")?.received ?? 0) == 2_001 && (harness.database.ingestCounters("E2")?.received ?? 0) == 1
        }
        let events = try harness.database.events("E1")
        #expect(events.filter { $0.fault == .doorObstructed }.count == 60, "the burst, then nothing of the repeats")
        #expect(events.contains { $0.fault == .entrapmentAtFloor }, "the entrapment passed the limit")
        let counters = try #require(try harness.database.ingestCounters("E1"))
        #expect(counters.rejected == 1_940)
        // Kept with their bytes up to 120 a minute; the rest counted only.
        #expect(try harness.database.deadLetters(limit: 10_000).filter { $0.reason == "rate_limited" }.count == 120)
        #expect(try harness.database.events("E2").count == 1)
        await harness.shutdown()
    }

    @Test("the limits hold one bucket per elevator and at most 64 signatures each, whatever a controller sends")
    func limitsAreBounded() {
        var limits = IngestLimits()
        let t: Int64 = 1_795_000_000_000
        // All in one instant: the burst of 60 is spent, nothing refills.
        var admitted = 0
        for i in 0..<10_000 where limits.admitEvent(elevator: 7, signature: "fault/code-\(i)/raised", at: t) { admitted += 1 }
        #expect(admitted == 10_000, "each signature was new")
        #expect(limits.rememberedSignatures(of: 7) == 64)
        #expect(limits.trackedElevators == 1)
        // A repeat within the minute, with the bucket empty, is refused.
        let again = limits.admitEvent(elevator: 7, signature: "fault/code-9999/raised", at: t)
        #expect(!again)
        var kept = 0
        for i in 0..<1_000 where limits.admitDeadLetter(elevator: 7, at: t + Int64(i)) { kept += 1 }
        #expect(kept == 120)
        var unregistered = 0
        for i in 0..<5_000 where limits.admitDeadLetter(elevator: nil, at: t + Int64(i)) { unregistered += 1 }
        #expect(unregistered == 600)
        // A minute later the budget is back.
        let nextMinute = limits.admitDeadLetter(elevator: 7, at: t + 60_000)
        #expect(nextMinute)
    }
}
