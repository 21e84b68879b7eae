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
        harness.clock.advance(byMilliseconds: 2_000)  // the ingest loop checks the registry once a (clock) second
        try await Task.sleep(for: .milliseconds(1_200))
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
        #expect(await harness.events.events.filter { $0.kind == .fault }.count == 3, "the new terminal's faults are handed on")
        await harness.shutdown()
    }
}
