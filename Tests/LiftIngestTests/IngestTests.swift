import Foundation
import LiftCore
import LiftMQTT
import LiftStore
import Testing
@testable import LiftIngest

@Suite("Ingestion over a real broker into a real SQLite file", .serialized)
struct IngestTests {
    @Test("all four message kinds are stored, and a message received twice is stored and handed on once")
    func storesEachKindOnceAndCountsDuplicates() async throws {
        let harness = try await IngestHarness()
        try harness.register("E1")
        try await harness.startIngest(waited: { ContinuousClock.now - $0 })  // real waits, as in production
        let began = ContinuousClock.now
        let t = harness.clock.now - 5000
        try await harness.publish("lift/430102/E1/status", #"{"state":"online","seq":1,"ts":\#(t),"firmware":"2.1"}"#)
        try await harness.publish("lift/430102/E1/telemetry", harness.telemetry("E1", seq: 2))
        try await harness.publish("lift/430102/E1/telemetry", #"[{"seq":3,"ts":\#(t)},{"seq":4,"ts":\#(t + 1)}]"#)
        let fault = #"{"seq":5,"ts":\#(t),"kind":"fault","code":"entrapment_at_floor","state":"raised","floor":4}"#
        try await harness.publish("lift/430102/E1/event", fault)
        try await harness.publish("lift/430102/E1/stats", #"{"seq":6,"ts":\#(t),"trips":100,"door_cycles":200,"run_hours":3.5}"#)
        try await harness.publish("lift/430102/E1/event", fault)  // redelivered
        try await harness.publish("lift/430102/E1/telemetry", harness.telemetry("E1", seq: 2))  // resent

        try await harness.eventually("duplicates counted") { try harness.database.ingestCounters("E1")?.duplicates == 2 }
        let counts = try harness.database.tableCounts()
        #expect(counts["telemetry"] == 3 && counts["events"] == 1 && counts["stats"] == 1 && counts["status_reports"] == 1)
        let counters = try #require(try harness.database.ingestCounters("E1"))
        #expect(counters.received == 7 && counters.gaps == 0 && counters.rejected == 0 && counters.highSeq == 6)
        let elevator = try #require(try harness.database.elevator("E1"))
        #expect(elevator.online && elevator.firmware == "2.1")
        // The test clock stands still; a message that waited over 100 ms inside LiftWatch (a loaded machine) is dated
        // back by its wait (arrival is when the network thread took it, v1.1 §11.1).
        let lastSeen = try #require(elevator.lastSeen)
        let elapsed = ContinuousClock.now - began
        let elapsedMs = elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000 + 1
        #expect(lastSeen <= harness.clock.now && lastSeen >= harness.clock.now - elapsedMs, "last seen \(lastSeen), now \(harness.clock.now), \(elapsed) elapsed")
        try await harness.eventually("the fault handed on") { await !harness.events.events.isEmpty }
        let handedOn = await harness.events.events.map(\.seq)
        #expect(handedOn == [5], "the fault must be handed on once, the duplicate not at all: got \(handedOn)")
        await harness.shutdown()
    }

    @Test("arrival is when the network thread took the message: a wait inside LiftWatch over 100 ms is taken off, a shorter one is not", arguments: [
        (Duration.seconds(2), Int64(2_000)), (.milliseconds(50), 0),
    ])
    func arrivalTakesTheWaitOff(wait: Duration, takenOff: Int64) async throws {
        let harness = try await IngestHarness()
        try harness.register("E1")
        try await harness.startIngest(waited: { _ in wait })
        try await harness.publish("lift/430102/E1/telemetry", harness.telemetry("E1", seq: 1))
        try await harness.eventually("stored") { try harness.database.elevator("E1")?.lastSeen != nil }
        #expect(try harness.database.elevator("E1")?.lastSeen == harness.clock.now - takenOff)
        await harness.shutdown()
    }

    @Test("with an events session, faults interleaved with a telemetry flood are stored and handed on once, and every sample once")
    func eventsSessionAlongsideTelemetry() async throws {
        let harness = try await IngestHarness()
        let elevators = (1...20).map { "F\($0)" }
        for id in elevators { try harness.register(id) }
        try harness.register("F0")
        try await harness.startIngest(eventsSession: true, batchSize: 10_000)
        let t = harness.clock.now - 600_000
        // Both sessions subscribed before the flood: one message through each.
        try await harness.publish("lift/430102/F0/telemetry", #"{"seq":1,"ts":\#(t),"speed":1.0}"#)
        try await harness.publish("lift/430102/F0/event", #"{"seq":2,"ts":\#(t),"kind":"mode","code":"normal"}"#)
        try await harness.eventually("both sessions ready") {
            let counts = try harness.database.tableCounts()
            return counts["telemetry"] == 1 && counts["events"] == 1
        }
        var published = 0
        for round in 0..<200 {
            for (index, id) in elevators.enumerated() {
                let seq = UInt64(round + 1)
                if round % 50 == 25 && index % 5 == 0 {
                    try await harness.enqueue(MQTTMessage(
                        topic: "lift/430102/\(id)/event",
                        string: #"{"seq":\#(seq),"ts":\#(t + Int64(round) * 1000),"kind":"fault","code":"door_close_failure","state":"raised"}"#))
                } else {
                    try await harness.enqueue(MQTTMessage(
                        topic: "lift/430102/\(id)/telemetry",
                        string: #"{"seq":\#(seq),"ts":\#(t + Int64(round) * 1000),"speed":1.0}"#))
                }
                published += 1
            }
        }
        let faults = 4 * 4  // rounds 25, 75, 125, 175 × elevators F1, F6, F11, F16
        try await harness.eventually("everything stored (\((try? harness.database.tableCounts()) ?? [:]))", timeout: .seconds(30)) {
            let counts = try harness.database.tableCounts()
            return counts["telemetry"] == published - faults + 1 && counts["events"] == faults + 1
        }
        try await harness.stopIngest()
        for id in elevators {
            let counters = try #require(try harness.database.ingestCounters(id))
            // The two sessions may deliver an event after the telemetry that followed it: a gap then opens and
            // closes at once (no replay asked for, nothing lost).
            #expect(counters.received == 200 && counters.duplicates == 0 && counters.highSeq == 200, "\(id): \(counters)")
            #expect(counters.openGaps.isEmpty && counters.lost == 0 && counters.replayed == 0, "\(id): \(counters)")
        }
        let handedOn = await harness.events.events
        #expect(handedOn.count == faults + 1 && Set(handedOn.map(\.seq)) == [2, 26, 76, 126, 176])
        await harness.shutdown()
    }

    @Test("a gap is asked for on the replay topic and filled by the replayed messages")
    func gapFilledByReplay() async throws {
        let harness = try await IngestHarness()
        try harness.register("E2")
        let controller = try MQTTClient(configuration: .init(port: harness.broker.port, clientID: "E2-replay-listener", subscriptions: [.init("lift/430102/E2/replay")]))
        controller.start()
        try await controller.waitUntilConnected()
        try await harness.eventually("the controller's SUBACK") { controller.subscriptionsAwaitingGrant == 0 }
        try await harness.startIngest()
        for seq: UInt64 in [1, 2, 5] {
            try await harness.publish("lift/430102/E2/telemetry", harness.telemetry("E2", seq: seq))
        }
        try await harness.eventually("the gap") { try harness.database.ingestCounters("E2")?.openGaps.count == 1 }
        let request = try await withThrowingTaskGroup(of: MQTTMessage?.self) { group in
            group.addTask { await controller.messages.nextBatch(maximum: 1, timeout: .seconds(10))?.first }
            return try await group.next()!
        }
        #expect(request?.payloadString == #"{"from_seq":3,"to_seq":4}"#)
        for seq: UInt64 in [3, 4] {
            try await harness.publish("lift/430102/E2/telemetry", harness.telemetry("E2", seq: seq))
        }
        try await harness.eventually("the gap filled") { try harness.database.ingestCounters("E2")?.openGaps.isEmpty == true }
        let counters = try #require(try harness.database.ingestCounters("E2"))
        #expect(counters.gaps == 1 && counters.replayed == 2 && counters.lost == 0)
        #expect(try harness.database.tableCounts()["telemetry"] == 5)
        await controller.shutdown()
        await harness.shutdown()
    }

    @Test("a gap never filled is recorded as lost after the gap timeout")
    func gapRecordedAsLost() async throws {
        let harness = try await IngestHarness(policy: .init(firstRequestDelayMs: 0, requestIntervalMs: 60_000, gapTimeoutMs: 600_000))
        try harness.register("E3")
        try await harness.startIngest()
        for seq: UInt64 in [10, 11, 15] {
            try await harness.publish("lift/430102/E3/telemetry", harness.telemetry("E3", seq: seq))
        }
        try await harness.eventually("the gap") { try harness.database.ingestCounters("E3")?.openGaps.count == 1 }
        harness.clock.advance(byMilliseconds: 600_001)
        try await harness.eventually("the gap given up") { try harness.database.ingestCounters("E3")?.lost == 3 }
        let counters = try #require(try harness.database.ingestCounters("E3"))
        #expect(counters.openGaps.isEmpty && counters.gaps == 1)
        #expect(try harness.database.tableCounts()["lost_ranges"] == 1)
        await harness.shutdown()
    }

    @Test("every kind of unusable message goes to the dead letters with its reason, and loses nothing")
    func deadLetterReasons() async throws {
        let harness = try await IngestHarness()
        try harness.register("E4")
        try harness.register("OTHER", region: "430103")
        try await harness.startIngest()
        let t = harness.clock.now
        let cases: [(String, String, Rejection.Reason)] = [
            ("lift/4301/E4/telemetry", #"{"seq":1,"ts":\#(t)}"#, .region),
            ("lift/430102/E4/gossip", #"{"seq":1,"ts":\#(t)}"#, .topic),
            ("lift/430102/NOBODY/telemetry", #"{"seq":1,"ts":\#(t)}"#, .unregistered),
            ("lift/430102/OTHER/telemetry", #"{"seq":1,"ts":\#(t)}"#, .region),
            ("lift/430102/E4/telemetry", #"{"seq":2,"ts":\#(t),"pad":""# + String(repeating: "x", count: 70_000) + "\"}", .tooLarge),
            ("lift/430102/E4/telemetry", "{not json", .json),
            ("lift/430102/E4/telemetry", #"{"ts":\#(t)}"#, .missingField),
            ("lift/430102/E4/telemetry", #"{"seq":3,"ts":\#(t),"speed":"fast"}"#, .type),
            ("lift/430102/E4/telemetry", #"{"seq":4,"ts":\#(t),"speed":-2}"#, .range),
            ("lift/430102/E4/event", #"{"seq":5,"ts":\#(t),"kind":"fault","code":77,"state":"raised"}"#, .unknownFault),
        ]
        for (topic, payload, _) in cases { try await harness.publish(topic, payload) }
        try await harness.eventually("all dead letters") { try harness.database.deadLetters(limit: 100).count == cases.count }
        let letters = try harness.database.deadLetters(limit: 100)
        #expect(letters.map(\.reason) == cases.map(\.2.rawValue))
        #expect(letters.map(\.topic) == cases.map(\.0))
        #expect(letters[5].payload == Array("{not json".utf8), "raw bytes are kept")
        #expect(letters[4].payload.count == 64 * 1024, "oversized payloads are kept up to the limit")
        #expect(letters.allSatisfy { !$0.message.isEmpty })
        #expect(try harness.database.ingestCounters("E4")?.rejected == 6)
        #expect(try harness.database.ingestCounters("E4")?.openGaps.isEmpty == true, "rejected messages still count their seq")
        await harness.shutdown()
    }

    @Test("dead letters of an unregistered elevator are stored once it is registered and they are replayed")
    func replayAfterRegistering() async throws {
        let harness = try await IngestHarness()
        try await harness.startIngest()
        for seq: UInt64 in 1...3 {
            try await harness.publish("lift/430102/LATE/telemetry", harness.telemetry("LATE", seq: seq))
        }
        try await harness.publish("lift/430102/LATE/event", #"{"seq":4,"ts":\#(harness.clock.now),"kind":"alarm","code":"alarm_test"}"#)
        try await harness.eventually("dead letters") { try harness.database.deadLetters(pendingOnly: true).count == 4 }

        let replayer = DeadLetterReplayer(database: harness.database, clock: harness.clock.clock)
        let (before, _) = try replayer.replay()
        #expect(before.accepted == 0 && before.rejectedAgain == 4 && before.rejectedReasons == ["unregistered_elevator": 4])

        try harness.register("LATE")
        let (summary, result) = try replayer.replay()
        #expect(summary.accepted == 4 && summary.rejectedAgain == 0)
        #expect(result.newEvents.count == 1)
        #expect(try harness.database.tableCounts()["telemetry"] == 3)
        #expect(try harness.database.deadLetters(pendingOnly: true).isEmpty)
        let replayed = try harness.database.deadLetters()
        #expect(replayed.count == 4)
        #expect(replayed.allSatisfy { $0.replayOutcome == "stored" && $0.replayedAt != nil })
        let (again, _) = try replayer.replay()
        #expect(again.replayed == 0, "replayed letters are not replayed twice")
        await harness.shutdown()
    }

    @Test("messages published while LiftWatch was down are stored after it restarts")
    func restartPicksUpPersistentSession() async throws {
        let harness = try await IngestHarness()
        try harness.register("E5")
        try await harness.startIngest()
        try await harness.publish("lift/430102/E5/telemetry", harness.telemetry("E5", seq: 1))
        try await harness.eventually("first sample") { try harness.database.tableCounts()["telemetry"] == 1 }
        try await harness.stopIngest()

        for seq: UInt64 in 2...40 {
            try await harness.publish("lift/430102/E5/telemetry", harness.telemetry("E5", seq: seq))
        }
        try await harness.publish("lift/430102/E5/event", #"{"seq":41,"ts":\#(harness.clock.now),"kind":"fault","code":3,"state":"raised"}"#)

        try await harness.startIngest()
        try await harness.eventually("everything published while down") { try harness.database.tableCounts()["telemetry"] == 40 }
        try await harness.eventually("the fault") { try harness.database.tableCounts()["events"] == 1 }
        let counters = try #require(try harness.database.ingestCounters("E5"))
        #expect(counters.openGaps.isEmpty && counters.highSeq == 41 && counters.duplicates == 0)
        #expect(try harness.database.events("E5").first?.fault == .overspeed)
        await harness.shutdown()
    }

    @Test("a clean shutdown commits everything already received")
    func cleanShutdownLosesNothing() async throws {
        let harness = try await IngestHarness()
        try harness.register("E6")
        try await harness.startIngest()
        for seq: UInt64 in 1...300 {
            try harness.publisher.enqueue(MQTTMessage(topic: "lift/430102/E6/telemetry", payload: Array(harness.telemetry("E6", seq: seq).utf8)))
        }
        // Stopped as soon as the subscriber holds all 300, before they can all be committed.
        try await harness.eventually("the subscriber to receive all 300") { harness.client?.statistics.received == 300 }
        try await harness.stopIngest()
        let stored = try harness.database.tableCounts()["telemetry"] ?? 0
        let received = try harness.database.ingestCounters("E6")?.received ?? 0
        #expect(stored == received, "every message the subscriber received is committed")
        #expect(stored == 300)
        await harness.shutdown()
    }
}

@Suite("Dedicated executor")
struct DedicatedExecutorTests {
    actor Probe {
        func threadName() -> String? { currentThreadName() }
    }

    @Test("tasks preferring a dedicated executor run on its thread, and so does an idle default actor they call")
    func runsOnItsThread() async {
        let executor = DedicatedExecutor(name: "lw-test")
        let probe = Probe()
        let names = await withTaskGroup(of: [String?].self) { group in
            group.addTask(executorPreference: executor) {
                let own = currentThreadName()
                try? await Task.sleep(for: .milliseconds(5))  // resumed on the same thread after a suspension
                return [own, currentThreadName(), await probe.threadName()]
            }
            return await group.next() ?? []
        }
        executor.shutdown()
        #expect(names == ["lw-test", "lw-test", "lw-test"])
    }
}

/// The name of the thread running the caller (`Thread.current` is not available in async code).
private func currentThreadName() -> String? { Thread.current.name }
