import Foundation
import LiftCore
import LiftMQTT
import LiftStore
import Testing
@testable import LiftIngest

@Suite("A replaced terminal over a real broker", .serialized)
struct TerminalReplacementTests {
    @Test("a new terminal numbering from 1 again is stored after the old one's messages, not taken for duplicates")
    func newTerminalContinuesTheHistory() async throws {
        let harness = try await IngestHarness()
        try harness.register("E1")
        try await harness.startIngest()
        let t = harness.clock.now - 10_000
        for seq in 1...5 {
            try await harness.publish("lift/430102/E1/event", #"{"seq":\#(seq),"ts":\#(t + Int64(seq)),"kind":"mode","code":"normal"}"#)
        }
        try await harness.eventually("old terminal's events") { try harness.database.events("E1").count == 5 }

        // Recorded while LiftWatch runs, as an operator would from the CLI.
        let terminal = try harness.database.replaceTerminal(of: "E1", with: "T-NEW", at: harness.clock.now, by: "cli:tech")
        try await harness.waitForRegistryApplied()
        for seq in 1...3 {
            try await harness.publish("lift/430102/E1/event", #"{"seq":\#(seq),"ts":\#(t + 100 + Int64(seq)),"kind":"fault","code":"door_close_failure","state":"raised"}"#)
        }
        try await harness.eventually("new terminal's events") { try harness.database.events("E1").count == 8 }
        let events = try harness.database.events("E1")
        let offset = UInt64(terminal.seqOffset)
        let expected: [UInt64] = [1, 2, 3, 4, 5, offset + 1, offset + 2, offset + 3]
        #expect(events.map(\.seq) == expected)
        let counters = try #require(try harness.database.ingestCounters("E1"))
        #expect(counters.duplicates == 0 && counters.gaps == 0 && counters.received == 8)
        // Handed on by a task of their own after the commit: wait for it rather than race it.
        try await harness.eventually("the new terminal's faults handed on") {
            await harness.events.events.filter { $0.kind == .fault }.count == 3
        }
        await harness.shutdown()
    }

    @Test("a terminal replaced while a newly registered elevator's first message reloads the registry starts afresh: nothing counted lost")
    func replacementSeenByALookupReload() async throws {
        let harness = try await IngestHarness()
        try harness.register("E1")
        try await harness.startIngest()
        for seq: UInt64 in 1...5 { try await harness.publish("lift/430102/E1/telemetry", harness.telemetry("E1", seq: seq)) }
        try await harness.eventually("the old terminal's samples") { try harness.database.telemetry("E1", from: 0, to: .max).count == 5 }

        // Both in the registry before ingestion's once-a-second check (the clock stands still): the new
        // elevator's first message makes the lookup reload, which also brings E1's new offset.
        let terminal = try harness.database.replaceTerminal(of: "E1", with: "T-NEW", at: harness.clock.now, by: "cli:tech")
        try harness.register("E9")
        try await harness.publish("lift/430102/E9/telemetry", harness.telemetry("E9", seq: 1))
        for seq: UInt64 in 1...3 { try await harness.publish("lift/430102/E1/telemetry", harness.telemetry("E1", seq: seq)) }
        try await harness.eventually("the new terminal's samples") { try harness.database.telemetry("E1", from: 0, to: .max).count == 8 }

        let offset = UInt64(terminal.seqOffset)
        #expect(Set(try harness.database.telemetry("E1", from: 0, to: .max).map(\.seq)) == [1, 2, 3, 4, 5, offset + 1, offset + 2, offset + 3])
        let counters = try #require(try harness.database.ingestCounters("E1"))
        #expect(counters.lost == 0 && counters.gaps == 0 && counters.duplicates == 0, "\(counters)")
        #expect(counters.openGaps.isEmpty)
        await harness.shutdown()
    }
}

@Suite("Fault-code platform by region", .serialized)
struct RegionPlatformTests {
    @Test("an elevator naming no platform uses its region's numbering")
    func regionPlatform() async throws {
        var directory = ElevatorDirectory(regionPlatforms: ["4301": "municipal-b", "430181": "chongqing"])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("platform-\(UUID().uuidString).sqlite").path
        let database = try LiftDatabase(path: path)
        try database.register(ElevatorRegistration(elevatorID: "A", region: "430102"), at: 0)
        try database.register(ElevatorRegistration(elevatorID: "B", region: "430181"), at: 0)
        try database.register(ElevatorRegistration(elevatorID: "C", region: "430181", platform: "default-own"), at: 0)
        try database.register(ElevatorRegistration(elevatorID: "D", region: "500101"), at: 0)
        try directory.reload(from: database, now: 0)
        #expect(directory.lookup("A", database: database, now: 0)?.platform == "municipal-b")
        #expect(directory.lookup("B", database: database, now: 0)?.platform == "chongqing", "the longest prefix wins")
        #expect(directory.lookup("C", database: database, now: 0)?.platform == "default-own", "an elevator's own platform wins")
        #expect(directory.lookup("D", database: database, now: 0)?.platform == "default")
    }
}
